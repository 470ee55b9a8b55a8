"""The one error handler: log the update, tell the admin; never silence."""

from __future__ import annotations

import contextlib
import html
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden

from bot import texts
from bot.handling import Ctx
from bot.startup import on_conflict
from crm_core.errors import CRMError

log = logging.getLogger(__name__)


async def on_error(update: object, context: Ctx) -> None:
    """Log the error with its update and tell the admin in one sentence."""
    error = context.error
    if isinstance(error, Conflict) and update is None:  # from getUpdates: another consumer
        on_conflict(context.application, error)
        return
    if isinstance(error, CRMError):
        message = str(error)
    else:
        log.error("Unhandled error in update %s", _describe(update), exc_info=error)
        message = texts.SOMETHING_WRONG
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            with contextlib.suppress(BadRequest):  # answered already, or too old
                await update.callback_query.answer()
        if update.effective_chat is not None:
            await update.effective_chat.send_message(
                html.escape(message), parse_mode=ParseMode.HTML
            )
    except (BadRequest, Forbidden):
        log.warning("Couldn't tell the user about the error", exc_info=True)


def _describe(update: object) -> str:
    if isinstance(update, Update):
        return f"{update.update_id} {update.to_dict()!r}"[:2000]
    return repr(update)[:2000]
