"""Who may use the bot: listed admins, in private chats. Runs before every other handler."""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import Engine
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, TypeHandler

from bot import texts
from bot.runtime import crm
from crm_core.services.updates import claim_update

log = logging.getLogger(__name__)

REFUSAL_INTERVAL = 3600.0
GATE_GROUP = -2
DEDUPE_GROUP = -1


class RefusalLimiter:
    """At most one refusal per user per interval; kept in memory (nothing is written)."""

    def __init__(self, interval: float = REFUSAL_INTERVAL) -> None:
        self.interval = interval
        self._last: dict[int, float] = {}

    def allow(self, user_id: int) -> bool:
        now = time.monotonic()
        last = self._last.get(user_id)
        if last is not None and now - last < self.interval:
            return False
        self._last[user_id] = now
        return True


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Let admins in private chats through; refuse other people once an hour; ignore the rest."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or (chat is not None and chat.type != ChatType.PRIVATE):
        raise ApplicationHandlerStop
    if user.id in crm(context).settings.admin_ids:
        if update.edited_message is not None:
            # An edit would replay the message as new input: a second note, or the answer to
            # whatever the form asks now. Say so instead of acting on it.
            try:
                await context.bot.send_message(chat.id if chat else user.id, texts.EDIT_IGNORED)
            except Exception:  # never let the edit through because the notice failed
                log.warning("Couldn't tell admin %s edits are ignored", user.id, exc_info=True)
            raise ApplicationHandlerStop
        return
    limiter: RefusalLimiter = context.application.bot_data.setdefault(
        "refusals", RefusalLimiter()
    )
    # Whatever happens while refusing (blocked bot, flood limit, an old query), the update
    # must stop here: an exception would let PTB carry on with the next handler groups.
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.REFUSAL_SHORT)
        if chat is not None and limiter.allow(user.id):
            log.info("Refused non-admin %s", user.id)
            await context.bot.send_message(chat.id, texts.refusal(user.id))
    except Exception:
        log.warning("Couldn't tell non-admin %s they're refused", user.id, exc_info=True)
    raise ApplicationHandlerStop


def _claim(engine: Engine, bot_id: int, update_id: int) -> bool:
    # A bare connection in AUTOCOMMIT mode: the claim is one statement and its own
    # transaction (no ORM session, no BEGIN/COMMIT round trips), before every update.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return claim_update(connection, bot_id, update_id)


async def dedupe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop an update we've already acted on (webhook retry, restart before confirming)."""
    try:
        fresh = await asyncio.to_thread(
            _claim, crm(context).engine, context.bot.id, update.update_id
        )
    except Exception as err:
        # Unclaimed, it must not be acted on: PTB would go on to the next groups after an
        # error here. Report it like any failure (the admin hears nothing was saved), stop.
        await context.application.process_error(update, err)
        raise ApplicationHandlerStop from err
    if not fresh:
        log.info("Dropped duplicate update %s", update.update_id)
        raise ApplicationHandlerStop


def handlers() -> list[tuple[int, BaseHandler[Update, ContextTypes.DEFAULT_TYPE, object]]]:
    return [
        (GATE_GROUP, TypeHandler(Update, gate)),
        (DEDUPE_GROUP, TypeHandler(Update, dedupe)),
    ]
