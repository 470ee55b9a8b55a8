"""Listing: pages of contacts by view, type and status, soonest follow-up first."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from crm_core.models import Contact
from crm_core.services.contacts import live
from crm_core.stages import ContactType, Status


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


def filter_conditions(flt: ContactFilter, user_id: int) -> list[Any]:
    """The WHERE conditions of a filter's list, for the acting admin."""
    found = [live()]
    if flt.view is View.MINE:
        found.append(Contact.owner_id == user_id)
    if flt.contact_type is not None:
        found.append(Contact.contact_type == flt.contact_type.value)
    if flt.status is not None:
        found.append(Contact.status == flt.status.value)
    return found


def _filtered(flt: ContactFilter, user_id: int) -> Any:
    return select(Contact).where(*filter_conditions(flt, user_id))


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
    conditions = filter_conditions(flt, user_id)
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
