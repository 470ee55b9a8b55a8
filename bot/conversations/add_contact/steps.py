"""The /add form's steps: how it starts (/add, the menu, a shared contact, a forwarded
message), typed answers, /skip, the buttons, and the ways out."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from bot import texts
from bot.arguments import (
    ANSWER_BACK,
    ANSWER_DUPLICATE_OK,
    ANSWER_EDIT,
    ANSWER_OPEN_DUPLICATE,
    ANSWER_SAVE,
    ANSWER_SAVE_NOW,
    PICK_PARTNER,
    PICKER_BACK,
    Answer,
    Cancel,
    FieldPick,
    Partner,
    QuickDate,
    Skip,
    Value,
)
from bot.callbacks import Cb, StaleButton
from bot.conversations.add_contact.asking import (
    _advance,
    _ask,
    _pick_field,
    _pick_partner,
    _summary,
    _warn_duplicate,
)
from bot.conversations.add_contact.draft import (
    ACTION,
    BUTTON_ONLY,
    DRAFT,
    PARTNER,
    Ctx,
    State,
    _can_save_now,
    _draft,
    _drop,
    _next_field,
    _open,
)
from bot.conversations.add_contact.saving import (
    _accept,
    _cancel,
    _check_duplicates,
    _duplicates_of,
    _partner_picked,
    _quick,
    _save,
)
from bot.conversations.quick_add import after_command, as_quick_add
from bot.features.cards import note_from_reply, show_card
from bot.features.forwarded import forwarded_name
from bot.handling import LEFT, Toast, button_step, reply, start_form, step
from bot.views.forms import QUESTIONS, label
from crm_core.errors import ValidationError
from crm_core.quick_add import parse_quick_add
from crm_core.validation import clean_field


async def _begin(update: Update, context: Ctx, values: dict[str, Any]) -> State:
    start_form(context, DRAFT, {"values": values})
    return await _advance(update, context)


@step
async def add_command(update: Update, context: Ctx) -> int:
    """Start an empty form, or read the contact typed after /add."""
    line = after_command(update.effective_message)
    if line:
        start_form(context, DRAFT, {"values": {}})
        return await _quick(update, context, parse_quick_add(line, context.today))
    return await _begin(update, context, {})


@button_step
async def add_forward_button(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Start the form with a forwarded message's sender filled in ("Add as contact")."""
    name = forwarded_name(context, cb.id)
    if name is None:  # an offer too old to have its name kept
        raise StaleButton(f"forwarded message {cb.id}: its name is no longer kept")
    values: dict[str, Any] = {}
    with contextlib.suppress(ValidationError):  # no usable name: the form asks for one
        values["name"] = clean_field("name", name)
    return await _begin(update, context, values)


@button_step
async def add_menu_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Start an empty form from the main menu's Add button."""
    return await _begin(update, context, {})


@step
async def contact_shared(update: Update, context: Ctx) -> int:
    """Start the form with a shared phone contact's name and phone filled in."""
    message = update.effective_message
    assert message is not None
    assert message.contact is not None
    shared = message.contact
    name = " ".join(p for p in (shared.first_name, shared.last_name) if p)
    draft = start_form(context, DRAFT, {"values": {}})
    with contextlib.suppress(ValidationError):  # no usable name: the form asks for one
        draft["values"]["name"] = clean_field("name", name)
    note = ""
    try:
        phone = clean_field("phone", shared.phone_number)
    except ValidationError:
        note = "The shared phone number didn't look right, so I'll ask for it."
    else:
        if phone:
            draft["values"]["phone"] = phone
    if note:
        await reply(update, note)
    if draft["values"].get("phone"):
        dupes = await context.run_db(_duplicates_of, draft["values"])
        if dupes:
            return await _warn_duplicate(update, context, dupes)
    return await _advance(update, context)


async def _noted_elsewhere(update: Update, context: Ctx) -> bool:
    """A reply to a contact's card is that contact's note, never an answer: added, the form's
    current question is asked again."""
    return await note_from_reply(update, context, own=frozenset({ACTION}))


@step
async def answer_typed(update: Update, context: Ctx) -> int:
    """Take a typed answer to the current question."""
    if not _open(context):
        return LEFT
    draft = _draft(context)
    field = draft.get("at") or _next_field(draft) or "name"
    if await _noted_elsewhere(update, context):
        return await _ask(update, context, field)
    text = update.effective_message.text if update.effective_message else ""
    if field == PARTNER:
        return await _pick_partner(update, context, text or "")
    if field == "name" and not draft["values"] and not draft.get("editing"):
        parsed = as_quick_add(text or "", context.today)
        if parsed is not None:
            return await _quick(update, context, parsed)  # a whole contact on one line
    if field in BUTTON_ONLY:
        try:
            clean_field(field, text)
        except ValidationError:
            return await _ask(update, context, field, texts.USE_BUTTONS)
    return await _accept(update, context, field, text)


