"""Duplicates: live contacts that look like the same person as the one being added."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm_core.models import Contact
from crm_core.services.contacts import live
from crm_core.validation import clean_field


@dataclass(frozen=True, slots=True)
class Duplicate:
    contact: Contact
    reason: str


def find_duplicates(
    session: Session,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    company: str | None = None,
    exclude_id: int | None = None,
) -> list[Duplicate]:
    """Live contacts that look like the same person: same email or phone (normalised), or a
    very similar name at the same company."""
    found: dict[int, Duplicate] = {}
    clauses = []
    email = clean_field("email", email) if email else None
    phone = clean_field("phone", phone) if phone else None
    if email:
        clauses.append(Contact.email == email)
    if phone:
        clauses.append(Contact.phone == phone)
    if clauses:
        for contact in session.scalars(select(Contact).where(live(), or_(*clauses))):
            if contact.id == exclude_id:
                continue
            reason = "same email" if email and contact.email == email else "same phone"
            found[contact.id] = Duplicate(contact, reason)
    if name and company and company.strip():
        # Names only: a busy company has hundreds of contacts, and few of them match.
        same_company = session.execute(
            select(Contact.id, Contact.name).where(
                live(), func.lower(Contact.company) == company.strip().casefold()
            )
        )
        for contact_id, contact_name in same_company.all():
            if contact_id == exclude_id or contact_id in found:
                continue
            if fuzz.token_sort_ratio(contact_name.casefold(), name.casefold()) >= 88:
                contact = session.get_one(Contact, contact_id)
                found[contact_id] = Duplicate(contact, "similar name at the same company")
    return list(found.values())
