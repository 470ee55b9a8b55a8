"""The card's "Edit" button: pick a field, then type or tap the new value (checked exactly
as in /add). Changing the type resets the stage; "Owner" hands the contact to another admin."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actions import EDIT_ANSWER, EDIT_CONTACT, EDIT_FIELD
from bot.arguments import PICK_PARTNER, PICKER_BACK, Cancel, Partner, QuickDate, Skip, Value
from bot.callbacks import Cb, pattern
from bot.features.cards import note_from_reply, show_card
from bot.handling import LEFT, Ctx, Toast, button_step, form_exits, reply, start_form, step
from bot.views.common import esc
from bot.views.forms import QUESTIONS, edit_fields_keyboard, label, question_markup
from bot.views.referrals import partner_picker
from crm_core.errors import ValidationError
from crm_core.services.contacts import get_contact, update_contact
from crm_core.services.referrals import REFERRED_BY_A_PARTNER, find_partners
from crm_core.services.revenue import derived_from
from crm_core.services.users import active_users

KEY = "edit"
PARTNER = "partner"  # the draft's field while the partner picker is shown (issue 12)


class State(IntEnum):
    FIELD = 1
    VALUE = 2


@button_step
async def edit_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Show the fields as buttons."""
    contact = await context.run_db(get_contact, cb.id)
    start_form(context, KEY, {"contact_id": contact.id, "name": contact.name})
    return await _fields(update, contact.id, contact.name)


async def _fields(update: Update, contact_id: int, name: str, problem: str = "") -> int:
    markup = edit_fields_keyboard(contact_id)
    text = f"Edit <b>{esc(name)}</b> — which field?"
    if problem:
        text = f"⚠️ {esc(problem)}\n\n{text}"
    await reply(update, text, markup)
    return State.FIELD


async def _ask(update: Update, context: Ctx, field: str, problem: str = "") -> int:
    draft = context.user_state[KEY]
    owners: list[tuple[int, str]] = []
    if field == "owner":
        users = await context.run_db(active_users)
        owners = [(u.id, u.display_name) for u in users]
    text = QUESTIONS[field].text
    if field == "contact_type":
        text += "\nChanging the type starts the contact at the first stage of its new pipeline."
    if problem:
        text = f"⚠️ {esc(problem)}\n\n{text}"
    markup = question_markup(
        field, EDIT_ANSWER, draft["contact_id"], skip_label="Clear", owners=owners
    )
    sent = await reply(update, text, markup)
    # Once asked (if sending failed, the question before stands): only this question's
    # buttons answer it, not an earlier one's.
    draft["field"] = field
    draft["msg"] = sent.message_id if sent is not None else None
    return State.VALUE


@button_step
async def field_chosen(update: Update, context: Ctx, cb: Cb) -> int:
    """Ask for the new value of the field tapped."""
    draft = context.user_state.get(KEY)
    if draft is None or draft.get("contact_id") != cb.id:  # an older field list
        start_form(context, KEY, {"contact_id": cb.id, "name": ""})
    field = EDIT_FIELD.arg(cb)
    derived = await context.run_db(derived_from, cb.id, field)  # issue 12: from jobs
    if derived:
        name = context.user_state[KEY].get("name", "")
        return await _fields(update, cb.id, name, derived)
    return await _ask(update, context, field)


async def _apply(update: Update, context: Ctx, raw: Any) -> int:
    draft = context.user_state[KEY]
    field = draft["field"]
    user_id, today = context.admin, context.today
    changes = {"owner_id": int(raw)} if field == "owner" else {field: raw}
    if field == PARTNER:
        changes = {"how_found_us": REFERRED_BY_A_PARTNER, "referred_by_id": int(raw)}
    try:
        await context.run_db(
            update_contact, draft["contact_id"], changes, by_user_id=user_id, today=today
        )
    except ValidationError as err:
        asked = "how_found_us" if field == PARTNER else field
        return await _ask(update, context, asked, err.message)
    context.user_state.pop(KEY, None)
    what = {"owner": "Owner", PARTNER: "Referring partner"}.get(field) or label(field)
    await reply(update, f"✅ {what} updated.")
    await show_card(update, context, draft["contact_id"])
    return ConversationHandler.END