@step
async def skip_command(update: Update, context: Ctx) -> int:
    """Leave an optional field empty (/skip)."""
    if not _open(context):
        return LEFT
    return await _skip(update, context)


async def _skip(update: Update, context: Ctx) -> State:
    draft = _draft(context)
    field = draft.get("at")
    if field is None:
        return await _advance(update, context)
    if field == PARTNER:  # no partner after all: the question again
        return await _ask(update, context, "how_found_us")
    if not QUESTIONS[field].optional:
        return await _ask(update, context, field, f"{label(field)} can't be skipped.")
    draft["values"][field] = None
    return await _advance(update, context)


@button_step
async def form_button(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Take a button under a question, the duplicate warning or the summary."""
    answer = ACTION.arg(cb)
    if not _open(context) and answer != ANSWER_OPEN_DUPLICATE:
        return Toast(texts.FORM_CLOSED)
    draft = _draft(context)
    message = update.callback_query.message if update.callback_query else None
    current = message is None or message.message_id == draft.get("msg")
    if answer != ANSWER_OPEN_DUPLICATE and not current:
        assert message is not None
        if message.message_id > (draft.get("msg") or 0):  # never call the latest "answered"
            await reply(update, texts.ANSWER_LOST)
            return await _advance(update, context)
        return Toast(texts.OLD_QUESTION)
    words: dict[Answer, Callable[[Update, Ctx], Awaitable[int]]] = {
        Cancel(): _cancel,
        Skip(): _skip,
        ANSWER_SAVE: _save,
        ANSWER_EDIT: _pick_field,
        ANSWER_BACK: _summary,
        PICK_PARTNER: _pick_partner,
    }
    if answer in words:
        return await words[answer](update, context)
    match answer:
        case Value(value):
            return await _accept(update, context, draft.get("at") or "", value)
        case QuickDate():
            today = context.today
            return await _accept(update, context, "next_followup_date", answer.on(today))
        case Partner(partner_id):
            return await _partner_picked(update, context, partner_id)
        case FieldPick(field):
            draft["editing"] = True
            return await _ask(update, context, field)
        case _ if answer == PICKER_BACK:
            return await _ask(update, context, "how_found_us")
        case _ if answer == ANSWER_DUPLICATE_OK:
            draft.setdefault("dismissed", []).extend(draft.pop("dupes", []))
            return await (_save if draft.get("saving") else _advance)(update, context)
        case _ if answer == ANSWER_SAVE_NOW and _can_save_now(draft, draft.get("at") or ""):
            draft["saving"] = True
            return await _check_duplicates(update, context, _save)
        case _ if answer == ANSWER_OPEN_DUPLICATE:
            _drop(context)
            await show_card(update, context, cb.id)
            return ConversationHandler.END
    await reply(update, texts.USE_BUTTONS)
    return State.ANSWER


@step
async def cancel_command(update: Update, context: Ctx) -> int:
    """Leave the form, saving nothing (/cancel)."""
    return await _cancel(update, context)


@step
async def text_at_summary(update: Update, context: Ctx) -> int:
    """Show the summary again, with its buttons at hand, after text or /skip."""
    if not _open(context):
        return LEFT
    if await _noted_elsewhere(update, context):
        return await _summary(update, context)
    return await _summary(update, context, texts.USE_BUTTONS)


@step
async def text_at_field_list(update: Update, context: Ctx) -> int:
    """Show the fields again after text or /skip where a field was to be picked."""
    if not _open(context):
        return LEFT
    if await _noted_elsewhere(update, context):
        return await _pick_field(update, context)
    return await _pick_field(update, context, texts.USE_BUTTONS)


@step
async def text_at_duplicates(update: Update, context: Ctx) -> int:
    """Show the duplicate warning again after text or /skip."""
    if not _open(context):
        return LEFT
    problem = None if await _noted_elsewhere(update, context) else texts.USE_BUTTONS
    draft = _draft(context)
    dupes = await context.run_db(_duplicates_of, draft["values"])
    dupes = [d for d in dupes if d.contact.id in draft.get("dupes", [])]
    if not dupes:  # deleted meanwhile: nothing to warn about any more
        draft.pop("dupes", None)
        return await _advance(update, context)
    return await _warn_duplicate(update, context, dupes, problem)


async def other_input(update: Update, context: Ctx) -> int:
    """Drop the form for a menu command or another message's button, and let that run.

    Not for a question the bot asked aside: that one is answered and the form stays.
    """
    _drop(context)
    await reply(update, texts.LEFT_WIZARD)
    return ConversationHandler.END
