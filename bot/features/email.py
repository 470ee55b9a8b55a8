"""Email without typing: the /email status and its buttons, the scheduled sync, and a
contact's emails (list, one email, Save attachments, Add as note).

Connecting a mailbox or changing its password is a conversation
(``bot.conversations.email``). IMAP work runs in worker threads like database work.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import Forbidden
from telegram.ext import Application, BaseHandler, CallbackQueryHandler

from bot.actions import (
    EMAIL_NOTE,
    EMAIL_OPEN,
    EMAIL_SAVE,
    EMAILS,
    MAIL_FORGET,
    MAIL_HOME,
    MAIL_PAUSE,
    MAIL_REMOVE,
    MAIL_SYNC,
)
from bot.callbacks import Cb, pattern
from bot.handling import Ctx, Toast, on_button, reply
from bot.runtime import BOT_DATA_KEY, Crm, in_transaction
from bot.views import email as views
from crm_core.crypto import SecretBox
from crm_core.errors import NotFound
from crm_core.mail.attachments import save_attachments
from crm_core.mail.sync import MailOptions, SyncResult, SyncStatus, due_mailboxes, sync_mailbox
from crm_core.services import email_config as config_svc
from crm_core.services.contacts import get_contact
from crm_core.services.emails import email_to_note, forget_mail, get_email, list_emails

log = logging.getLogger(__name__)
JOB_NAME = "mail-sync"
FIRST_SYNC_SECONDS = 60


def secret_box(services: Crm) -> SecretBox:
    """The key ring; ``ConfigError`` (one sentence for the operator) without a key."""
    return SecretBox(services.settings.email_keys)


async def show_status(update: Update, context: Ctx, *, edit: bool = False) -> None:
    """The admin's mailbox screen, or the offer to connect one."""
    services = context.crm
    if not services.settings.email_keys:
        await reply(update, views.NO_KEY, edit=edit)
        return
    try:
        status = await context.run_db(config_svc.mailbox_status, context.admin)
    except NotFound:
        text, markup = views.not_connected()
    else:
        text, markup = views.render_status(status, services.clock(), context.tz)
    await reply(update, text, markup, edit=edit)


@on_button
async def status_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show the mailbox status again."""
    await show_status(update, context, edit=True)


@on_button
async def sync_button(update: Update, context: Ctx, cb: Cb) -> Toast:
    """Start a sync in the background; its outcome comes as a new message."""
    services = context.crm
    box = secret_box(services)
    context.application.create_task(_sync_and_report(update, context, box, context.admin))
    return Toast("Syncing now…")


async def _sync_and_report(update: Update, context: Ctx, box: SecretBox, user_id: int) -> None:
    services = context.crm
    result = await asyncio.to_thread(
        sync_mailbox,
        services.session_factory,
        box,
        user_id,
        MailOptions.of(services.settings),
        now=services.clock(),
        force=True,
    )
    await reply(update, _outcome_text(result))
    await show_status(update, context)


def _outcome_text(result: SyncResult) -> str:
    if result.status is SyncStatus.OK:
        return f"Sync done: {result.stored} new email{'s' if result.stored != 1 else ''} stored."
    if result.status is SyncStatus.LOGIN_REFUSED:
        return views.login_refused_text(result.message)
    return f"Sync didn't run: {views.esc(result.message or 'unknown reason')}"


@on_button
async def pause_button(update: Update, context: Ctx, cb: Cb) -> Toast:
    """Pause or resume the mail sync, then show the status."""
    paused = MAIL_PAUSE.arg(cb) == "1"
    await context.run_db(config_svc.set_paused, context.admin, paused)
    await show_status(update, context, edit=True)
    return Toast("Paused." if paused else "Resumed.")


@on_button
async def remove_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Ask whether to keep the stored emails, then remove the mailbox."""
    user_id = context.admin
    choice = MAIL_REMOVE.arg(cb)
    if choice is not None:
        erased = await context.run_db(
            config_svc.remove_email_config, user_id, forget=choice == "forget"
        )
        await reply(update, views.removed_text(erased), edit=True)
        return
    status = await context.run_db(config_svc.mailbox_status, user_id)
    text, markup = views.remove_prompt(status.stored)
    await reply(update, text, markup, edit=True)


