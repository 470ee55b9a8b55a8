"""/add: a step-by-step form for a new contact.

name -> type -> email -> phone -> company -> property address (eviction and prevention only)
-> how they found us -> urgency -> next follow-up -> potential value -> summary (Save / Edit /
Cancel). Optional steps take "Skip" or /skip. A wrong answer gets the reason and the same
question; earlier answers are kept in ``user_data`` (persisted, so a restart loses nothing).
A matching email or phone, or a very similar name at the same company, is flagged at once.
Sharing a phone contact starts the form with the name and phone filled in; so does "Add as
contact" under a forwarded message (``bot.features.forwarded``), with the sender's name.

Fewer taps: once the name and type are in, every optional question has "Save now" (the
duplicate check runs once more and can still stop it). A whole contact on one line, after
/add or as the answer to the name question, is read by ``crm_core.quick_add``: the form then
asks only what is required and missing and shows the summary, with whatever the line had that
could not be placed ("Not recognised"), which is saved as a note so that nothing typed is lost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import date
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actions import (
    ADD,
    ADD_FORWARDED,
    ANSWER_BACK,
    ANSWER_DUPLICATE_OK,
    ANSWER_EDIT,
    ANSWER_OPEN_DUPLICATE,
    ANSWER_SAVE,
    ANSWER_SAVE_NOW,
    MENU,
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
from bot.callbacks import Cb, StaleButton, pattern
from bot.conversations.quick_add import (
    after_command,
    as_quick_add,
    create_with_leftovers,
    unplaced_line,
)
from bot.features.cards import note_from_reply, show_card
from bot.features.forwarded import forwarded_name
from bot.handling import (
    LEAVING_COMMANDS,
    LEFT,
    Toast,
    button_step,
    other_button,
    reply,
    start_form,
    step,
)
from bot.runtime import me, run_db
from bot.views.common import esc
from bot.views.forms import (
    QUESTIONS,
    add_fields_keyboard,
    add_summary_keyboard,
    duplicate_warning,
    label,
    question_markup,
    show_value,
)
from bot.views.referrals import partner_picker
from crm_core.errors import ValidationError
from crm_core.fields import ADD_STEPS, applies
from crm_core.quick_add import QuickAdd, parse_quick_add
from crm_core.services.contacts import get_contact
from crm_core.services.duplicates import Duplicate, find_duplicates
from crm_core.services.referrals import REFERRED_BY_A_PARTNER, find_partners
from crm_core.stages import ContactType
from crm_core.validation import clean_field

Ctx = ContextTypes.DEFAULT_TYPE
ACTION = ADD
DRAFT = "add"

FIELDS: tuple[str, ...] = ADD_STEPS
BUTTON_ONLY = {"contact_type", "urgency_level"}


class State(IntEnum):
    ANSWER = 1  # waiting for the answer to the current field (typed or tapped)
    DUPLICATE = 2  # told about a possible duplicate: open it or carry on
    CONFIRM = 3  # summary shown: Save / Edit / Cancel
    PICK_FIELD = 4  # Edit from the summary: which field


def _draft(context: Ctx) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(DRAFT, {"values": {}})
    return draft


def _drop(context: Ctx) -> None:
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)


def _applies(field: str, values: dict[str, Any]) -> bool:
    return applies(field, values.get("contact_type"))


def _next_field(draft: dict[str, Any]) -> str | None:
    """The first field not answered yet (skipped ones count as answered); after a quick add,
    the first required one."""
    values = draft["values"]
    for field in FIELDS:
        if draft.get("quick") and QUESTIONS[field].optional:
            continue
        if field not in values and _applies(field, values):
            return field
    return None


def _can_save_now(draft: dict[str, Any], field: str) -> bool:
    """ "Save now" goes under an optional question once the required answers are in."""
    values = draft["values"]
    required = all(values.get(f) for f in FIELDS if not QUESTIONS[f].optional)
    question = QUESTIONS.get(field)
    return required and question is not None and question.optional and not draft.get("editing")


async def _ask(update: Update, context: Ctx, field: str, problem: str | None = None) -> State:
    draft = _draft(context)
    extra: list[tuple[str, Answer]] = []
    if _can_save_now(draft, field):
        extra.append(("✅ Save now", ANSWER_SAVE_NOW))
    markup = question_markup(field, ACTION, extra=extra)
    text = QUESTIONS[field].text
    if field == "name" and not draft["values"]:
        text += texts.QUICK_ADD_HINT
    await _show(update, context, text, markup, problem)
    _draft(context)["at"] = field  # once asked: if sending failed, the old question stands
    return State.ANSWER


async def _show(
    update: Update, context: Ctx, text: str, markup: InlineKeyboardMarkup, problem: str | None
) -> None:
    """Send the form's next message (after the problem with the last answer, if any). Only
    the latest message's buttons act: older ones are a thumb slip away in the chat."""
    if problem:
        text = f"⚠️ {esc(problem)}\n\n{text}"
    sent = await reply(update, text, markup)
    if sent is not None:
        _draft(context)["msg"] = sent.message_id


