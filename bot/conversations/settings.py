"""/settings → "Type a time" / "Type another" timezone: one typed answer, checked and stored.

A wrong answer is explained and asked again; /cancel (or any other command or button) leaves.
Like every form it keeps a draft (``user_data["settings"]``): starting another form drops it,
and the typed step then lets the text go on to where it belongs (``LEFT``).
"""

from __future__ import annotations

from enum import IntEnum

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.actions import SETTINGS_ASK
from bot.callbacks import Cb, pattern
from bot.features.cards import note_from_reply
from bot.features.settings import remember_timezone, show_settings
from bot.handling import LEFT, Ctx, button_step, form_exits, reply, start_form, step, text_of
from bot.views.settings import ask_time_text, ask_timezone_text
from crm_core.errors import ValidationError
from crm_core.services.preferences import set_digest_time, set_timezone

KEY = "settings"


class State(IntEnum):
    TIME = 1
    TIMEZONE = 2


@button_step
async def typed_setting_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Ask for the typed value the button stands for."""
    asked = SETTINGS_ASK.arg(cb)
    start_form(context, KEY, {"ask": asked})
    if asked == "tz":
        await reply(update, ask_timezone_text())
        return State.TIMEZONE
    await reply(update, ask_time_text())
    return State.TIME


@step
async def time_typed(update: Update, context: Ctx) -> int:
    """Store a typed digest time, or explain and ask again."""
    if not _has_draft(context):
        return LEFT  # left for another form: this text is for that one
    if await _noted_elsewhere(update, context):
        await reply(update, ask_time_text())
        return State.TIME
    try:
        await context.run_db(set_digest_time, context.admin, text_of(update))
    except ValidationError as err:
        await reply(update, ask_time_text(err.message))
        return State.TIME
    _drop(context)
    await show_settings(update, context)
    return ConversationHandler.END


@step
async def timezone_typed(update: Update, context: Ctx) -> int:
    """Store a typed timezone, or explain and ask again."""
    if not _has_draft(context):
        return LEFT  # left for another form: this text is for that one
    if await _noted_elsewhere(update, context):
        await reply(update, ask_timezone_text())
        return State.TIMEZONE
    try:
        user = await context.run_db(set_timezone, context.admin, text_of(update))
    except ValidationError as err:
        await reply(update, ask_timezone_text(err.message))
        return State.TIMEZONE
    _drop(context)
    if user.timezone:
        remember_timezone(context, user.timezone)
    await show_settings(update, context)
    return ConversationHandler.END


async def _noted_elsewhere(update: Update, context: Ctx) -> bool:
    """A reply to a contact's card is that contact's note: added, the question is asked again."""
    return await note_from_reply(update, context, own=frozenset())


def _has_draft(context: Ctx) -> bool:
    return KEY in context.user_state


def _drop(context: Ctx) -> bool:
    """Forget the draft; True if there was one."""
    return context.user_state.pop(KEY, None) is not None


def conversation() -> ConversationHandler[Ctx]:
    return ConversationHandler(
        name="settings",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(typed_setting_button, pattern=pattern(SETTINGS_ASK))],
        states={
            State.TIME: [MessageHandler(filters.TEXT & ~filters.COMMAND, time_typed)],
            State.TIMEZONE: [MessageHandler(filters.TEXT & ~filters.COMMAND, timezone_typed)],
        },
        fallbacks=form_exits(KEY),
    )
