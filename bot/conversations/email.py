"""/email → host → port → TLS/STARTTLS → username → password: connect the admin's mailbox.

One question per message; the host, port and username can be typed or tapped. The password is
typed: its message is deleted from the chat at once (and the bot says so), the login is tested,
and only then is it sealed and stored. It lives in one local variable of ``password_typed``
until ``save_email_config`` seals it: never in the draft (``user_data["email"]``, which is
persisted), never in a log line (an unexpected error there is logged without the update).
"Change password" (on the /email status) starts the form at the password question.
"""

from __future__ import annotations

import asyncio
import logging
from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actions import MAIL_CONNECT, MAIL_HOST, MAIL_PASSWORD, MAIL_PORT, MAIL_SECURITY, MAIL_USER
from bot.callbacks import Cb, pattern
from bot.features.email import secret_box, show_status
from bot.handling import (
    LEFT,
    Ctx,
    Toast,
    button_step,
    form_exits,
    reply,
    start_form,
    step,
    text_of,
)
from bot.views import email as views
from crm_core.errors import CRMError, NotFound, ValidationError
from crm_core.mail.client import MailError, Security, Server, check_mailbox
from crm_core.services import email_config as config_svc

log = logging.getLogger(__name__)
KEY = "email"


class State(IntEnum):
    HOST = 1
    PORT = 2
    SECURITY = 3
    USERNAME = 4
    PASSWORD = 5


@step
async def email_command(update: Update, context: Ctx) -> int:
    """Show the connected mailbox, or start connecting one."""
    services = context.crm
    if not services.settings.email_keys:
        await reply(update, views.NO_KEY)
        return ConversationHandler.END
    try:
        await context.run_db(config_svc.get_email_config, context.admin)
    except NotFound:
        return await _ask_host(update, context)
    await show_status(update, context)
    return ConversationHandler.END


@button_step
async def connect_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Start the form from the "Connect mailbox" button."""
    secret_box(context.crm)  # no key: the operator's sentence, nothing asked
    return await _ask_host(update, context)


async def _ask_host(update: Update, context: Ctx) -> int:
    start_form(context, KEY, {})
    text, markup = views.ask_host(context.crm.settings.imap_default_host)
    await reply(update, text, markup)
    return State.HOST


@button_step
async def password_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Ask only the password again, keeping the server settings."""
    config = await context.run_db(config_svc.get_email_config, context.admin)
    security = (
        Security.TLS
        if config.use_ssl
        else (Security.STARTTLS if config.starttls else Security.PLAIN)
    )
    start_form(
        context,
        KEY,
        {
            "host": config.imap_host,
            "port": config.imap_port,
            "security": security.value,
            "username": config.username,
        },
    )
    await reply(update, views.ask_password(config.username))
    return State.PASSWORD


@step
async def host_typed(update: Update, context: Ctx) -> int:
    """Take the typed IMAP host, then ask the port."""
    draft = _draft(context)
    if draft is None:
        return LEFT
    try:
        draft["host"] = config_svc.clean_host(text_of(update))
    except ValidationError as err:
        text, markup = views.ask_host(context.crm.settings.imap_default_host, err.message)
        await reply(update, text, markup)
        return State.HOST
    return await _ask_port(update)


