"""The buttons of the questions about a file: which contact, which category, cancel, retry,
and "Change category" after photos were saved as Photo."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.actions import (
    ATTACH_CANCEL,
    ATTACH_CATEGORY,
    ATTACH_CHANGE,
    ATTACH_CONTACT,
    ATTACH_RETRY,
    ATTACH_SET,
)
from bot.callbacks import Cb
from bot.features.attachments.saving import confirmation, drop, proceed, start_save
from bot.features.attachments.state import Done, files_of, pending_of, saving_here
from bot.handling import Ctx, on_button, reply
from bot.views import files as views
from crm_core.errors import CRMError, NotFound
from crm_core.services.contacts import get_contact
from crm_core.services.files import set_category


def _message_id(update: Update) -> int | None:
    query = update.callback_query
    return query.message.message_id if query and query.message else None


@on_button
async def contact_chosen(update: Update, context: Ctx, cb: Cb) -> None:
    """Take the answer to "Attach to which contact?", then ask on or save."""
    token, contact_id = ATTACH_CONTACT.arg(cb)
    pending = pending_of(context, token)
    contact = await context.run_db(get_contact, contact_id)
    if saving_here(pending):
        raise CRMError("Already saving — one moment.")
    pending.contact_id = contact.id
    await proceed(context, token, update=update, edit=_message_id(update))


@on_button
async def category_chosen(update: Update, context: Ctx, cb: Cb) -> None:
    """Take the category tapped for the files, then save them."""
    token, category = ATTACH_CATEGORY.arg(cb)
    pending = pending_of(context, token)
    pending.category = category.value
    pending.auto = False
    await proceed(context, token, update=update, edit=_message_id(update))


@on_button
async def cancel_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Forget the files the question was about."""
    token = ATTACH_CANCEL.arg(cb)
    pending = pending_of(context, token)
    if saving_here(pending):
        raise CRMError("Already saving — one moment.")
    await drop(context, token, texts.CANCELLED, _message_id(update))


@on_button
async def retry_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Save what wasn't saved now that storage (or Telegram) is back, with the kept ids."""
    token = ATTACH_RETRY.arg(cb)
    pending = pending_of(context, token)
    if pending.contact_id is None or pending.category is None:
        await proceed(context, token, update=update, edit=_message_id(update))
        return
    try:
        contact = await context.run_db(get_contact, pending.contact_id)
    except NotFound:
        await drop(context, token, views.contact_gone_text(), _message_id(update))
        return
    await start_save(context, token, contact, update=update, edit=_message_id(update))


def _done_of(context: Ctx, token: str) -> Done:
    done = files_of(context.user_state).done.get(token)
    if done is None:
        raise NotFound("That's too long ago to change here: open the contact's Files instead.")
    return done


@on_button
async def change_category_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show the categories to pick another for photos saved as Photo."""
    token = ATTACH_CHANGE.arg(cb)
    done = _done_of(context, token)
    query = update.callback_query
    if query is not None:
        await query.edit_message_reply_markup(views.change_keyboard(done.contact_id, token))


@on_button
async def saved_category_chosen(update: Update, context: Ctx, cb: Cb) -> None:
    """Give the saved files the category tapped, and show the confirmation again."""
    token, category = ATTACH_SET.arg(cb)
    done = _done_of(context, token)
    if category:
        rows = await context.run_db(set_category, done.file_ids, category)
        done.category = rows[0].category
        done.auto = True  # keep the "Change category" button
    text, markup = confirmation(context, token, done)
    await reply(update, text, markup, edit=True)