async def _advance(update: Update, context: Ctx) -> State:
    draft = _draft(context)
    draft.pop("saving", None)  # a question or the summary next: "Save now" was let go
    values = draft["values"]
    if (
        draft.get("quick")
        and values.get("property_address")
        and not _applies("property_address", values)
    ):  # a line's address, and then the type of a partner: keep it with the leftovers
        draft.setdefault("unplaced", []).append(values.pop("property_address"))
    # Back to the summary after an edit, unless the edit made a new question apply (a
    # referral partner turned eviction client now needs the property address).
    field = _next_field(draft)
    draft.pop("editing", None)
    if field is None:
        return await _summary(update, context)
    return await _ask(update, context, field)


def _summary_text(values: dict[str, Any], today: date, unplaced: list[str]) -> str:
    lines = ["<b>New contact</b> — check and save:"]
    for field in FIELDS:
        if _applies(field, values):
            lines.append(f"{label(field)}: {show_value(field, values.get(field), today)}")
    if line := unplaced_line(unplaced):
        lines.append(line)
    return "\n".join(lines)


async def _summary(update: Update, context: Ctx, problem: str | None = None) -> State:
    _, today = me(update, context)
    draft = _draft(context)
    text = _summary_text(draft["values"], today, draft.get("unplaced", []))
    await _show(update, context, text, add_summary_keyboard(), problem)
    return State.CONFIRM


def _storable(value: Any) -> Any:
    """Draft values live in persisted user_data: keep them JSON-friendly."""
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, ContactType):
        return value.value
    return str(value)  # Decimal, date


async def _accept(update: Update, context: Ctx, field: str, raw: Any) -> int:
    """Validate one answer, keep it, check for duplicates, move on."""
    _, today = me(update, context)
    try:
        value = clean_field(field, raw, today=today)
    except ValidationError as err:
        return await _ask(update, context, field, err.message)
    draft = _draft(context)
    draft["values"][field] = _storable(value)
    if field == "how_found_us":  # typed, not picked: no partner
        draft["values"].pop("referred_by_id", None)
    if field in ("email", "phone", "company") and value:
        return await _check_duplicates(update, context, _advance)
    return await _advance(update, context)


async def _check_duplicates(
    update: Update, context: Ctx, then: Callable[[Update, Ctx], Awaitable[int]]
) -> int:
    """Warn about contacts that look like this one (unless already waved through), else go on
    with ``then``."""
    draft = _draft(context)
    dupes = await run_db(context, _duplicates_of, draft["values"])
    dupes = [d for d in dupes if d.contact.id not in draft.get("dismissed", [])]
    if dupes:
        return await _warn_duplicate(update, context, dupes)
    return await then(update, context)


def _duplicates_of(session: Any, values: dict[str, Any]) -> list[Duplicate]:
    return find_duplicates(
        session,
        name=values.get("name"),
        email=values.get("email"),
        phone=values.get("phone"),
        company=values.get("company"),
    )


async def _warn_duplicate(
    update: Update, context: Ctx, dupes: list[Duplicate], problem: str | None = None
) -> State:
    _draft(context)["dupes"] = [d.contact.id for d in dupes]
    text, markup = duplicate_warning(dupes)
    await _show(update, context, text, markup, problem)
    return State.DUPLICATE


