"""The composition root: ``build_application(settings)`` wires everything together.

What is registered where. PTB offers an update to each group in turn, lowest first, and within
a group to the first handler that matches; a handler raising ``ApplicationHandlerStop`` ends it.

  group  registered (module)                          why here
  -----  -------------------------------------------  ---------------------------------------
  -2     gate: admins in private chats (bot.gate)      before anything reads or writes a thing
  -1     dedupe: claim the update id (bot.gate)        a redelivery stops before any handler;
                                                       texts and card buttons outside forms
                                                       are claimed by the handler's own
                                                       transaction or first Bot API call
                                                       (bot/claims.py)
   0     attach search (conversations.attach)          asked aside, over a form that stays
                                                       open: while open, typed text is its own
   1     add contact (conversations.add_contact)       forms, one group each: a form that
   2     note (conversations.note)                     ends or is left never swallows the
   3     edit contact (conversations.edit_contact)     update, which the next group (or the
   4     follow-up (conversations.followup)            features) then handles
   5     typed setting (conversations.settings)
   7     lost reason (conversations.lost_reason)       LOST_REASON_GROUP: the optional question
                                                       after a move to Lost, a form like the
                                                       others
   8     add job (conversations.add_job)               JOBS_FORM_GROUP: a form like the others
   9     forwarded from a person (features.forwarded)  FORWARDED_GROUP: after the forms (a form
                                                       takes it as an answer), before the
                                                       plain-text search
   9     /email mailbox setup (conversations.email)    FEATURES_GROUP - 1: after the forwarded
                                                       offer, before the plain-text search
  10     menu, lists, trash, export (features.menu)   FEATURES_GROUP: stateless commands and
         card, /find, search (features.cards)         buttons; in features.cards the
         attachments (features.attachments)           reply-note comes before the plain-text
         files of a contact (features.file_list)      search, which takes any text left
         digest items, /digest (features.digests)
         /settings screens (features.settings)
         /email status, a contact's emails
           (features.email)
         jobs of a contact (features.jobs)
         /report (features.report)
         /app, the Mini App (features.miniapp)
  10     unclaimed_button, unknown_command (last)     every button is answered and every
                                                       command replied to, even unknown ones

Every callback here (handlers, the error handler, jobs) gets a ``bot.context.CrmContext``:
``context.crm``, the acting admin (``context.admin``, ``.tz``, ``.today``), their
``context.user_state`` and ``context.run_db``.

``texts.COMMANDS`` (the menu Telegram shows) is exactly the commands registered here, with
/skip, which the questions that can be skipped offer themselves, and /app
(``texts.APP_COMMAND``), in the menu only when PUBLIC_URL is set (``tests/unit/test_app.py``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import time

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import startup, texts
from bot.claims import ClaimingRequest
from bot.context import CrmContext
from bot.conversations import (
    add_contact,
    add_job,
    attach,
    edit_contact,
    followup,
    lost_reason,
    note,
)
from bot.conversations import email as email_conversation
from bot.conversations import settings as settings_conversation
from bot.errors import on_error
from bot.features import (
    attachments,
    cards,
    digests,
    file_list,
    forwarded,
    jobs,
    menu,
    miniapp,
    report,
)
from bot.features import email as email_feature
from bot.features import settings as settings_feature
from bot.features.attachments import resuming
from bot.gate import handlers as gate_handlers
from bot.handling import Ctx, unclaimed_button
from bot.persistence import DatabasePersistence, WriteThroughApplication
from bot.runtime import BOT_DATA_KEY, Crm, in_transaction
from bot.transport import AiohttpRequest
from crm_core.config import Settings, redact_url
from crm_core.db import make_engine, make_session_factory, refresh_statistics
from crm_core.migrate import upgrade
from crm_core.models import User
from crm_core.services.ledger import prune_ledgers
from crm_core.services.trash import purge_trash
from crm_core.services.updates import prune_updates
from crm_core.services.users import sync_admins
from crm_core.storage import make_store
from web.server import serve_until_signal

log = logging.getLogger(__name__)

FORWARDED_GROUP = 9
FEATURES_GROUP = 10
#: Issue 12's Add job form: a conversation group of its own, below the features.
JOBS_FORM_GROUP = 8
#: Issue 12's lost-reason question (after a move to Lost): a conversation group of its own.
LOST_REASON_GROUP = 7

#: PTB's loggers whose DEBUG lines carry whole updates (message texts).
UPDATE_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Application")


def _no_debug(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.INFO


PURGE_TIME = time(3, 30)


def build_application(
    settings: Settings,
    *,
    engine: Engine | None = None,
    migrate_sqlite: bool = True,
    rate_limit: bool = True,
) -> Application:
    """Build the bot. SQLite is migrated here; PostgreSQL by the Procfile's release phase.
    ``rate_limit=False`` drops Telegram's flood limits (30 messages/s): for benchmarks only."""
    settings.require_bot()
    # PTB's debug lines print whole updates, passwords typed into /email included: whatever
    # the level, they never reach a log (its other lines are left as they were).
    for name in UPDATE_LOGGERS:
        logging.getLogger(name).addFilter(_no_debug)
    if migrate_sqlite and settings.is_sqlite:
        upgrade(settings.database_url)
    engine = engine or make_engine(settings.database_url)
    factory = make_session_factory(engine)
    builder = (
        ApplicationBuilder()
        .application_class(WriteThroughApplication)
        .token(settings.telegram_token or "")
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        # Bot API calls claim the update being handled first, if nothing has (bot/claims.py).
        .request(ClaimingRequest(connection_pool_size=256))
        .get_updates_request(AiohttpRequest())
        .persistence(DatabasePersistence(factory))
        # Every handler, job and error handler gets a CrmContext: context.crm, context.admin,
        # context.today, context.run_db (bot/context.py).
        .context_types(ContextTypes(context=CrmContext))
        .post_init(_post_init)
    )
    if rate_limit:
        builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    application.bot_data[BOT_DATA_KEY] = Crm(
        settings=settings, engine=engine, session_factory=factory, store=make_store(settings)
    )
    for group, handler in gate_handlers():
        application.add_handler(handler, group=group)
    # The attach search first: it is asked aside, over a form that stays open, and while it
    # is open typed text is its own.
    for group, conversation in enumerate(
        [
            attach.conversation(),
            add_contact.conversation(),
            note.conversation(),
            edit_contact.conversation(),
            followup.conversation(),
            settings_conversation.conversation(),
        ]
    ):
        application.add_handler(conversation, group=group)
    # A form open takes a forwarded text as its answer; otherwise "Add as contact" is offered
    # and the update stops here (it is not a search).
    application.add_handler(forwarded.handler(), group=FORWARDED_GROUP)
    for handler in [
        *menu.handlers(),
        *cards.handlers(),
        *attachments.handlers(),
        *file_list.handlers(),
        *digests.handlers(),
        *settings_feature.handlers(),
    ]:
        application.add_handler(handler, group=FEATURES_GROUP)
    # Email history (issue 13): /email is a conversation in its own group (after the others);
    # its status buttons and the card's emails are stateless features.
    application.add_handler(email_conversation.conversation(), group=FEATURES_GROUP - 1)
    for handler in email_feature.handlers():
        application.add_handler(handler, group=FEATURES_GROUP)
    # Jobs and /report (issue 12): the Add job form, then the job buttons and the offers.
    application.add_handler(add_job.conversation(), group=JOBS_FORM_GROUP)
    application.add_handler(lost_reason.conversation(), group=LOST_REASON_GROUP)
    for handler in [*jobs.handlers(), *report.handlers()]:
        application.add_handler(handler, group=FEATURES_GROUP)
    # The Mini App (/app; the menu button is set in _post_init).
    for handler in miniapp.handlers():
        application.add_handler(handler, group=FEATURES_GROUP)
    # Keep these last in their group: every callback query is answered, even one nobody
    # claims, and every command, even one nobody knows (/lsit).
    application.add_handler(CallbackQueryHandler(unclaimed_button), group=FEATURES_GROUP)
    application.add_handler(
        MessageHandler(filters.COMMAND, menu.unknown_command), group=FEATURES_GROUP
    )
    application.add_error_handler(on_error)
    return application