@button_step
async def value_button(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Take a button pressed under the field's question."""
    answer = EDIT_ANSWER.arg(cb)
    if KEY not in context.user_state and not isinstance(answer, Cancel):
        return Toast(texts.FORM_CLOSED)
    message = update.callback_query.message if update.callback_query else None
    draft = context.user_state.get(KEY, {})
    # Only the question being asked acts: not one asked before another Edit or another field
    # (there may be no question at all now, only a field list).
    current = message is not None and draft.get("msg") == message.message_id
    if not isinstance(answer, Cancel) and not current:
        asked = draft.get("msg")
        if message is not None and asked and message.message_id > asked and "field" in draft:
            # Newer than the form's record: the answer before it was lost in a restart.
            return await _ask(update, context, draft["field"], texts.ANSWER_LOST)
        return Toast(texts.OLD_QUESTION)
    match answer:
        case Cancel() if draft and draft.get("contact_id") != cb.id:
            return Toast(texts.OLD_QUESTION)  # another contact's
        case Cancel():
            context.user_state.pop(KEY, None)
            await reply(update, texts.CANCELLED, edit=True)
            return ConversationHandler.END
        case Skip():  # "Clear"
            return await _apply(update, context, None)
        case QuickDate():
            return await _apply(update, context, answer.on(context.today))
        case Value(value):
            return await _apply(update, context, value)
        case Partner(partner_id):
            return await _apply(update, context, partner_id)
        case _ if answer == PICK_PARTNER:
            return await _pick_partner(update, context)
        case _ if answer == PICKER_BACK:
            return await _ask(update, context, "how_found_us")
    return State.VALUE


async def _pick_partner(update: Update, context: Ctx, query: str = "") -> int:
    """After "Referred by a partner": the recent partners, or those matching a typed text."""
    draft = context.user_state[KEY]
    draft["field"] = PARTNER
    partners = await context.run_db(find_partners, query)
    sent = await reply(update, *partner_picker(EDIT_ANSWER, draft["contact_id"], partners, query))
    if sent is not None:
        draft["msg"] = sent.message_id
    return State.VALUE


@step
async def value_typed(update: Update, context: Ctx) -> int:
    """Store the typed new value of the field being edited."""
    assert update.effective_message is not None
    draft = context.user_state.get(KEY)
    if not draft:
        return LEFT  # the edit was left for another form: this text is for that one
    noted = await note_from_reply(
        update, context, own=frozenset({EDIT_FIELD, EDIT_ANSWER}), contact_id=draft["contact_id"]
    )
    if noted and "field" in draft:  # a reply to a card is its note: the question again
        return await _ask(update, context, draft["field"])
    if noted:
        return await _fields(update, draft["contact_id"], draft["name"])
    if "field" not in draft:  # typed instead of picking a field: the fields again
        return await _fields(update, draft["contact_id"], draft["name"], texts.USE_BUTTONS)
    if draft["field"] == "owner":
        return await _ask(update, context, "owner", texts.USE_BUTTONS)
    if draft["field"] == PARTNER:  # a search among the partners
        return await _pick_partner(update, context, update.effective_message.text or "")
    return await _apply(update, context, update.effective_message.text)


def conversation() -> ConversationHandler[Ctx]:
    return ConversationHandler(
        name="edit_contact",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(edit_button, pattern=pattern(EDIT_CONTACT))],
        states={
            State.FIELD: [
                CallbackQueryHandler(field_chosen, pattern=pattern(EDIT_FIELD)),
                CallbackQueryHandler(value_button, pattern=pattern(EDIT_ANSWER)),
                MessageHandler(filters.TEXT & ~filters.COMMAND, value_typed),
            ],
            State.VALUE: [
                CallbackQueryHandler(value_button, pattern=pattern(EDIT_ANSWER)),
                CallbackQueryHandler(
                    field_chosen, pattern=pattern(EDIT_FIELD)
                ),  # changed their mind
                MessageHandler(filters.TEXT & ~filters.COMMAND, value_typed),
            ],
        },
        fallbacks=form_exits(KEY),
    )
