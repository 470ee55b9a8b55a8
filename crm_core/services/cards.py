"""What a contact card shows, read in one transaction with as few statements as it takes.

The card is the screen admins open most (search, a button, after every note and stage move),
so its read is three statements: the contact (with its owner, joined), one row of every figure
(notes, files, jobs, emails, the referring partner's name) and the recent notes; the newest
email and a partner's referrals are read only when there are any."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from crm_core.models import Contact, Email, File, Note
from crm_core.services import revenue
from crm_core.services.contacts import get_contact
from crm_core.services.emails import EmailSummary
from crm_core.services.referrals import ReferralSummary, referral_summary
from crm_core.stages import ContactType

NO_EMAILS = EmailSummary(0, None)


@dataclass(frozen=True, slots=True)
class ContactCard:
    """Everything a contact card shows, fetched in one go."""

    contact: Contact
    recent_notes: list[Note]
    note_count: int
    file_count: int
    referred_by_name: str | None = None
    #: The contact's jobs in figures (count, unpaid, revenue).
    jobs: revenue.JobSummary | None = None
    #: A referral partner's referred contacts in figures (None for other types).
    referrals: ReferralSummary | None = None
    #: The contact's email history in figures: the count and the newest (issue 13).
    emails: EmailSummary = NO_EMAILS


def _statements() -> tuple[Select[Any], Select[Note], Select[Email]]:
    """The card's statements, built once with bound parameters: building and hashing them
    anew for every card cost more CPU than running them (issue 11's profile)."""
    contact_id = bindparam("contact_id", type_=Integer)
    referrer = aliased(Contact, name="referrer")
    figures = revenue.job_figures(contact_id).add_columns(
        select(func.count()).where(Note.contact_id == contact_id).scalar_subquery(),
        select(func.count()).where(File.contact_id == contact_id).scalar_subquery(),
        select(func.count()).where(Email.contact_id == contact_id).scalar_subquery(),
        select(referrer.name).where(referrer.id == bindparam("referrer_id")).scalar_subquery(),
    )
    notes = (
        select(Note)
        .where(Note.contact_id == contact_id)
        .order_by(Note.created_at.desc(), Note.id.desc())
        .limit(bindparam("notes", type_=Integer))
    )
    latest_email = (
        select(Email)
        .where(Email.contact_id == contact_id)
        .order_by(Email.sent_at.desc(), Email.id.desc())
        .limit(1)
    )
    return figures, notes, latest_email


FIGURES, RECENT_NOTES, LATEST_EMAIL = _statements()


def get_card(session: Session, contact_id: int, *, notes: int = 3) -> ContactCard:
    """The card of a live contact (``NotFound`` if it is gone) with its ``notes`` newest."""
    contact = get_contact(session, contact_id)
    (jobs, job_open, unpaid, paid, note_count, file_count, email_count, referrer) = (
        session.execute(
            FIGURES,
            {
                "contact_id": contact_id,
                "referrer_id": contact.referred_by_id,
            },
        ).one()
    )
    recent = (
        list(session.scalars(RECENT_NOTES, {"contact_id": contact_id, "notes": notes}))
        if notes and note_count
        else []
    )
    latest = session.scalar(LATEST_EMAIL, {"contact_id": contact_id}) if email_count else None
    return ContactCard(
        contact=contact,
        recent_notes=recent,
        note_count=note_count,
        file_count=file_count,
        referred_by_name=referrer,
        jobs=revenue.summary_of(jobs, job_open, unpaid, paid),
        referrals=referral_summary(session, contact_id)
        if contact.type is ContactType.REFERRAL_PARTNER
        else None,
        emails=EmailSummary(int(email_count), latest),
    )