async def _post_init(application: Application) -> None:
    services: Crm = application.bot_data[BOT_DATA_KEY]
    settings = services.settings

    def sync(session: Session) -> list[User]:
        sync_admins(session, settings.admins)
        return list(session.query(User).filter(User.active))

    users = await in_transaction(services.session_factory, sync)
    await in_transaction(services.session_factory, refresh_statistics)
    services.user_ids = {u.telegram_user_id: u.id for u in users}
    services.timezones = {u.telegram_user_id: u.timezone for u in users if u.timezone}
    commands = [*texts.COMMANDS, texts.APP_COMMAND] if settings.public_url else texts.COMMANDS
    await application.bot.set_my_commands([BotCommand(c, d) for c, d in commands])
    if settings.public_url:  # each admin's own chat; never the default for everyone
        await miniapp.set_menu_buttons(application.bot, settings.public_url, services.user_ids)
    if application.job_queue is not None:
        application.job_queue.run_daily(
            _daily_housekeeping, PURGE_TIME.replace(tzinfo=settings.tz), name="housekeeping"
        )
    digests.schedule(application)  # digests and timed reminders, from the database's ledger
    resuming.resume(application)  # files a stop left unasked or half-saved (issue 9)
    email_feature.schedule(application)  # mail sync every IMAP_SYNC_MINUTES
    mode = "webhook" if settings.webhook_url else "polling"
    bucket, folder = settings.s3_bucket, settings.file_storage_dir
    storage = f"s3://{bucket}" if bucket else f"local:{folder}"
    log.info(
        "V3 CRM bot started: mode=%s database=%s storage=%s admins=%d",
        mode,
        redact_url(settings.database_url),
        storage,
        len(users),
    )


