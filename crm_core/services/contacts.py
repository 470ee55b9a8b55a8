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
from sqlalchemy import and_, case, column, delete, func, or_, select, table, tuple_
from sqlalchemy.orm import Session

from crm_core.errors import NotFound, ValidationError
from crm_core.fields import CONTACT_FIELDS
from crm_core.models import SQLITE_SEARCH_INDEX, Contact, File, Note, StageChange, User, utcnow
from crm_core.services import revenue
from crm_core.services.referrals import ReferralSummary, referral_summary
from crm_core.stages import ContactType, Status, find_stage, first_stage
from crm_core.validation import clean_field, clean_followup_at

TRASH_DAYS = 30
SEARCH_LIMIT = 20
#: Words of a search that must all match (the rest of a longer text is ignored).
SEARCH_WORDS = 8


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
    #: Whether contacts come before/after this page, when the rows said so (a page read next to
    #: a contact); None: as the page number says.
    more_before: bool | None = None
    more_after: bool | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1 if self.more_before is None else self.more_before

    @property
    def has_next(self) -> bool:
        return self.page < self.pages if self.more_after is None else self.more_after


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


def derived_columns(contact: Contact) -> dict[str, str]:
    """The columns kept from a contact's fields: ``search_text`` (casefolded name, email,
    company and phone digits) for search, ``name_key`` (the name casefolded) for ordering."""
    parts = [contact.name, contact.email or "", contact.company or ""]
    if contact.phone:
        digits = re.sub(r"\D", "", contact.phone)
        parts.append(digits)
        if contact.phone.startswith("+44"):
            parts.append("0" + digits[2:])  # the national form people type: 07700...
    return {
        "search_text": " ".join(p.casefold() for p in parts if p),
        "name_key": contact.name.casefold(),
    }


def _derive(contact: Contact) -> None:
    for column_name, value in derived_columns(contact).items():
        setattr(contact, column_name, value)


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
    _derive(contact)
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


#: What every service says of a contact id that names no contact (erased, or in the trash
#: where only live ones will do): ids are never reused, so an old button or reply can't name
#: another contact.
GONE = "That contact no longer exists."


def get_contact(session: Session, contact_id: int, *, include_deleted: bool = False) -> Contact:
    """The one way services load a contact by id; ``NotFound(GONE)`` if there is none."""
    contact = session.get(Contact, contact_id)
    if contact is None or (contact.deleted_at is not None and not include_deleted):
        raise NotFound(GONE)
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
        referred_by_name=contact.referred_by.name if contact.referred_by else None,
        jobs=revenue.job_summary(session, contact_id),
        referrals=referral_summary(session, contact_id)
        if contact.type is ContactType.REFERRAL_PARTNER
        else None,
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
    revenue.refuse_hand_edits(session, contact, values)
    if "owner_id" in changes:
        contact.owner_id = int(changes["owner_id"])
    if "referred_by_id" in changes:
        old_partner, contact.referred_by_id = contact.referred_by_id, changes["referred_by_id"]
        session.flush()
        revenue.move_referral(session, contact.id, old_partner, contact.referred_by_id)
    new_type = values.pop("contact_type", None)
    for name, value in values.items():
        setattr(contact, name, value)
    if "next_followup_date" in changes:  # a new date drops the old time unless one is typed
        contact.next_followup_time = clean_followup_at(changes["next_followup_date"], today)[1]
    if new_type is not None and new_type.value != contact.contact_type:
        contact.contact_type = new_type.value
        _record_stage(session, contact, first_stage(new_type).key, by_user_id, now)
    _derive(contact)
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
    contact = get_contact(session, contact_id, include_deleted=True)
    contact.deleted_at = None
    session.flush()
    return contact


