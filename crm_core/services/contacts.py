"""Contacts: create, read, update, trash, restore, purge, search, list, duplicates."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.orm import Session

from crm_core.errors import NotFound, ValidationError
from crm_core.models import Contact, File, Note, StageChange, User, utcnow
from crm_core.stages import ContactType, Status, find_stage, first_stage
from crm_core.validation import clean_field, clean_followup_at

#: Fields a person may set on a contact, in the order forms and exports show them.
CONTACT_FIELDS: tuple[str, ...] = (
    "name",
    "email",
    "phone",
    "company",
    "contact_type",
    "how_found_us",
    "property_address",
    "service_type",
    "urgency_level",
    "next_followup_date",
    "potential_value",
    "total_revenue",
    "total_jobs_referred",
)
TRASH_DAYS = 30
SEARCH_LIMIT = 20


class View(StrEnum):
    MINE = "mine"
    TEAM = "team"


@dataclass(frozen=True, slots=True)
class ContactFilter:
    view: View = View.TEAM
    contact_type: ContactType | None = None
    status: Status | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Contact]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True, slots=True)
class ContactCard:
    """Everything a contact card shows, fetched in one go."""

    contact: Contact
    recent_notes: list[Note]
    note_count: int
    file_count: int
    referred_by_name: str | None = None


@dataclass(frozen=True, slots=True)
class Duplicate:
    contact: Contact
    reason: str


@dataclass(frozen=True, slots=True)
class PurgeResult:
    contact_ids: list[int] = field(default_factory=list)
    storage_keys: list[str] = field(default_factory=list)


def live() -> Any:
    return Contact.deleted_at.is_(None)


def search_text_for(contact: Contact) -> str:
    parts = [contact.name, contact.email or "", contact.company or ""]
    if contact.phone:
        digits = re.sub(r"\D", "", contact.phone)
        parts.append(digits)
        if contact.phone.startswith("+44"):
            parts.append("0" + digits[2:])  # the national form people type: 07700...
    return " ".join(p.casefold() for p in parts if p)


def _clean(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    unknown = set(data) - set(CONTACT_FIELDS) - {"current_stage", "status", "owner_id",
                                                 "referred_by_id"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], f"Unknown field: {sorted(unknown)[0]}.")
    return {
        name: clean_field(name, value, today=today)
        for name, value in data.items()
        if name in CONTACT_FIELDS
    }


def _check_owner(session: Session, owner_id: int) -> User:
    owner = session.get(User, owner_id)
    if owner is None or not owner.active:
        raise ValidationError("owner", "That admin doesn't exist or is no longer active.")
    return owner


def _check_referrer(session: Session, referred_by_id: int | None, self_id: int | None) -> None:
    if referred_by_id is None:
        return
    partner = session.get(Contact, referred_by_id)
    if partner is None or partner.deleted_at is not None or partner.id == self_id:
        raise ValidationError("referred_by_id", "That referral partner doesn't exist.")
    if partner.type is not ContactType.REFERRAL_PARTNER:
        raise ValidationError("referred_by_id", f"{partner.name} is not a referral partner.")


def create_contact(
    session: Session,
    owner_id: int,
    data: Mapping[str, Any],
    *,
    today: date,
    now: datetime | None = None,
) -> Contact:
    """Validate every field, then insert the contact and its first stage-history row."""
    now = now or utcnow()
    values = _clean(data, today)
    if "name" not in values:
        raise ValidationError("name", "Name can't be empty.")
    if "contact_type" not in values:
        raise ValidationError("contact_type", "Choose the contact's type.")
    ctype: ContactType = values["contact_type"]
    stage = first_stage(ctype)
    if data.get("current_stage"):
        found = find_stage(ctype, str(data["current_stage"]))
        if found is None:
            raise ValidationError(
                "current_stage", f"{data['current_stage']!r} is not a stage for {ctype.label}s."
            )
        stage = found
    status = stage.status
    if data.get("status"):
        try:
            status = Status(str(data["status"]).strip().lower())
        except ValueError:
            raise ValidationError(
                "status", "Status must be active, won, lost or dormant."
            ) from None
    _check_owner(session, owner_id)
    _check_referrer(session, data.get("referred_by_id"), None)
    values["contact_type"] = ctype.value
    contact = Contact(
        **values,
        owner_id=owner_id,
        referred_by_id=data.get("referred_by_id"),
        current_stage=stage.key,
        status=status.value,
        stage_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    if data.get("next_followup_date") is not None:  # "tomorrow 14:00" keeps its time
        contact.next_followup_time = clean_followup_at(data["next_followup_date"], today)[1]
    contact.search_text = search_text_for(contact)
    session.add(contact)
    session.flush()
    session.add(
        StageChange(
            contact_id=contact.id, from_stage=None, to_stage=stage.key, changed_by=owner_id,
            changed_at=now,
        )
    )
    session.flush()
    return contact


def get_contact(session: Session, contact_id: int, *, include_deleted: bool = False) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or (contact.deleted_at is not None and not include_deleted):
        raise NotFound("That contact no longer exists.")
    return contact


def get_card(session: Session, contact_id: int, *, notes: int = 3) -> ContactCard:
    contact = get_contact(session, contact_id)
    recent = list(
        session.scalars(
            select(Note)
            .where(Note.contact_id == contact_id)
            .order_by(Note.created_at.desc(), Note.id.desc())
            .limit(notes)
        )
    )
    note_count, file_count = session.execute(
        select(
            select(func.count()).where(Note.contact_id == contact_id).scalar_subquery(),
            select(func.count()).where(File.contact_id == contact_id).scalar_subquery(),
        )
    ).one()
    return ContactCard(
        contact=contact,
        recent_notes=recent,
        note_count=note_count,
        file_count=file_count,
        referred_by_name=contact.referred_by.name if contact.referred_by_id else None,
    )


def update_contact(
    session: Session,
    contact_id: int,
    changes: Mapping[str, Any],
    *,
    by_user_id: int | None,
    today: date,
    now: datetime | None = None,
) -> Contact:
    """Apply a partial update. A new type resets the stage to that pipeline's first."""
    now = now or utcnow()
    contact = get_contact(session, contact_id)
    values = _clean(changes, today)
    for name in ("current_stage", "status"):
        if name in changes:  # follows from the stage, which change_stage records in history
            raise ValidationError(name, "The stage is changed on its own, not with an edit.")
    if "name" in changes and "name" not in values:
        raise ValidationError("name", "Name can't be empty.")
    # Check everything before changing anything: nothing half-applied if a check fails.
    if "owner_id" in changes:
        _check_owner(session, int(changes["owner_id"]))
    if "referred_by_id" in changes:
        _check_referrer(session, changes["referred_by_id"], contact.id)
    if "owner_id" in changes:
        contact.owner_id = int(changes["owner_id"])
    if "referred_by_id" in changes:
        contact.referred_by_id = changes["referred_by_id"]
    new_type = values.pop("contact_type", None)
    for name, value in values.items():
        setattr(contact, name, value)
    if "next_followup_date" in changes:  # a new date drops the old time unless one is typed
        contact.next_followup_time = clean_followup_at(changes["next_followup_date"], today)[1]
    if new_type is not None and new_type.value != contact.contact_type:
        contact.contact_type = new_type.value
        _record_stage(session, contact, first_stage(new_type).key, by_user_id, now)
    contact.search_text = search_text_for(contact)
    contact.updated_at = now
    session.flush()
    return contact


