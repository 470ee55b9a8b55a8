"""Who may use the bot: listed admins, in private chats. Runs before every other handler."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot import claims, texts
from bot.actions import DELETE, DELETE_YES, NOTES, OPEN, STAGE_MENU, STAGE_SET, UNDO
from bot.claims import UpdateClaim
from bot.handling import FORM_KEYS, Ctx
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


async def gate(update: Update, context: Ctx) -> None:
    """Let admins in private chats through; refuse other people once an hour; ignore the rest."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or (chat is not None and chat.type != ChatType.PRIVATE):
        raise ApplicationHandlerStop
    if user.id in context.crm.settings.admin_ids:
        if update.edited_message is not None:
            # An edit would replay the message as new input: a second note, or the answer to
            # whatever the form asks now. Say so instead of acting on it.
            try:
                await context.bot.send_message(chat.id if chat else user.id, texts.EDIT_IGNORED)
            except Exception:  # never let the edit through because the notice failed
                log.warning("Couldn't tell admin %s edits are ignored", user.id, exc_info=True)
            raise ApplicationHandlerStop
        return
    limiter: RefusalLimiter = context.application.bot_data.setdefault("refusals", RefusalLimiter())
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


async def dedupe(update: Update, context: Ctx) -> None:
    """Drop an update we've already acted on (webhook retry, restart before confirming).

    A text or a button press outside any form is claimed by the handler's own transaction or
    first Bot API call (``bot.claims``): what the features do with one changes nothing in
    memory before that. Anything else (a command, a form's answer, a file) is claimed here,
    alone, before any handler sees it: a form's step keeps its answer in memory first."""
    claim = UpdateClaim(
        context.application, update, context.crm.engine, context.bot.id, claim_update
    )
    claims.CURRENT.set(claim)
    if not _claimed_lazily(update, context):
        await claim.ensure()  # raises ApplicationHandlerStop on a duplicate or a failure


#: Card buttons whose handlers change nothing in memory before their database trip.
LAZY_ACTIONS = frozenset[str]({OPEN, STAGE_MENU, STAGE_SET, DELETE, DELETE_YES, UNDO, NOTES})


def _claimed_lazily(update: Update, context: Ctx) -> bool:
    """A plain text (a search, or a reply to a card: a note) or a card button, with no form
    open: claimed by the handler's own transaction (or first Bot API call)."""
    if context.user_state and any(key in context.user_state for key in FORM_KEYS):
        return False
    query = update.callback_query
    if query is not None:
        return str(query.data).partition(":")[0] in LAZY_ACTIONS
    message = update.message
    return (
        message is not None
        and message.text is not None
        and not message.text.startswith("/")
        and message.forward_origin is None
    )


def handlers() -> list[tuple[int, BaseHandler[Update, Ctx, object]]]:
    return [
        (GATE_GROUP, TypeHandler(Update, gate)),
        (DEDUPE_GROUP, TypeHandler(Update, dedupe)),
    ]
