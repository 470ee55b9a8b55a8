"""Questions and answer buttons for contact fields, shared by /add and the card's Edit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Cb
from bot.views.common import button, chunks, day, esc, keyboard, money
from crm_core.stages import CONTACT_TYPE_LABELS, Urgency
from crm_core.validation import LABELS

#: Quick follow-up choices: button label -> days from today.
FOLLOWUP_CHOICES: tuple[tuple[str, str, int], ...] = (
    ("today", "Today", 0),
    ("tomorrow", "Tomorrow", 1),
    ("3d", "In 3 days", 3),
    ("1w", "Next week", 7),
)


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    optional: bool = True


QUESTIONS: dict[str, Question] = {
    "name": Question("What's the contact's <b>name</b>?", optional=False),
    "contact_type": Question("What <b>type</b> of contact is this?", optional=False),
    "email": Question("Their <b>email</b> address?"),
    "phone": Question("Their <b>phone</b> number?"),
    "company": Question("Their <b>company</b> (letting agent, landlord business…)?"),
    "property_address": Question("The <b>property address</b>?"),
    "how_found_us": Question("<b>How did they find us</b>? (Google, referral, repeat client…)"),
    "urgency_level": Question("How <b>urgent</b> is it?"),
    "next_followup_date": Question(
        "<b>Next follow-up</b>? Tap one, or type a date: 2026-12-01, 1/12, friday, in 2 weeks "
        "— add a time for a reminder: tomorrow 14:00, friday 9am."
    ),
    "potential_value": Question("<b>Potential value</b> in £? (e.g. 1500)"),
    "service_type": Question("Which <b>service</b>? (e.g. CCTV, eviction, security patrol)"),
    "total_revenue": Question("<b>Total revenue</b> so far in £?"),
    "total_jobs_referred": Question("How many <b>jobs referred</b>? (a whole number)"),
    "owner": Question("Hand this contact to which admin?", optional=False),
}


def followup_date(choice: str, today: date) -> date | None:
    for key, _label, days in FOLLOWUP_CHOICES:
        if key == choice:
            return today + timedelta(days=days)
    return None


def choice_buttons(
    field: str, action: str, contact_id: int = 0, owners: list[tuple[int, str]] | None = None
) -> list[list[InlineKeyboardButton]]:
    def b(label: str, arg: str) -> InlineKeyboardButton:
        return button(label, Cb(action, contact_id, arg))

    if field == "contact_type":
        return [[b(label, f"v:{ctype.value}")] for ctype, label in CONTACT_TYPE_LABELS.items()]
    if field == "urgency_level":
        return chunks([b(u.value.capitalize(), f"v:{u.value}") for u in Urgency], 4)
    if field == "next_followup_date":
        return chunks([b(label, f"fu:{key}") for key, label, _ in FOLLOWUP_CHOICES], 2)
    if field == "how_found_us":  # issue 12: then the partner picker (bot.views.referrals)
        return [[b("Referred by a partner", "ref")]]
    if field == "owner":
        return chunks([b(name, f"v:{uid}") for uid, name in owners or []], 2)
    return []


def question_markup(
    field: str,
    action: str,
    contact_id: int = 0,
    *,
    skip_label: str | None = "Skip",
    extra: Sequence[tuple[str, str]] = (),
    owners: list[tuple[int, str]] | None = None,
) -> InlineKeyboardMarkup:
    rows = choice_buttons(field, action, contact_id, owners)
    tail = [button(label, Cb(action, contact_id, arg)) for label, arg in extra]
    if skip_label and QUESTIONS[field].optional:
        tail.insert(0, button(skip_label, Cb(action, contact_id, "skip")))
    tail.append(button("Cancel", Cb(action, contact_id, "cancel")))
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
