"""Questions and answer buttons for contact fields, shared by /add and the card's Edit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.actions import PICK_PARTNER, Answer, Cancel, QuickDate, Skip, Value, encode_answer
from bot.callbacks import Cb
from bot.views.common import button, chunks, day, esc, keyboard, money
from crm_core.fields import FIELDS, LABELS
from crm_core.schedule import quick_dates
from crm_core.stages import CONTACT_TYPE_LABELS, Urgency

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
