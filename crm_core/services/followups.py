"""Follow-up dates: the admin's local dates; what is due today and overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.errors import ValidationError
from crm_core.models import Contact, utcnow
from crm_core.services.contacts import get_contact, live
from crm_core.services.notes import add_note
from crm_core.stages import NoteType
from crm_core.validation import clean_followup_at


def set_followup(
    session: Session,
    contact_id: int,
    when: date | str | None,
    *,
    today: date,
    now: datetime | None = None,
    at: time | None = None,
) -> Contact:
    """Set (or, with ``None``, clear) the next follow-up. Past dates are allowed: admins
    back-fill follow-ups they missed, and those show as overdue. A time of day typed with the
    date ("tomorrow 14:00"), or given as ``at``, makes it a timed follow-up (a reminder)."""
    contact = get_contact(session, contact_id)
    day, typed_at = clean_followup_at(when, today)
    contact.next_followup_date = day
    contact.next_followup_time = (typed_at or at) if day is not None else None
    contact.updated_at = now or utcnow()
    session.flush()
    return contact


def clear_followup(session: Session, contact_id: int, *, now: datetime | None = None) -> Contact:
    contact = get_contact(session, contact_id)
    contact.next_followup_date = None
    contact.next_followup_time = None
    contact.updated_at = now or utcnow()
    session.flush()
    return contact


@dataclass(frozen=True, slots=True)
class DueItem:
    contact: Contact
    days_overdue: int


def due_followups(session: Session, owner_id: int, today: date) -> list[DueItem]:
    """The admin's follow-ups due today or earlier, oldest first."""
    contacts = session.scalars(
        select(Contact)
        .where(
            live(),
            Contact.owner_id == owner_id,
            Contact.next_followup_date.is_not(None),
            Contact.next_followup_date <= today,
        )
        .order_by(Contact.next_followup_date, Contact.name_key, Contact.id)
    )
    return [
        DueItem(c, (today - c.next_followup_date).days)
        for c in contacts
        if c.next_followup_date is not None  # as selected: narrows the type
    ]


def snooze_followup(
    session: Session, contact_id: int, days: int, *, today: date, now: datetime | None = None
) -> Contact:
    """Move the follow-up to ``days`` after the admin's today (not after the old date: an item
    overdue by a week snoozed "+1d" is due tomorrow). A time of day, if any, is kept."""
    if not 1 <= days <= 366:
        raise ValidationError("next_followup_date", "Snooze by 1 day to a year.")
    contact = get_contact(session, contact_id)
    contact.next_followup_date = today + timedelta(days=days)
    contact.updated_at = now or utcnow()
    session.flush()
    return contact


def log_outcome(
    session: Session,
    contact_id: int,
    author_id: int | None,
    note_type: NoteType | None,
    content: str | None,
    *,
    now: datetime | None = None,
) -> Contact:
    """Record how a follow-up went, as a note of that type (none when there is no note: the
    contact must still exist)."""
    contact = get_contact(session, contact_id)
    if note_type is not None and content is not None:
        add_note(session, contact_id, author_id, note_type, content, now=now)
    return contact
