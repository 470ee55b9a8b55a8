"""Who may use the bot: listed admins, in private chats. Runs before every other handler."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes, TypeHandler

from bot import texts
from bot.runtime import crm, run_db
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
        return
    limiter: RefusalLimiter = context.application.bot_data.setdefault(
        "refusals", RefusalLimiter()
    )
    if update.callback_query is not None:
        await update.callback_query.answer(texts.REFUSAL_SHORT)
    if chat is not None and limiter.allow(user.id):
        log.info("Refused non-admin %s", user.id)
        await context.bot.send_message(chat.id, texts.refusal(user.id))
    raise ApplicationHandlerStop


async def dedupe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop an update we've already acted on (webhook retry, restart before confirming)."""
    if not await run_db(context, claim_update, update.update_id):
        log.info("Dropped duplicate update %s", update.update_id)
        raise ApplicationHandlerStop


def handlers() -> list[tuple[int, TypeHandler[Update, ContextTypes.DEFAULT_TYPE]]]:
    return [
        (GATE_GROUP, TypeHandler(Update, gate)),
        (DEDUPE_GROUP, TypeHandler(Update, dedupe)),
    ]
