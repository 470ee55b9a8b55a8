"""A contact's stored files: the card's "Files" list, sending one back into the chat (by its
Telegram file id while Telegram still accepts it, else from storage), deleting one."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from typing import cast

from sqlalchemy.orm import Session
from telegram import InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.actions import FILE_DELETE, FILE_DELETE_YES, FILE_GET, FILES
from bot.callbacks import Cb, pattern
from bot.features.attachments.receiving import KINDS
from bot.handling import Ctx, on_button, reply
from bot.views import files as views
from crm_core.models import Contact, File
from crm_core.services.contacts import get_contact
from crm_core.services.files import delete_file, get_file, list_files
from crm_core.storage import FileStore

log = logging.getLogger(__name__)


def _contact_and_files(session: Session, contact_id: int) -> tuple[Contact, list[File]]:
    return get_contact(session, contact_id), list_files(session, contact_id)


def _contact_and_file(session: Session, contact_id: int, file_id: int) -> tuple[Contact, File]:
    return get_contact(session, contact_id), get_file(session, file_id, contact_id=contact_id)


async def show_files(
    update: Update, context: Ctx, contact_id: int, page: int = 1, *, edit: bool, notice: str = ""
) -> None:
    contact, rows = await context.run_db(_contact_and_files, contact_id)
    text, markup = views.render_files(contact, rows, context.tz, page, notice=notice)
    await reply(update, text, markup, edit=edit)


@on_button
async def files_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show the contact's files: a new message from the card, a page in place."""
    page = FILES.arg(cb)
    await show_files(update, context, cb.id, page or 1, edit=page is not None)


@on_button
async def get_file_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Send a stored file back into the chat."""
    contact, row = await context.run_db(_contact_and_file, cb.id, FILE_GET.arg(cb))
    chat = update.effective_chat
    if chat is not None:
        await send_file(context, chat.id, contact, row)


async def send_file(context: Ctx, chat_id: int, contact: Contact, row: File) -> Message:
    """By its Telegram file id while Telegram still accepts it (no transfer at all), else
    streamed from storage as a document."""
    caption = views.sent_caption(contact, row)
    markup = views.sent_keyboard(contact.id)
    if row.telegram_file_id and row.telegram_kind in ("photo", *KINDS):
        send = cast(
            Callable[..., Awaitable[Message]], getattr(context.bot, f"send_{row.telegram_kind}")
        )
        try:
            return await send(
                chat_id,
                row.telegram_file_id,
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as err:
            log.info(
                "Telegram refused the file id of file %s (%s); sending it from storage",
                row.id,
                err.message,
            )
    data = await asyncio.to_thread(_read_object, context.crm.file_store(), row.storage_key)
    return await context.bot.send_document(
        chat_id,
        InputFile(data, filename=row.file_name),
        caption=caption,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
    )


def _read_object(store: FileStore, key: str) -> bytes:
    """The object's bytes. PTB sends an upload from memory whatever it is given (InputFile
    reads a file object whole, on the event loop), so read it here, in the worker thread."""
    buffer = io.BytesIO()
    store.get(key, buffer)
    return buffer.getvalue()


@on_button
async def delete_file_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Ask whether to delete a stored file."""
    contact, row = await context.run_db(_contact_and_file, cb.id, FILE_DELETE.arg(cb))
    text, markup = views.delete_prompt(contact, row)
    await reply(update, text, markup, edit=True)


@on_button
async def delete_file_confirmed(update: Update, context: Ctx, cb: Cb) -> None:
    """Delete the row (committed), then the object; a failed object delete is retried later."""
    row = await context.run_db(delete_file, FILE_DELETE_YES.arg(cb), contact_id=cb.id)
    await context.crm.delete_objects([row.storage_key])
    await show_files(update, context, cb.id, edit=True, notice=views.deleted_notice(row))


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [
        CallbackQueryHandler(files_button, pattern=pattern(FILES)),
        CallbackQueryHandler(get_file_button, pattern=pattern(FILE_GET)),
        CallbackQueryHandler(delete_file_button, pattern=pattern(FILE_DELETE)),
        CallbackQueryHandler(delete_file_confirmed, pattern=pattern(FILE_DELETE_YES)),
    ]