def _record_stage(
    session: Session, contact: Contact, to_stage: str, by_user_id: int | None, now: datetime
) -> None:
    stage = find_stage(contact.type, to_stage)
    if stage is None:
        raise ValidationError(
            "current_stage", f"That stage isn't part of the {contact.type.label} pipeline."
        )
    session.add(
        StageChange(
            contact_id=contact.id,
            from_stage=contact.current_stage,
            to_stage=stage.key,
            changed_by=by_user_id,
            changed_at=now,
        )
    )
    contact.current_stage = stage.key
    contact.status = stage.status.value
    contact.stage_changed_at = now


def change_stage(
    session: Session,
    contact_id: int,
    stage_key: str,
    *,
    by_user_id: int | None,
    now: datetime | None = None,
) -> Contact:
    """Move a contact to a stage of its own pipeline, recording the change."""
    now = now or utcnow()
    contact = get_contact(session, contact_id)
    stage = find_stage(contact.type, stage_key)
    if stage is None:
        raise ValidationError(
            "current_stage", f"That stage isn't part of the {contact.type.label} pipeline."
        )
    if stage.key != contact.current_stage:
        _record_stage(session, contact, stage.key, by_user_id, now)
        contact.updated_at = now
        session.flush()
    return contact


def stage_history(session: Session, contact_id: int) -> list[StageChange]:
    get_contact(session, contact_id)
    return list(
        session.scalars(
            select(StageChange)
            .where(StageChange.contact_id == contact_id)
            .order_by(StageChange.changed_at, StageChange.id)
        )
    )


