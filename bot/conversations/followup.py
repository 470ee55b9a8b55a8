"""The card's "Follow-up" button: quick choices, a typed date, or Clear."""

from __future__ import annotations

from datetime import date
from enum import IntEnum

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actions import FOLLOWUP, FOLLOWUP_ANSWER
from bot.arguments import Cancel, QuickDate, Skip
from bot.callbacks import Cb, StaleButton, pattern
from bot.features.cards import note_from_reply, show_card
from bot.handling import LEFT, Ctx, Toast, button_step, form_exits, reply, start_form, step
from bot.views.common import esc
from bot.views.forms import QUESTIONS, question_markup
from crm_core.errors import ValidationError
from crm_core.services.contacts import get_contact
from crm_core.services.followups import set_followup

KEY = "followup"


class State(IntEnum):
    DATE = 1


async def _ask(update: Update, contact_id: int, name: str, problem: str = "") -> int:
    text = (
        (f"⚠️ {esc(problem)}\n\n" if problem else "")
        + f"<b>{esc(name)}</b> — "
        + QUESTIONS["next_followup_date"].text
    )
    markup = question_markup("next_followup_date", FOLLOWUP_ANSWER, contact_id, skip_label="Clear")
    await reply(update, text, markup)
    return State.DATE


@button_step
async def followup_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Ask when to follow the contact up next."""
    contact = await context.run_db(get_contact, cb.id)
    start_form(context, KEY, {"contact_id": contact.id, "name": contact.name})
    return await _ask(update, contact.id, contact.name)


async def _set(
    update: Update, context: Ctx, contact_id: int, when: date | str | None, *, edit: bool = False
) -> int:
    """Save the date; show the card (in place of the question, when a button was tapped)."""
    await context.run_db(set_followup, contact_id, when, today=context.today)
    return await _done(update, context, contact_id, edit=edit)


async def _done(update: Update, context: Ctx, contact_id: int, *, edit: bool) -> int:
    """Show the card; end the form if it was this contact's (an older question of another
    contact answered meanwhile leaves the newer one open)."""
    draft = context.user_state.get(KEY)
    await show_card(update, context, contact_id, edit=edit)
    if draft is not None and draft.get("contact_id") != contact_id:
        return State.DATE
    context.user_state.pop(KEY, None)
    return ConversationHandler.END


@button_step
async def date_chosen(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Set the follow-up date tapped, or cancel."""
    answer = FOLLOWUP_ANSWER.arg(cb)
    if isinstance(answer, Cancel):
        draft = context.user_state.get(KEY)
        if draft is not None and draft.get("contact_id") != cb.id:
            return Toast(texts.OLD_QUESTION)  # another contact's
        context.user_state.pop(KEY, None)
        await reply(update, texts.CANCELLED, edit=True)
        return ConversationHandler.END
    if isinstance(answer, Skip):  # "Clear"
        return await _set(update, context, cb.id, None, edit=True)
    if isinstance(answer, QuickDate):
        return await _set(update, context, cb.id, answer.on(context.today), edit=True)
    raise StaleButton(cb.arg)  # no other answer is asked here


@step
async def date_typed(update: Update, context: Ctx) -> int:
    """Set the follow-up date typed."""
    assert update.effective_message is not None
    draft = context.user_state.get(KEY)
    if not draft:
        return LEFT  # the follow-up was left for another form: this text is for that one
    if await note_from_reply(
        update, context, own=frozenset({FOLLOWUP_ANSWER}), contact_id=draft["contact_id"]
    ):
        return await _ask(update, draft["contact_id"], draft["name"])
    try:
        return await _set(update, context, draft["contact_id"], update.effective_message.text)
    except ValidationError as err:
        return await _ask(update, draft["contact_id"], draft["name"], err.message)


def conversation() -> ConversationHandler[Ctx]:
    return ConversationHandler(
        name="followup",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(followup_button, pattern=pattern(FOLLOWUP))],
        states={
            State.DATE: [
                CallbackQueryHandler(date_chosen, pattern=pattern(FOLLOWUP_ANSWER)),
                MessageHandler(filters.TEXT & ~filters.COMMAND, date_typed),
            ]
        },
        fallbacks=form_exits(KEY),
    )