def list_trash(
    session: Session,
    *,
    now: datetime | None = None,
    text: str = "",
    page: int = 1,
    page_size: int = 10,
) -> Page:
    """A page of the trash (contacts deleted in the last ``TRASH_DAYS`` days), the most
    recently deleted first; with ``text``, only those that search would find by it."""
    since = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    conditions = [Contact.deleted_at.is_not(None), Contact.deleted_at >= since]
    query = " ".join(text.casefold().split())
    if query:
        conditions.append(_matching(session, query))
    total = session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0
    page = min(max(1, page), max(1, math.ceil(total / page_size)))
    items = session.scalars(
        select(Contact)
        .where(*conditions)
        .order_by(Contact.deleted_at.desc(), Contact.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return Page(list(items), total, page, page_size)


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
    contact = get_contact(session, contact_id, include_deleted=True)
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


def search_contacts(
    session: Session,
    text: str,
    *,
    limit: int = SEARCH_LIMIT,
    within: tuple[ContactFilter, int] | None = None,
) -> list[Contact]:
    """Case-insensitive search over name, email, company and phone digits: a contact matches
    when it holds every word typed, in any order ("patel leeds" finds Priya Patel of Leeds
    Lettings); a phone number matches as typed or as its digits. Exact name first, then names
    starting with the text, then a word starting with it, then the rest by name.
    ``within`` (a list filter and the acting admin's id) narrows the matches to that list."""
    query = " ".join(text.casefold().split())
    if not query:
        return []
    name = Contact.name_key
    # Ordered by its label, so the database works the CASE out once a row, not twice (with
    # bound parameters SQLite can't tell the ORDER BY copy is the same expression).
    rank = case(
        (name == query, 0),
        (name.like(_escape(query) + "%", escape="\\"), 1),
        (name.like("% " + _escape(query) + "%", escape="\\"), 2),
        else_=3,
    ).label("rank")
    matches = _matching(session, query)
    # Rank on the ids first; only the page of winners is loaded (with its owner).
    scope = _conditions(*within) if within is not None else [live()]
    ranked = (
        select(Contact.id, rank)
        .where(*scope, matches)
        .order_by(rank, Contact.name_key, Contact.id)
        .limit(limit)
        .subquery()
    )
    stmt = (
        select(Contact)
        .join(ranked, Contact.id == ranked.c.id)
        .order_by(ranked.c.rank, Contact.name_key, Contact.id)
    )
    return list(session.scalars(stmt))


def _matching(session: Session, query: str) -> Any:
    """The condition of search's word matching, for a casefolded, non-empty ``query``: every
    word typed is in the search text (in any order); a phone number as typed or as digits."""
    digits = re.sub(r"[\s()+-]", "", query)
    # Either group matches: all of its needles are in the search text.
    if digits.isdigit():
        groups = [[query], [digits]] if digits != query else [[query]]
    else:
        # Each distinct word once, and no more than a sane number: a pasted letter still gets
        # an answer, not a statement too deep for the database.
        groups = [list(dict.fromkeys(query.split(" ")))[:SEARCH_WORDS]]
    matches: Any = or_(
        *(
            and_(*(Contact.search_text.like(f"%{_escape(n)}%", escape="\\") for n in group))
            for group in groups
        )
    )
    if session.get_bind().dialect.name == "sqlite":
        matches = Contact.id.in_(_sqlite_matching_ids(groups, matches))
    return matches


def _escape(needle: str) -> str:
    """LIKE's wildcards taken literally."""
    return needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_SQLITE_FTS = table(SQLITE_SEARCH_INDEX, column("rowid"), column("search_text"))


def _sqlite_matching_ids(groups: list[list[str]], like: Any) -> Any:
    """The ids whose search text holds every needle of a group, on SQLite (PostgreSQL's
    trigram index serves the LIKEs directly). The FTS5 trigram index answers when every needle
    has three characters or more; otherwise the narrow search_text index is scanned alone, and
    only the rows that matched are read."""
    if all(len(n) >= 3 for group in groups for n in group):
        # A quoted phrase per needle: with trigram tokens a phrase matches as a substring.
        expression = " OR ".join(
            "(" + " AND ".join('"' + n.replace('"', '""') + '"' for n in group) + ")"
            for group in groups
        )
        return select(_SQLITE_FTS.c.rowid).where(_SQLITE_FTS.c.search_text.match(expression))
    return select(Contact.id).where(like)


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


def list_order(*, reverse: bool = False) -> tuple[Any, ...]:
    """Soonest follow-up first, contacts without one last, then by name (or all of it reversed)."""
    if reverse:
        return (
            Contact.next_followup_date.desc().nulls_first(),
            Contact.name_key.desc(),
            Contact.id.desc(),
        )
    return (Contact.next_followup_date.asc().nulls_last(), Contact.name_key, Contact.id)


def list_contacts(
    session: Session,
    user_id: int,
    flt: ContactFilter = ContactFilter(),
    *,
    page: int = 1,
    page_size: int = 10,
    after: int | None = None,
    before: int | None = None,
) -> Page:
    """A page of contacts, soonest follow-up first, contacts without one last, then by name.

    ``after``/``before`` name a contact: the page is then the contacts that follow (precede) it
    in list order, as they stand now ("Next" from a page that ended with it), and ``page`` is
    only the number to show. That is an index seek however deep the page, and nobody is skipped
    or shown twice when contacts are edited between two presses. Without one, ``page`` is
    counted out; past the middle from the end, so the last page is as cheap as the first.
    Counting and paging read only ids (covering indexes); then the page's rows are loaded."""
    conditions = _conditions(flt, user_id)
    total = session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    anchor_id = after if after is not None else before
    anchor = None
    if anchor_id is not None and total:
        anchor = session.execute(
            select(Contact.next_followup_date, Contact.name_key, Contact.id).where(
                Contact.id == anchor_id
            )
        ).one_or_none()
    ids: list[int] = []
    more_before = more_after = None
    if anchor is not None:
        forward = after is not None
        due, name_key, edge_id = anchor
        found = _ids_beyond(session, conditions, (due, name_key, edge_id), forward, page_size + 1)
        more = len(found) > page_size
        # Edits since the button was drawn can shift the page boundaries: whether there is
        # a next or previous page comes from the rows, and the number only says roughly where.
        if forward and found:
            ids, more_before, more_after = found[:page_size], True, more
            page = page if more else pages
        elif forward:
            page = pages  # nothing follows the contact by now: the last page
        elif more:
            ids, more_before, more_after = found[:page_size][::-1], True, True
            page = max(2, page)
        else:
            page = 1  # nothing much precedes it by now: the first page
    if not ids:
        ids = _ids_at(session, conditions, total, (page - 1) * page_size, page_size)
    rows = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(ids)))}
    return Page(
        items=[rows[i] for i in ids],
        total=total,
        page=page,
        page_size=page_size,
        more_before=more_before,
        more_after=more_after,
    )


