"""Why a deal was lost: the stage menu's lost stage moves the contact (as any stage does),
then asks for an optional one-line reason — typed, or Skip. ``/report`` lists the reasons."""

from __future__ import annotations

from enum import IntEnum

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.actions import LOST_SKIP, STAGE_LOST
from bot.callbacks import Cb, pattern
from bot.features.cards import move_stage
from bot.handling import LEFT, Ctx, Toast, button_step, form_exits, reply, start_form, step
from bot.views.common import esc
from bot.views.forms import lost_reason_keyboard
from crm_core.errors import ValidationError
from crm_core.services.contacts import get_contact
from crm_core.services.lost_reasons import record_lost_reason

KEY = "lost_reason"


class State(IntEnum):
    REASON = 1


async def _ask(update: Update, contact_id: int, name: str, problem: str = "") -> int:
    text = (f"⚠️ {esc(problem)}\n\n" if problem else "") + (
        f"Why was <b>{esc(name)}</b> lost? One line (it shows in /report), or Skip."
    )
    await reply(update, text, lost_reason_keyboard(contact_id))
    return State.REASON


@button_step
async def lost_button(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Move the contact to the lost stage, then ask why."""
    refused = await move_stage(update, context, cb.id, STAGE_LOST.arg(cb))
    if refused is not None:
        return refused
    contact = await context.run_db(get_contact, cb.id)
    start_form(context, KEY, {"contact_id": contact.id, "name": contact.name})
    return await _ask(update, contact.id, contact.name)


@step
async def reason_typed(update: Update, context: Ctx) -> int:
    """Keep the typed line as the lost reason, or ask again with what is wrong with it."""
    assert update.effective_message is not None
    draft = context.user_state.get(KEY)
    if not draft:
        return LEFT  # the question was left for another form: this text is for that one
    contact_id, name = draft["contact_id"], draft["name"]
    try:
        kept = await context.run_db(
            record_lost_reason, contact_id, update.effective_message.text or ""
        )
    except ValidationError as err:
        if err.field == "lost_reason":  # the answer itself: the same question again
            return await _ask(update, contact_id, name, err.message)
        context.user_state.pop(KEY, None)  # moved on meanwhile: nothing to ask any more
        await reply(update, f"⚠️ {esc(err.message)}")
        return ConversationHandler.END
    context.user_state.pop(KEY, None)
    await reply(update, f"✅ Lost reason kept for <b>{esc(name)}</b>: {esc(kept.reason)}")
    return ConversationHandler.END


@button_step
async def no_reason_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Leave the contact lost without a reason."""
    draft = context.user_state.get(KEY)
    if draft is not None and draft.get("contact_id") == cb.id:
        context.user_state.pop(KEY, None)
    await reply(update, "OK, no reason kept.", edit=True)
    return ConversationHandler.END


def conversation() -> ConversationHandler[Ctx]:
    return ConversationHandler(
        name="lost_reason",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(lost_button, pattern=pattern(STAGE_LOST))],
        states={
            State.REASON: [
                CallbackQueryHandler(no_reason_button, pattern=pattern(LOST_SKIP)),
                MessageHandler(filters.TEXT & ~filters.COMMAND, reason_typed),
            ]
        },
        fallbacks=form_exits(KEY),
    )