@button_step
async def default_host_button(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Take the default IMAP host tapped, then ask the port."""
    draft = _draft(context)
    host = context.crm.settings.imap_default_host
    if draft is None or not host:
        return Toast(texts.FORM_CLOSED)
    draft["host"] = host
    return await _ask_port(update)


async def _ask_port(update: Update) -> int:
    text, markup = views.ask_port()
    await reply(update, text, markup)
    return State.PORT


@step
async def port_typed(update: Update, context: Ctx) -> int:
    """Take the typed port, then ask the security."""
    draft = _draft(context)
    if draft is None:
        return LEFT
    try:
        draft["port"] = config_svc.clean_port(text_of(update))
    except ValidationError as err:
        text, markup = views.ask_port(err.message)
        await reply(update, text, markup)
        return State.PORT
    return await _ask_security(update, context)


@button_step
async def port_chosen(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Take the port tapped, then ask the security."""
    draft = _draft(context)
    if draft is None:
        return Toast(texts.FORM_CLOSED)
    draft["port"] = config_svc.clean_port(str(MAIL_PORT.arg(cb)))
    return await _ask_security(update, context)


async def _ask_security(update: Update, context: Ctx) -> int:
    text, markup = views.ask_security(context.crm.settings.imap_allow_plain)
    await reply(update, text, markup)
    return State.SECURITY


@button_step
async def security_chosen(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Take the security tapped (TLS, STARTTLS), then ask the username."""
    draft = _draft(context)
    if draft is None:
        return Toast(texts.FORM_CLOSED)
    allowed = {"tls", "starttls"} | ({"plain"} if context.crm.settings.imap_allow_plain else set())
    security = MAIL_SECURITY.arg(cb)
    if security not in allowed:
        return Toast("Unencrypted IMAP is turned off.")
    draft["security"] = security
    text, markup = views.ask_username(await _offered_username(update, context))
    await reply(update, text, markup)
    return State.USERNAME


@step
async def security_typed(update: Update, context: Ctx) -> int:
    """Ask for a tap again: the security is chosen with the buttons."""
    if _draft(context) is None:
        return LEFT
    await reply(update, texts.USE_BUTTONS)
    return State.SECURITY


async def _offered_username(update: Update, context: Ctx) -> str | None:
    """The address already on file (changing the mailbox), if any."""
    try:
        config = await context.run_db(config_svc.get_email_config, context.admin)
    except NotFound:
        return None
    return config.username


@step
async def username_typed(update: Update, context: Ctx) -> int:
    """Take the typed username, then ask the password."""
    draft = _draft(context)
    if draft is None:
        return LEFT
    username = text_of(update).strip()
    if not username or len(username) > 255:
        text, markup = views.ask_username(None, "Type the username (1-255 characters).")
        await reply(update, text, markup)
        return State.USERNAME
    draft["username"] = username
    await reply(update, views.ask_password(username))
    return State.PASSWORD


@button_step
async def username_button(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Take the username on file tapped, then ask the password."""
    draft = _draft(context)
    username = await _offered_username(update, context)
    if draft is None or username is None:
        return Toast(texts.FORM_CLOSED)
    draft["username"] = username
    await reply(update, views.ask_password(username))
    return State.PASSWORD


@step
async def password_typed(update: Update, context: Ctx) -> int:
    """Delete the password's message, test the login, seal and store the password."""
    draft = _draft(context)
    if draft is None:
        return LEFT
    message = update.effective_message
    assert message is not None
    password = message.text or ""
    try:
        await message.delete()
        await reply(update, views.DELETED_NOTICE)
        return await _test_and_save(update, context, draft, password)
    except CRMError as err:  # no key configured, the contact of a race: one sentence
        await reply(update, views.esc(str(err)))
        _drop(context)
        return ConversationHandler.END
    except (BadRequest, Forbidden) as err:
        log.warning("Mailbox form: Telegram refused a call (%s)", type(err).__name__)
    except Exception:  # never through the error handler: it would log the update's text
        log.exception("Mailbox form failed (the update is not logged: it holds a password)")
    await reply(update, texts.SOMETHING_WRONG)
    _drop(context)
    return ConversationHandler.END


async def _test_and_save(
    update: Update, context: Ctx, draft: dict[str, Any], password: str
) -> int:
    services = context.crm
    box = secret_box(services)
    server = Server(
        host=draft["host"],
        port=draft["port"],
        security=Security(draft["security"]),
        username=draft["username"],
        ca_file=services.settings.imap_ca_file,
        allow_plain=services.settings.imap_allow_plain,
    )
    await reply(update, views.checking_text())
    try:
        folders = await asyncio.to_thread(check_mailbox, server, password)
    except MailError as err:
        await reply(update, views.ask_password(draft["username"], str(err)))
        return State.PASSWORD
    await context.run_db(
        config_svc.save_email_config,
        box,
        context.admin,
        username=server.username,
        password=password,
        host=server.host,
        port=server.port,
        use_ssl=server.security is Security.TLS,
        starttls=server.security is Security.STARTTLS,
    )
    _drop(context)
    await reply(update, views.connected_text(folders))
    await show_status(update, context)
    return ConversationHandler.END


def _draft(context: Ctx) -> dict[str, Any] | None:
    return context.user_state.get(KEY)


def _drop(context: Ctx) -> None:
    context.user_state.pop(KEY, None)


def conversation() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="email",
        persistent=True,
        allow_reentry=True,
        entry_points=[
            CommandHandler("email", email_command),
            CallbackQueryHandler(connect_button, pattern=pattern(MAIL_CONNECT)),
            CallbackQueryHandler(password_button, pattern=pattern(MAIL_PASSWORD)),
        ],
        states={
            State.HOST: [
                MessageHandler(text, host_typed),
                CallbackQueryHandler(default_host_button, pattern=pattern(MAIL_HOST)),
            ],
            State.PORT: [
                MessageHandler(text, port_typed),
                CallbackQueryHandler(port_chosen, pattern=pattern(MAIL_PORT)),
            ],
            State.SECURITY: [
                MessageHandler(text, security_typed),
                CallbackQueryHandler(security_chosen, pattern=pattern(MAIL_SECURITY)),
            ],
            State.USERNAME: [
                MessageHandler(text, username_typed),
                CallbackQueryHandler(username_button, pattern=pattern(MAIL_USER)),
            ],
            State.PASSWORD: [MessageHandler(text, password_typed)],
        },
        fallbacks=form_exits(KEY),
    )
