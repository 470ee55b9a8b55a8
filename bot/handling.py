"""Decorators and reply helpers shared by every handler module.

``on_button`` decodes callback data with the one codec, turns typed CRM errors into a friendly
answer and guarantees that every callback query is answered. ``step`` marks a conversation step
as having consumed the update, so later handler groups don't see it too.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.callbacks import Cb, StaleButton
from crm_core.errors import CRMError, NotFound

log = logging.getLogger(__name__)

Ctx = ContextTypes.DEFAULT_TYPE
ButtonFn = Callable[[Update, Ctx, Cb], Awaitable[Any]]


def on_button(fn: ButtonFn) -> Callable[[Update, Ctx], Awaitable[Any]]:
    """Decode the button, run ``fn``, answer the query (with the error sentence if any)."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Ctx) -> Any:
        query = update.callback_query
        assert query is not None
        answer: str | None = None
        try:
            cb = Cb.decode(query.data)
        except StaleButton:
            await query.answer(texts.STALE_BUTTON)
            return None
        try:
            return await fn(update, context, cb)
        except NotFound as err:
            answer = str(err) or texts.GONE
            return None
        except CRMError as err:
            answer = str(err)
            return None
        finally:
            await _answer(query, answer)

    return wrapper


async def _answer(query: Any, text: str | None) -> None:
    try:
        await query.answer(text[:200] if text else None, show_alert=bool(text and len(text) > 60))
    except BadRequest as err:  # answered already, or too old: nothing left to tell
        log.debug("Couldn't answer callback query: %s", err)


def step(fn: Callable[[Update, Ctx], Awaitable[int]]) -> Callable[[Update, Ctx], Awaitable[int]]:
    """A conversation step: returns the next state and stops other groups seeing the update."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Ctx) -> int:
        raise ApplicationHandlerStop(await fn(update, context))

    return wrapper


def button_step(fn: ButtonFn) -> Callable[[Update, Ctx], Awaitable[int]]:
    """A conversation step reached by a button: decoded, answered, and consuming the update."""
    return step(on_button(fn))


async def reply(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = False,
) -> Message | None:
    """Edit the message a button sits on (when ``edit``), else send a new message."""
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        try:
            result = await query.edit_message_text(
                text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except BadRequest as err:
            if "not modified" in str(err).lower():
                return None
            raise
        return result if isinstance(result, Message) else None
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)


def text_of(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message else ""