async def _daily_housekeeping(context: Ctx) -> None:
    """Empty the trash of old contacts and prune old rows (the daily job).

    Erase contacts trashed over 30 days ago (then their stored files, and the files whose
    deletes failed before), forget old update ids and delivery ledger rows, and refresh
    SQLite's planner statistics."""
    services = context.crm
    now = services.clock()

    def work(session: Session) -> tuple[list[str], int, int]:
        purged = purge_trash(session, now=now)
        pruned = prune_updates(session, now=now) + prune_ledgers(session, now)
        refresh_statistics(session)
        return purged.storage_keys, len(purged.contact_ids), pruned

    keys, purged, pruned = await in_transaction(services.session_factory, work)
    await services.delete_objects(keys)  # after the commit; failures are retried next run
    log.info("Housekeeping: purged %d trashed contacts, pruned %d old log rows", purged, pruned)


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token: WEBHOOK_SECRET, or one
    derived from the token so that restarts agree without more configuration."""
    if settings.webhook_secret:
        return settings.webhook_secret
    return hashlib.sha256(f"v3crm:{settings.telegram_token}".encode()).hexdigest()


#: The port of webhook mode when $PORT is not set (one Telegram accepts for webhooks).
WEBHOOK_PORT = 8443


def run(settings: Settings) -> int:
    """Check what the bot needs (bot/startup.py), then run it until it stops; return the exit
    status. Raises ConfigError or StartupError, each with one sentence.

    Webhook mode when WEBHOOK_URL is set, else polling. With a webhook or $PORT, one aiohttp
    server (web/) serves the webhook, the Mini App, its API and /healthz: it binds the port
    first and then waits for Telegram, so a web dyno answers /healthz during a Telegram outage
    instead of being killed for not binding $PORT."""
    settings.require_durable_storage()
    try:
        application = build_application(settings)  # migrates SQLite
    except SQLAlchemyError as err:
        raise startup.database_error(settings.database_url, err) from None
    startup.require_database(settings.database_url)
    if settings.webhook_url or settings.port is not None:
        asyncio.run(
            serve_until_signal(
                application,
                host="0.0.0.0",  # noqa: S104 - Heroku routes to the dyno's $PORT
                port=settings.port if settings.port is not None else WEBHOOK_PORT,
                webhook_secret=webhook_secret(settings),
                before_start=lambda: startup.reach_telegram(application.bot, settings),
            )
        )
    else:
        # PTB's run_polling uses the current event loop: wait for Telegram on that same loop.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(startup.reach_telegram(application.bot, settings))
        except BaseException:
            loop.close()
            raise
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return int(application.bot_data.get(startup.EXIT_STATUS, 0))
