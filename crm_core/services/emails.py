"""Stored email history: what the sync keeps, what the card and its list show, erasing it.

Emails of a contact in the trash are hidden (every read joins live contacts); an erased contact's
emails go with it (ON DELETE CASCADE). CSV export never reads this table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, tuple_
from sqlalchemy.orm import Session

from crm_core.errors import NotFound
from crm_core.mail.parse import normalise_address
from crm_core.models import Contact, Email, EmailAddressSeen, Note
from crm_core.services.notes import add_note
from crm_core.stages import NoteType

PAGE_SIZE = 8


@dataclass(frozen=True)
class NewEmail:
    """One matching message for one contact, as the sync found it."""

    contact_id: int
    message_key: str
    direction: str
    sent_at: datetime
    from_addr: str
    to_addrs: str
    cc_addrs: str
    subject: str
    snippet: str
    attachments: list[tuple[str, int]]
    folder: str
    uid: int
    uidvalidity: int


@dataclass(frozen=True)
class EmailSummary:
    """What the card shows: the count and the newest email."""

    count: int
    latest: Email | None


@dataclass(frozen=True)
class EmailPage:
    emails: list[Email]
    page: int
    pages: int
    total: int


def contact_addresses(session: Session) -> dict[str, list[int]]:
    """Live contacts' addresses, normalised, to the contacts that have them."""
    found: dict[str, list[int]] = defaultdict(list)
    rows = session.execute(
        select(Contact.email, Contact.id).where(
            Contact.deleted_at.is_(None), Contact.email.is_not(None)
        )
    )
    for address, contact_id in rows:
        if address and address.strip():
            found[normalise_address(address)].append(contact_id)
    return dict(found)


def unseen_addresses(
    session: Session, config_id: int, touched_since: datetime | None
) -> list[str]:
    """Live contacts' addresses this mailbox has not covered yet, among the contacts touched
    (created, edited) since ``touched_since`` (all when None). Worked out in the database: a
    sync with nothing new never loads every contact."""
    address = func.lower(func.trim(Contact.email))
    covered = select(EmailAddressSeen.address).where(
        EmailAddressSeen.config_id == config_id, EmailAddressSeen.address == address
    )
    query = select(address).where(
        Contact.deleted_at.is_(None), Contact.email.is_not(None), ~covered.exists()
    )
    if touched_since is not None:
        query = query.where(Contact.updated_at >= touched_since)
    return sorted(session.scalars(query.distinct()))


def store_emails(session: Session, user_id: int, found: Iterable[NewEmail]) -> int:
    """Insert the emails not already stored for their contact; returns how many were new."""
    fresh: dict[tuple[int, str], NewEmail] = {}
    for item in found:
        fresh.setdefault((item.contact_id, item.message_key), item)
    if not fresh:
        return 0
    pairs = list(fresh)
    existing: set[tuple[int, str]] = set()
    for start in range(0, len(pairs), 400):
        chunk = pairs[start : start + 400]
        existing.update(
            (cid, key)
            for cid, key in session.execute(
                select(Email.contact_id, Email.message_key).where(
                    tuple_(Email.contact_id, Email.message_key).in_(chunk)
                )
            )
        )
    live = set(
        session.scalars(
            select(Contact.id).where(
                Contact.id.in_({cid for cid, _ in pairs}), Contact.deleted_at.is_(None)
            )
        )
    )
    new = [item for pair, item in fresh.items() if pair not in existing and pair[0] in live]
    session.add_all(
        Email(
            contact_id=item.contact_id,
            user_id=user_id,
            message_key=item.message_key,
            direction=item.direction,
            sent_at=item.sent_at,
            from_addr=item.from_addr[:320],
            to_addrs=item.to_addrs,
            cc_addrs=item.cc_addrs,
            subject=item.subject,
            snippet=item.snippet,
            attachments=[list(a) for a in item.attachments],
            folder=item.folder,
            uid=item.uid,
            uidvalidity=item.uidvalidity,
        )
        for item in new
    )
    session.flush()
    return len(new)


def email_summary(session: Session, contact_id: int) -> EmailSummary:
    count = session.scalar(
        select(func.count(Email.id))
        .join(Contact)
        .where(Email.contact_id == contact_id, Contact.deleted_at.is_(None))
    )
    latest = session.scalar(
        select(Email)
        .join(Contact)
        .where(Email.contact_id == contact_id, Contact.deleted_at.is_(None))
        .order_by(Email.sent_at.desc(), Email.id.desc())
        .limit(1)
    )
    return EmailSummary(int(count or 0), latest)


def list_emails(session: Session, contact_id: int, page: int = 1) -> EmailPage:
    """A page of a live contact's emails, newest first."""
    total = email_summary(session, contact_id).count
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    emails = list(
        session.scalars(
            select(Email)
            .join(Contact)
            .where(Email.contact_id == contact_id, Contact.deleted_at.is_(None))
            .order_by(Email.sent_at.desc(), Email.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return EmailPage(emails, page, pages, total)


def get_email(session: Session, email_id: int) -> Email:
    row = session.scalar(
        select(Email).join(Contact).where(Email.id == email_id, Contact.deleted_at.is_(None))
    )
    if row is None:
        raise NotFound("That email is no longer stored.")
    return row


def email_to_note(session: Session, email_id: int, author_id: int) -> Note:
    """An ``email`` note on the contact with the email's subject and snippet."""
    row = get_email(session, email_id)
    arrow = "←" if row.direction == "in" else "→"
    content = f"{arrow} {row.subject or '(no subject)'}\n{row.snippet}".strip()
    return add_note(session, row.contact_id, author_id, NoteType.EMAIL, content)


def forget_mail(session: Session, user_id: int) -> int:
    """Erase every email stored from this admin's mailbox; returns how many."""
    result = session.execute(delete(Email).where(Email.user_id == user_id))
    session.flush()
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def stored_count(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count(Email.id)).where(Email.user_id == user_id)) or 0)