def delete_contact(session: Session, contact_id: int, *, now: datetime | None = None) -> Contact:
    """Move to the trash: hidden everywhere, restorable for ``TRASH_DAYS`` days."""
    contact = get_contact(session, contact_id)
    contact.deleted_at = now or utcnow()
    session.flush()
    return contact


def restore_contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("That contact was deleted for good and can't be restored.")
    contact.deleted_at = None
    session.flush()
    return contact


def list_trash(session: Session, *, now: datetime | None = None) -> list[Contact]:
    since = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    return list(
        session.scalars(
            select(Contact)
            .where(Contact.deleted_at.is_not(None), Contact.deleted_at >= since)
            .order_by(Contact.deleted_at.desc())
        )
    )


def _purge_ids(session: Session, ids: Sequence[int]) -> PurgeResult:
    if not ids:
        return PurgeResult()
    keys = list(session.scalars(select(File.storage_key).where(File.contact_id.in_(ids))))
    # Notes, files and stage history go with the contact (ON DELETE CASCADE).
    session.execute(delete(Contact).where(Contact.id.in_(ids)))
    session.flush()
    return PurgeResult(contact_ids=list(ids), storage_keys=keys)


def purge_contact(session: Session, contact_id: int) -> PurgeResult:
    """Erase one trashed contact now (e.g. a UK GDPR erasure request)."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("That contact is already gone.")
    if contact.deleted_at is None:
        raise ValidationError("contact", "Move the contact to the trash before erasing it.")
    session.expunge(contact)
    return _purge_ids(session, [contact_id])


def purge_trash(
    session: Session, *, older_than_days: int = TRASH_DAYS, now: datetime | None = None
) -> PurgeResult:
    """Erase contacts trashed more than ``older_than_days`` days ago. Returns the storage keys
    whose objects the caller deletes once the transaction has committed."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    ids = list(
        session.scalars(
            select(Contact.id).where(Contact.deleted_at.is_not(None), Contact.deleted_at < cutoff)
        )
    )
    return _purge_ids(session, ids)