async def _pick_field(update: Update, context: Ctx, problem: str | None = None) -> State:
    values = _draft(context)["values"]
    markup = add_fields_keyboard([f for f in FIELDS if _applies(f, values)])
    await _show(update, context, "Which field do you want to change?", markup, problem)
    return State.PICK_FIELD


# --- referral partner (issue 12) -----------------------------------------------------------

#: The draft's "at" while the partner picker is shown (a step, not a contact field).
PARTNER = "partner"


async def _pick_partner(update: Update, context: Ctx, query: str = "") -> State:
    """After "Referred by a partner": the recent partners, or those matching a typed text."""
    partners = await run_db(context, find_partners, query)
    _draft(context)["at"] = PARTNER
    text, markup = partner_picker(ACTION, 0, partners, query)
    await _show(update, context, text, markup, None)
    return State.ANSWER


async def _partner_picked(update: Update, context: Ctx, partner_id: int) -> State:
    partner = await run_db(context, get_contact, partner_id)
    values = _draft(context)["values"]
    values["how_found_us"] = REFERRED_BY_A_PARTNER
    values["referred_by_id"] = partner.id
    await reply(update, f"Referred by <b>{esc(partner.name)}</b>.")
    return await _advance(update, context)


# --- entry points -------------------------------------------------------------------------


async def _begin(update: Update, context: Ctx, values: dict[str, Any]) -> State:
    start_form(context, DRAFT, {"values": values})
    return await _advance(update, context)


def _open(context: Ctx) -> bool:
    """Whether the form is still open (not left for another form)."""
    return DRAFT in (context.user_data or {})


@step
async def start(update: Update, context: Ctx) -> int:
    """Start an empty form, or read the contact typed after /add."""
    line = after_command(update.effective_message)
    if line:
        start_form(context, DRAFT, {"values": {}})
        return await _quick(update, context, parse_quick_add(line, me(update, context)[1]))
    return await _begin(update, context, {})


async def _quick(update: Update, context: Ctx, parsed: QuickAdd) -> int:
    """Fill the draft from one line, then ask only what is required and missing."""
    draft = _draft(context)
    draft["values"] = {k: _storable(v) for k, v in parsed.values.items()}
    draft["unplaced"] = list(parsed.unplaced)
    draft["quick"] = True
    if any(parsed.values.get(f) for f in ("email", "phone", "company")):
        return await _check_duplicates(update, context, _advance)
    return await _advance(update, context)