def _ids_at(
    session: Session, conditions: list[Any], total: int, offset: int, size: int
) -> list[int]:
    """The ids of rows ``offset`` to ``offset + size`` in list order, read from whichever end
    is nearer."""
    size = max(0, min(size, total - offset))
    after = total - offset - size  # rows after this page
    reverse = after < offset
    ids = list(
        session.scalars(
            select(Contact.id)
            .where(*conditions)
            .order_by(*list_order(reverse=reverse))
            .limit(size)
            .offset(after if reverse else offset)
        )
    )
    return ids[::-1] if reverse else ids


def _ids_beyond(
    session: Session,
    conditions: list[Any],
    anchor: tuple[date | None, str, int],
    forward: bool,
    limit: int,
) -> list[int]:
    """Up to ``limit`` ids next to the anchor's place in list order, nearest first.

    The list is two runs: dated contacts by (date, name key, id), then undated ones by (name
    key, id).
    Each run is read with a row-value comparison, which both databases answer by seeking the
    follow-up indexes; within a run the NULL placement of ``list_order`` is moot, so the plain
    order is the one those indexes have."""
    day, name, ident = anchor
    when = Contact.next_followup_date
    dated, undated = when.is_not(None), when.is_(None)

    def past(columns: Any, values: Any) -> Any:
        return columns > values if forward else columns < values

    key = Contact.name_key
    if day is not None:
        here = [dated, past(tuple_(when, key, Contact.id), tuple_(day, name, ident))]
        then = [undated] if forward else None
    else:
        here = [undated, past(tuple_(key, Contact.id), tuple_(name, ident))]
        then = None if forward else [dated]
    order = (when, key, Contact.id) if forward else (when.desc(), key.desc(), Contact.id.desc())
    ids: list[int] = []
    for run in (here, then):
        if run is None or len(ids) >= limit:
            break
        ids += session.scalars(
            select(Contact.id).where(*conditions, *run).order_by(*order).limit(limit - len(ids))
        )
    return ids


def iter_filtered(session: Session, user_id: int, flt: ContactFilter) -> list[Contact]:
    """Every contact of a filter, in list order (for exports)."""
    return list(session.scalars(_filtered(flt, user_id).order_by(*list_order())))


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


def recently_touched(session: Session, *, limit: int = 5) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact).where(live()).order_by(Contact.updated_at.desc()).limit(limit)
        )
    )


