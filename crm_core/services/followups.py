"""Follow-up dates: the admin's local dates; what is due today and overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.models import Contact, utcnow
from crm_core.services.contacts import get_contact, live
from crm_core.validation import clean_followup


def set_followup(
    session: Session,
    contact_id: int,
    when: date | str | None,
    *,
    today: date,
    now: datetime | None = None,
) -> Contact:
    """Set (or, with ``None``, clear) the next follow-up. Past dates are allowed: admins
    back-fill follow-ups they missed, and those show as overdue."""
    contact = get_contact(session, contact_id)
    contact.next_followup_date = clean_followup(when, today)
    contact.updated_at = now or utcnow()
    session.flush()
    return contact


def clear_followup(session: Session, contact_id: int, *, now: datetime | None = None) -> Contact:
    contact = get_contact(session, contact_id)
    contact.next_followup_date = None
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
        .order_by(Contact.next_followup_date, Contact.name, Contact.id)
    )
    return [
        DueItem(c, (today - c.next_followup_date).days)  # type: ignore[operator]
        for c in contacts
    ]