@button_step
async def start_from_forward(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Start the form with a forwarded message's sender filled in ("Add as contact")."""
    name = forwarded_name(context, cb.id)
    if name is None:  # an offer too old to have its name kept
        raise StaleButton(f"forwarded message {cb.id}: its name is no longer kept")
    values: dict[str, Any] = {}
    with contextlib.suppress(ValidationError):  # no usable name: the form asks for one
        values["name"] = clean_field("name", name)
    return await _begin(update, context, values)


@button_step
async def start_from_menu(update: Update, context: Ctx, cb: Cb) -> int:
    """Start an empty form from the main menu's Add button."""
    return await _begin(update, context, {})


@step
async def start_from_contact(update: Update, context: Ctx) -> int:
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
        dupes = await run_db(context, _duplicates_of, draft["values"])
        if dupes:
            return await _warn_duplicate(update, context, dupes)
    return await _advance(update, context)


# --- answers ------------------------------------------------------------------------------


async def _noted_elsewhere(update: Update, context: Ctx) -> bool:
    """A reply to a contact's card is that contact's note, never an answer: added, the form's
    current question is asked again."""
    return await note_from_reply(update, context, own=frozenset({ACTION}))


@step
async def typed(update: Update, context: Ctx) -> int:
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
        parsed = as_quick_add(text or "", me(update, context)[1])
        if parsed is not None:
            return await _quick(update, context, parsed)  # a whole contact on one line
    if field in BUTTON_ONLY:
        try:
            clean_field(field, text)
        except ValidationError:
            return await _ask(update, context, field, texts.USE_BUTTONS)
    return await _accept(update, context, field, text)


@step
async def skip(update: Update, context: Ctx) -> int:
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
async def pressed(update: Update, context: Ctx, cb: Cb) -> int | Toast:
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
            _, today = me(update, context)
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


async def _save(update: Update, context: Ctx) -> int:
    user_id, today = me(update, context)
    draft = _draft(context)
    draft.pop("saving", None)
    answers = draft["values"]
    values = {k: v for k, v in answers.items() if v is not None and _applies(k, answers)}
    unplaced = draft.get("unplaced", [])
    try:
        contact = await run_db(context, create_with_leftovers, user_id, values, today, unplaced)
    except ValidationError as err:
        # Shouldn't happen (each answer was checked), but never lose the form over it.
        draft["editing"] = True
        field = err.field if err.field in FIELDS else "name"
        return await _ask(update, context, field, err.message)
    _drop(context)
    await reply(update, f"✅ Saved <b>{esc(contact.name)}</b>.")
    await show_card(update, context, contact.id)
    return ConversationHandler.END


async def _cancel(update: Update, context: Ctx) -> int:
    _drop(context)
    await reply(update, texts.CANCELLED)
    return ConversationHandler.END


@step
async def cancel(update: Update, context: Ctx) -> int:
    """Leave the form, saving nothing (/cancel)."""
    return await _cancel(update, context)


@step
async def summary_text(update: Update, context: Ctx) -> int:
    """Show the summary again, with its buttons at hand, after text or /skip."""
    if not _open(context):
        return LEFT
    if await _noted_elsewhere(update, context):
        return await _summary(update, context)
    return await _summary(update, context, texts.USE_BUTTONS)


@step
async def pick_text(update: Update, context: Ctx) -> int:
    """Show the fields again after text or /skip where a field was to be picked."""
    if not _open(context):
        return LEFT
    if await _noted_elsewhere(update, context):
        return await _pick_field(update, context)
    return await _pick_field(update, context, texts.USE_BUTTONS)


@step
async def duplicate_text(update: Update, context: Ctx) -> int:
    """Show the duplicate warning again after text or /skip."""
    if not _open(context):
        return LEFT
    problem = None if await _noted_elsewhere(update, context) else texts.USE_BUTTONS
    draft = _draft(context)
    dupes = await run_db(context, _duplicates_of, draft["values"])
    dupes = [d for d in dupes if d.contact.id in draft.get("dupes", [])]
    if not dupes:  # deleted meanwhile: nothing to warn about any more
        draft.pop("dupes", None)
        return await _advance(update, context)
    return await _warn_duplicate(update, context, dupes, problem)


async def leave(update: Update, context: Ctx) -> int:
    """Drop the form for a menu command or another message's button, and let that run.

    Not for a question the bot asked aside: that one is answered and the form stays.
    """
    _drop(context)
    await reply(update, texts.LEFT_WIZARD)
    return ConversationHandler.END


def conversation() -> ConversationHandler[Ctx]:
    answer: list[BaseHandler[Update, Ctx, object]] = [
        CommandHandler("skip", skip),
        CallbackQueryHandler(pressed, pattern=pattern(ACTION)),
        MessageHandler(filters.TEXT & ~filters.COMMAND, typed),
    ]
    return ConversationHandler(
        name="add_contact",
        persistent=True,
        allow_reentry=True,
        entry_points=[
            CommandHandler("add", start),
            CallbackQueryHandler(start_from_menu, pattern=rf"^{MENU}:0:add$"),
            MessageHandler(filters.CONTACT, start_from_contact),
            CallbackQueryHandler(start_from_forward, pattern=pattern(ADD_FORWARDED)),
        ],
        states={
            State.ANSWER: answer,
            State.DUPLICATE: [
                CallbackQueryHandler(pressed, pattern=pattern(ACTION)),
                CommandHandler("skip", duplicate_text),
                MessageHandler(filters.TEXT & ~filters.COMMAND, duplicate_text),
            ],
            State.CONFIRM: [
                CallbackQueryHandler(pressed, pattern=pattern(ACTION)),
                CommandHandler("skip", summary_text),
                MessageHandler(filters.TEXT & ~filters.COMMAND, summary_text),
            ],
            State.PICK_FIELD: [
                CallbackQueryHandler(pressed, pattern=pattern(ACTION)),
                CommandHandler("skip", pick_text),
                MessageHandler(filters.TEXT & ~filters.COMMAND, pick_text),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CommandHandler(LEAVING_COMMANDS, leave),
            CallbackQueryHandler(leave, pattern=other_button),
        ],
    )
