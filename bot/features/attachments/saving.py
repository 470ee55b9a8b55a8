"""Asking what is still unknown about a pending attachment (its contact, its category), then
saving it: each file streamed from Telegram to a temporary file and on to the store, in worker
threads, a row per file, and "Saved to NAME" (or Retry if storage or Telegram failed)."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import datetime
from pathlib import Path
from typing import cast

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError

from bot.downloads import DownloadError, FileTooBig, download
from bot.features.attachments.state import (
    DONE_STATES,
    RUN,
    Done,
    Item,
    Pending,
    describe,
    files_of,
    keep,
    pending_of,
    saving_here,
    what,
)
from bot.handling import Ctx
from bot.views import files as views
from crm_core.errors import CRMError, NotFound, StorageUnavailable
from crm_core.models import Contact
from crm_core.services.captions import likely_then_recent
from crm_core.services.contacts import get_contact
from crm_core.services.files import AttachResult, attach_file, find_duplicate
from crm_core.stages import FileCategory

log = logging.getLogger(__name__)

#: Files moved to storage at the same time by this process (memory and threads stay bounded).
TRANSFER_SLOTS = 2
SLOTS_KEY = "file_transfer_slots"


async def proceed(
    context: Ctx,
    token: str,
    *,
    update: Update | None = None,
    edit: int | None = None,
) -> None:
    """Ask what is still unknown about a pending attachment, or save it.

    ``edit`` is the id of the bot message to turn into the next question (a tapped question);
    without it a new message is sent. ``update`` is the update being handled, if any: the save
    then runs as a task tied to it; from a job it is awaited.
    """
    pending = pending_of(context, token)
    pending.asked = True
    named = what(pending)
    if pending.contact_id is None:
        contacts = await context.run_db(likely_then_recent, pending.likely)
        text, markup = views.contact_question(named, contacts, token)
        pending.msg = await _show(context, pending.chat_id, text, markup, edit)
        return
    try:
        contact = await context.run_db(get_contact, pending.contact_id)
    except NotFound:
        await drop(context, token, views.contact_gone_text(), edit)
        return
    if pending.category is None:
        if all(item.kind == "photo" for item in pending.items):
            pending.category = FileCategory.PHOTO.value
            pending.auto = True
        else:
            text, markup = views.category_question(named, contact, token)
            pending.msg = await _show(context, pending.chat_id, text, markup, edit)
            return
    await start_save(context, token, contact, update=update, edit=edit)


async def start_save(
    context: Ctx,
    token: str,
    contact: Contact,
    *,
    update: Update | None,
    edit: int | None,
) -> None:
    """Mark the attachment as being saved by this process, then save it (as a task tied to
    ``update`` if there is one)."""
    pending = pending_of(context, token)
    if saving_here(pending):
        raise CRMError("Already saving — one moment.")
    pending.saving = RUN
    if edit is not None:
        text = views.saving_text(what(pending), contact.name)
        try:
            pending.msg = await _show(context, pending.chat_id, text, None, edit)
        except BaseException:
            pending.saving = None
            raise
    work = _save(context, token, pending, contact)
    if update is None:
        await work
    else:
        context.application.create_task(work, update=update, name=f"attach:{token}")


def _slots(context: Ctx) -> asyncio.Semaphore:
    slots = context.application.bot_data.get(SLOTS_KEY)
    if slots is None:
        slots = context.application.bot_data[SLOTS_KEY] = asyncio.Semaphore(TRANSFER_SLOTS)
    return cast(asyncio.Semaphore, slots)


async def _save(context: Ctx, token: str, pending: Pending, contact: Contact) -> None:
    """Save every not-yet-saved item, then confirm; on failure offer Retry."""
    failure: str | None = None
    try:
        async with _slots(context):
            for item in pending.items:
                if item.state in DONE_STATES:
                    continue
                try:
                    result = await _save_item(context, pending, item, context.admin)
                except FileTooBig:
                    item.state = "toobig"
                    continue
                except StorageUnavailable as err:
                    log.warning("Storage unavailable while attaching: %s", err.detail)
                    failure = "storage"
                    break
                except (DownloadError, NetworkError) as err:  # BadRequest is a NetworkError
                    log.warning("Couldn't download a file from Telegram: %s", err)
                    failure = "download"
                    break
                except NotFound:
                    await drop(context, token, views.contact_gone_text(), pending.msg)
                    return
                row = result.file
                item.state = "dup" if result.duplicate else "saved"
                item.row_id = row.id
                item.stored_name = row.file_name
                item.stored_size = row.file_size
                item.saved_at = row.created_at.isoformat()
    finally:
        pending.saving = None
    if failure is not None:
        saved = sum(1 for i in pending.items if i.state in ("saved", "dup"))
        text = (
            views.storage_down_text(saved, len(pending.items))
            if failure == "storage"
            else views.download_failed_text()
        )
        markup = views.retry_keyboard(contact.id, token)
        pending.msg = await _show(context, pending.chat_id, text, markup, pending.msg)
        return
    await _confirm(context, token, pending, contact)


async def _save_item(context: Ctx, pending: Pending, item: Item, user_id: int) -> AttachResult:
    """One file: skip it if the contact has it already, else Telegram -> temp file -> store."""
    contact_id, category = pending.contact_id, pending.category
    assert contact_id is not None  # asked before saving
    assert category is not None  # asked (or chosen for photos) before saving
    duplicate = await context.run_db(find_duplicate, contact_id, item.unique_id)
    if duplicate is not None:
        return AttachResult(duplicate, duplicate=True)
    store = context.crm.file_store()
    path = await asyncio.to_thread(_temp_path)
    try:
        await download(context.bot, item.file_id, path)
        return await context.run_db(
            attach_file,
            store,
            contact_id,
            path,
            file_name=item.name,
            mime_type=item.mime,
            category=category,
            uploaded_by=user_id,
            caption=pending.caption,
            telegram_file_id=item.file_id,
            telegram_file_unique_id=item.unique_id,
            telegram_kind=item.kind,
            now=context.crm.clock(),
        )
    finally:
        await asyncio.to_thread(path.unlink, True)


def _temp_path() -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="crm-attach-", delete=False)  # noqa: SIM115
    handle.close()
    return Path(handle.name)


async def _confirm(context: Ctx, token: str, pending: Pending, contact: Contact) -> None:
    box = files_of(context.user_state)
    box.pending.pop(token, None)
    assert pending.category is not None  # asked before saving
    done = Done(
        contact_id=contact.id,
        contact_name=contact.name,
        category=pending.category,
        file_ids=[i.row_id for i in pending.items if i.state == "saved" and i.row_id is not None],
        outcomes=[
            (
                item.stored_name or item.name or describe([item]),
                item.stored_size if item.stored_size is not None else item.size,
                item.state or "toobig",
                item.saved_at,
            )
            for item in pending.items
        ],
        auto=pending.auto,
    )
    if done.file_ids:
        keep(box.done, token, done)
    text, markup = confirmation(context, token, done)
    await _show(context, pending.chat_id, text, markup, pending.msg)


def confirmation(context: Ctx, token: str, done: Done) -> tuple[str, InlineKeyboardMarkup]:
    """ "Saved to NAME", with "Change category" while it can still be changed."""
    outcomes = [
        views.Outcome(name, size, state, datetime.fromisoformat(at) if at else None)
        for name, size, state, at in done.outcomes
    ]
    text = views.saved_text(done.contact_name, done.category, outcomes, context.tz)
    markup = views.saved_keyboard(
        done.contact_id, token, can_change=bool(done.auto and done.file_ids)
    )
    return text, markup


async def drop(context: Ctx, token: str, text: str, edit: int | None) -> None:
    """Forget a pending attachment, saying why in its message."""
    pending = files_of(context.user_state).pending.pop(token, None)
    if pending is not None:
        await _show(context, pending.chat_id, text, None, edit)


async def _show(
    context: Ctx,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None,
    edit: int | None,
) -> int:
    """Edit message ``edit`` (if given and still there), else send; return the message id."""
    if edit is not None:
        try:
            await context.bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=edit,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            return edit
        except BadRequest as err:
            if "not modified" in err.message.lower():
                return edit
            log.info("Couldn't edit message %s (%s); sending a new one", edit, err.message)
    sent = await context.bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )
    return sent.message_id
