"""Questions and answer buttons for contact fields, shared by /add and the card's Edit, and
the other forms' keyboards (Note, the lost reason)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.actions import ADD, EDIT_ANSWER, EDIT_FIELD, LOST_SKIP, NOTE_KIND
from bot.arguments import (
    ANSWER_BACK,
    ANSWER_DUPLICATE_OK,
    ANSWER_EDIT,
    ANSWER_OPEN_DUPLICATE,
    ANSWER_SAVE,
    PICK_PARTNER,
    Answer,
    Cancel,
    FieldPick,
    QuickDate,
    Skip,
    Value,
    encode_answer,
)
from bot.callbacks import Cb
from bot.views.common import button, chunks, day, esc, keyboard, money
from crm_core.fields import EDITABLE, FIELDS, LABELS
from crm_core.schedule import quick_dates
from crm_core.services.duplicates import Duplicate
from crm_core.stages import CONTACT_TYPE_LABELS, NOTE_TYPE_LABELS, Urgency

#: The quick follow-up choices under a follow-up question.
FOLLOWUP_CHOICES = quick_dates("today", "tomorrow", "3d", "1w")


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    optional: bool = True


QUESTIONS: dict[str, Question] = {
    f.key: Question(f.question, f.optional) for f in FIELDS if f.question is not None
}


def answer_button(
    label: str, action: str, contact_id: int, answer: Answer
) -> InlineKeyboardButton:
    """A button answering a form's question (``bot.actions.Answer``): every form's buttons
    are made here and read back by ``bot.actions.parse_answer``."""
    return button(label, Cb(action, contact_id, encode_answer(answer)))


def choice_buttons(
    field: str, action: str, contact_id: int = 0, owners: list[tuple[int, str]] | None = None
) -> list[list[InlineKeyboardButton]]:
    def b(label: str, answer: Answer) -> InlineKeyboardButton:
        return answer_button(label, action, contact_id, answer)

    if field == "contact_type":
        return [[b(label, Value(ctype.value))] for ctype, label in CONTACT_TYPE_LABELS.items()]
    if field == "urgency_level":
        return chunks([b(u.value.capitalize(), Value(u.value)) for u in Urgency], 4)
    if field == "next_followup_date":
        return chunks([b(q.label, QuickDate(q)) for q in FOLLOWUP_CHOICES], 2)
    if field == "how_found_us":  # issue 12: then the partner picker (bot.views.referrals)
        return [[b("Referred by a partner", PICK_PARTNER)]]
    if field == "owner":
        return chunks([b(name, Value(str(uid))) for uid, name in owners or []], 2)
    return []


def question_markup(
    field: str,
    action: str,
    contact_id: int = 0,
    *,
    skip_label: str | None = "Skip",
    extra: Sequence[tuple[str, Answer]] = (),
    owners: list[tuple[int, str]] | None = None,
) -> InlineKeyboardMarkup:
    rows = choice_buttons(field, action, contact_id, owners)
    tail = [answer_button(label, action, contact_id, answer) for label, answer in extra]
    if skip_label and QUESTIONS[field].optional:
        tail.insert(0, answer_button(skip_label, action, contact_id, Skip()))
    tail.append(answer_button("Cancel", action, contact_id, Cancel()))
    return keyboard([*rows, tail])


def show_value(field: str, value: object, today: date) -> str:
    """A stored draft value as people read it."""
    if value in (None, ""):
        return "—"
    if field == "contact_type":
        from crm_core.stages import ContactType

        return ContactType(str(value)).label
    if field == "next_followup_date":
        return day(date.fromisoformat(str(value)), today)
    if field in ("potential_value", "total_revenue"):
        from decimal import Decimal

        return money(Decimal(str(value)))
    return esc(value)


def label(field: str) -> str:
    return LABELS.get(field, field.replace("_", " ").capitalize())


# --- the forms' own keyboards -----------------------------------------------------------------


def add_summary_keyboard() -> InlineKeyboardMarkup:
    """Under /add's summary: Save, Edit (a field), Cancel."""
    return keyboard(
        [
            [
                answer_button("✅ Save", ADD, 0, ANSWER_SAVE),
                answer_button("✏️ Edit", ADD, 0, ANSWER_EDIT),
                answer_button("Cancel", ADD, 0, Cancel()),
            ]
        ]
    )


def duplicate_warning(dupes: Sequence[Duplicate]) -> tuple[str, InlineKeyboardMarkup]:
    """/add's warning about contacts that look like the new one: open one, or carry on."""
    lines = ["⚠️ This looks like a contact you already have:"]
    rows = []
    for d in dupes[:5]:
        lines.append(f"• <b>{esc(d.contact.name)}</b> ({d.reason})")
        name = f"Open {d.contact.name}"
        rows.append([answer_button(name, ADD, d.contact.id, ANSWER_OPEN_DUPLICATE)])
    rows.append([answer_button("Continue anyway", ADD, 0, ANSWER_DUPLICATE_OK)])
    return "\n".join(lines), keyboard(rows)


def add_fields_keyboard(fields: Sequence[str]) -> InlineKeyboardMarkup:
    """/add's Edit: the fields to change, and back to the summary."""
    buttons = [answer_button(label(f), ADD, 0, FieldPick(f)) for f in fields]
    return keyboard([*chunks(buttons, 2), [answer_button("« Back", ADD, 0, ANSWER_BACK)]])


def edit_fields_keyboard(contact_id: int) -> InlineKeyboardMarkup:
    """The card's Edit: the fields to change, and Cancel."""
    fields = [
        button(label(f) if f != "owner" else "Owner", Cb(EDIT_FIELD, contact_id, f))
        for f in EDITABLE
    ]
    cancel = answer_button("Cancel", EDIT_ANSWER, contact_id, Cancel())
    return keyboard([*chunks(fields, 2), [cancel]])


def note_kinds_keyboard(contact_id: int) -> InlineKeyboardMarkup:
    """The kinds of note, and Cancel."""
    kinds = [
        answer_button(lbl, NOTE_KIND, contact_id, Value(k.value))
        for k, lbl in NOTE_TYPE_LABELS.items()
    ]
    cancel = answer_button("Cancel", NOTE_KIND, contact_id, Cancel())
    return keyboard([*chunks(kinds, 3), [cancel]])


def note_cancel_keyboard(contact_id: int) -> InlineKeyboardMarkup:
    """Under the question for the note's text: Cancel."""
    return keyboard([[answer_button("Cancel", NOTE_KIND, contact_id, Cancel())]])


def lost_reason_keyboard(contact_id: int) -> InlineKeyboardMarkup:
    """Under "Why was it lost?": Skip (no reason kept)."""
    return keyboard([[button("Skip", Cb(LOST_SKIP, contact_id))]])