@on_button
async def forget_button(update: Update, context: Ctx, cb: Cb) -> Toast | None:
    """Ask to confirm, then erase the stored emails."""
    user_id = context.admin
    if MAIL_FORGET.arg(cb) == "yes":
        erased = await context.run_db(forget_mail, user_id)
        await show_status(update, context, edit=True)
        return Toast(f"Forgot {erased} email{'s' if erased != 1 else ''}.")
    status = await context.run_db(config_svc.mailbox_status, user_id)
    text, markup = views.forget_prompt(status.stored)
    await reply(update, text, markup, edit=True)
    return None


# -- the scheduled sync ------------------------------------------------------------------


def schedule(application: Application) -> None:
    """Sync every IMAP_SYNC_MINUTES (from ``post_init``); off without a key or at 0."""
    services: Crm = application.bot_data[BOT_DATA_KEY]
    minutes = services.settings.imap_sync_minutes
    if minutes <= 0 or not services.settings.email_keys or application.job_queue is None:
        log.info("Scheduled mail sync is off")
        return
    application.job_queue.run_repeating(
        sync_job,
        interval=minutes * 60,
        first=FIRST_SYNC_SECONDS,
        name=JOB_NAME,
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )


async def sync_job(context: Ctx) -> None:
    """Sync the mailboxes that are due (the job run every IMAP_SYNC_MINUTES)."""
    await sync_due(context.application)


async def sync_due(application: Application) -> None:
    """Sync every mailbox that is due, side by side: one slow or failing never delays
    another. A refused login is told to its admin once."""
    services: Crm = application.bot_data[BOT_DATA_KEY]
    now = services.clock()
    box = secret_box(services)
    options = MailOptions.of(services.settings)
    due = await in_transaction(services.session_factory, due_mailboxes, now)
    results = await asyncio.gather(
        *(
            asyncio.to_thread(sync_mailbox, services.session_factory, box, uid, options, now=now)
            for uid in due
        ),
        return_exceptions=True,
    )
    telegram_ids = {uid: tg for tg, uid in services.user_ids.items()}
    for user_id, result in zip(due, results, strict=True):
        if isinstance(result, BaseException):
            log.error("Mail sync of user %s failed", user_id, exc_info=result)
            continue
        if result.notify and user_id in telegram_ids:
            try:
                await application.bot.send_message(
                    telegram_ids[user_id],
                    views.login_refused_text(result.message),
                    parse_mode=ParseMode.HTML,
                )
            except Forbidden:
                log.warning("User %s blocked the bot: login refusal not told", user_id)


# -- a contact's emails ------------------------------------------------------------------


@on_button
async def emails_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show a page of the contact's emails."""
    page_no = EMAILS.arg(cb)
    contact = await context.run_db(get_contact, cb.id)
    page = await context.run_db(list_emails, cb.id, page_no)
    text, markup = views.email_list(contact.name, contact.id, page, context.tz)
    await reply(update, text, markup, edit=True)


@on_button
async def email_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show one email."""
    row = await context.run_db(get_email, cb.id)
    text, markup = views.render_email(row, context.tz)
    await reply(update, text, markup, edit=True)


@on_button
async def save_files_button(update: Update, context: Ctx, cb: Cb) -> Toast:
    """Save the email's attachments to the contact's files."""
    services = context.crm
    saved = await asyncio.to_thread(
        save_attachments,
        services.session_factory,
        services.file_store(),
        secret_box(services),
        MailOptions.of(services.settings),
        cb.id,
        context.admin,
    )
    await reply(update, views.saved_text(len(saved.files), saved.too_big))
    return Toast("Saved.")


@on_button
async def note_button(update: Update, context: Ctx, cb: Cb) -> Toast:
    """Add the email to the contact as a note."""
    await context.run_db(email_to_note, cb.id, context.admin)
    return Toast("Added as a note.")


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [
        CallbackQueryHandler(status_button, pattern=pattern(MAIL_HOME)),
        CallbackQueryHandler(sync_button, pattern=pattern(MAIL_SYNC)),
        CallbackQueryHandler(pause_button, pattern=pattern(MAIL_PAUSE)),
        CallbackQueryHandler(remove_button, pattern=pattern(MAIL_REMOVE)),
        CallbackQueryHandler(forget_button, pattern=pattern(MAIL_FORGET)),
        CallbackQueryHandler(emails_button, pattern=pattern(EMAILS)),
        CallbackQueryHandler(email_button, pattern=pattern(EMAIL_OPEN)),
        CallbackQueryHandler(save_files_button, pattern=pattern(EMAIL_SAVE)),
        CallbackQueryHandler(note_button, pattern=pattern(EMAIL_NOTE)),
    ]