def search_contacts(session: Session, text: str, *, limit: int = SEARCH_LIMIT) -> list[Contact]:
    """Case-insensitive substring search over name, email, company and phone digits.
    Exact name first, then names starting with the text, then a word starting with it."""
    query = " ".join(text.casefold().split())
    if not query:
        return []
    digits = re.sub(r"[\s()+-]", "", query)
    needles = [query]
    if digits.isdigit() and digits != query:
        needles.append(digits)
    escaped = [n.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for n in needles]
    name = func.lower(Contact.name)
    rank = case(
        (name == query, 0),
        (name.like(escaped[0] + "%", escape="\\"), 1),
        (name.like("% " + escaped[0] + "%", escape="\\"), 2),
        else_=3,
    )
    matches: Any = or_(*(Contact.search_text.like("%" + e + "%", escape="\\") for e in escaped))
    if session.get_bind().dialect.name == "sqlite":
        # No trigram index on SQLite: find the ids by scanning the narrow search_text index
        # alone (a covering scan, a fraction of the table), then read only the rows that matched.
        matches = Contact.id.in_(select(Contact.id).where(matches))
    # Rank on the ids first; only the page of winners is loaded (with its owner).
    ranked = (
        select(Contact.id, rank.label("rank"))
        .where(live(), matches)
        .order_by(rank, Contact.name, Contact.id)
        .limit(limit)
        .subquery()
    )
    stmt = (
        select(Contact)
        .join(ranked, Contact.id == ranked.c.id)
        .order_by(ranked.c.rank, Contact.name, Contact.id)
    )
    return list(session.scalars(stmt))


def _conditions(flt: ContactFilter, user_id: int) -> list[Any]:
    conditions = [live()]
    if flt.view is View.MINE:
        conditions.append(Contact.owner_id == user_id)
    if flt.contact_type is not None:
        conditions.append(Contact.contact_type == flt.contact_type.value)
    if flt.status is not None:
        conditions.append(Contact.status == flt.status.value)
    return conditions


def _filtered(flt: ContactFilter, user_id: int) -> Any:
    return select(Contact).where(*_conditions(flt, user_id))


def _list_order(*, reverse: bool = False) -> tuple[Any, ...]:
    """Soonest follow-up first, contacts without one last, then by name (or all of it reversed)."""
    if reverse:
        return (
            Contact.next_followup_date.desc().nulls_first(),
            Contact.name.desc(),
            Contact.id.desc(),
        )
    return (Contact.next_followup_date.asc().nulls_last(), Contact.name, Contact.id)


def list_contacts(
    session: Session,
    user_id: int,
    flt: ContactFilter = ContactFilter(),
    *,
    page: int = 1,
    page_size: int = 10,
) -> Page:
    """A page of contacts, soonest follow-up first, contacts without one last, then by name.

    Counting and paging read only the ids (covering indexes); then the page's rows are loaded.
    A page past the middle is counted from the end, so the last page is as cheap as the first."""
    conditions = _conditions(flt, user_id)
    total = session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    offset = (page - 1) * page_size
    size = max(0, min(page_size, total - offset))
    after = total - offset - size  # rows after this page
    reverse = after < offset
    ids = (
        select(Contact.id)
        .where(*conditions)
        .order_by(*_list_order(reverse=reverse))
        .limit(size)
        .offset(after if reverse else offset)
        .subquery()
    )
    items = list(
        session.scalars(select(Contact).join(ids, Contact.id == ids.c.id).order_by(*_list_order()))
    )
    return Page(items=items, total=total, page=page, page_size=page_size)


def iter_filtered(session: Session, user_id: int, flt: ContactFilter) -> list[Contact]:
    """Every contact of a filter, in list order (for exports)."""
    return list(session.scalars(_filtered(flt, user_id).order_by(*_list_order())))


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
        same_company = session.scalars(
            select(Contact).where(
                live(), func.lower(Contact.company) == company.strip().casefold()
            )
        )
        for contact in same_company:
            if contact.id == exclude_id or contact.id in found:
                continue
            if fuzz.token_sort_ratio(contact.name.casefold(), name.casefold()) >= 88:
                found[contact.id] = Duplicate(contact, "similar name at the same company")
    return list(found.values())


def recently_touched(session: Session, *, limit: int = 5) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact).where(live()).order_by(Contact.updated_at.desc()).limit(limit)
        )
    )


