"""The pipeline board: one column per stage of a contact type, with its count, its total
potential value and the first contacts in it (in list order: soonest follow-up first, then
those without one, by name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select, union_all
from sqlalchemy.orm import Session

from crm_core.models import Contact, User
from crm_core.services.contacts import live
from crm_core.services.listing import View
from crm_core.stages import PIPELINES, ContactType, Stage

#: Contacts shown per column; the count and value are of the whole column.
COLUMN_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Card:
    """What a board card shows of a contact (read as columns, not as a whole contact)."""

    id: int
    name: str
    company: str | None
    contact_type: str
    stage: str
    status: str
    next_followup_date: date | None
    potential_value: Decimal | None
    owner: str


@dataclass(frozen=True, slots=True)
class Column:
    stage: Stage
    count: int
    value: Decimal
    cards: list[Card]


@dataclass(frozen=True, slots=True)
class Board:
    contact_type: ContactType
    view: View
    columns: list[Column]


def board(
    session: Session,
    user_id: int,
    contact_type: ContactType,
    *,
    view: View = View.TEAM,
    limit: int = COLUMN_LIMIT,
) -> Board:
    """Two statements: the counts and values by stage, and the first cards of every column."""
    mine = view is View.MINE
    params = {"owner_id": user_id}
    totals = {
        stage: (int(count), Decimal(value or 0))
        for stage, count, value in session.execute(_totals(contact_type, mine), params)
    }
    found: dict[str, list[tuple[Any, ...]]] = {}
    for row in session.execute(_first_cards(contact_type, mine, limit), params):
        day, name_key, ident = row.next_followup_date, row.name_key, row.id
        found.setdefault(row.current_stage, []).append(
            ((day is None, day or date.min, name_key, ident), row)
        )
    columns = []
    for stage in PIPELINES[contact_type]:
        count, value = totals.get(stage.key, (0, Decimal(0)))
        # A union keeps no order: each column is put back in list order here.
        rows = [row for _, row in sorted(found.get(stage.key, []), key=lambda r: r[0])]
        cards = [
            Card(
                r.id,
                r.name,
                r.company,
                r.contact_type,
                r.current_stage,
                r.status,
                r.next_followup_date,
                r.potential_value,
                r.owner,
            )
            for r in rows[:limit]
        ]
        columns.append(Column(stage, count, value.quantize(Decimal("0.01")), cards))
    return Board(contact_type=contact_type, view=view, columns=columns)


def _scope(contact_type: ContactType, mine: bool) -> list[Any]:
    scope = [live(), Contact.contact_type == contact_type.value]
    if mine:
        scope.append(Contact.owner_id == bindparam("owner_id"))
    return scope


# The statements are built once per shape (building 14 unions' worth of SQL expressions costs
# more than running them); the admin's id is a bound parameter.


@lru_cache(maxsize=32)
def _totals(contact_type: ContactType, mine: bool) -> Select[str, int, Decimal | None]:
    """Count and value per stage: one pass over the stage index's entries of the type, in stage
    order (no sort) and without the table (an admin's filtered by the owner in the index)."""
    return (
        select(
            Contact.current_stage,
            func.count(),
            func.coalesce(func.sum(Contact.potential_value), 0),
        )
        .where(*_scope(contact_type, mine))
        .group_by(Contact.current_stage)
    )


@lru_cache(maxsize=32)
def _first_cards(contact_type: ContactType, mine: bool, limit: int) -> Any:
    """The first ``limit`` cards of each stage: per stage, the dated run and the undated run,
    each an index seek in list order (as ``list_contacts`` reads a page)."""
    when = Contact.next_followup_date
    columns = (
        Contact.id,
        Contact.name,
        Contact.company,
        Contact.contact_type,
        Contact.current_stage,
        Contact.status,
        when,
        Contact.potential_value,
        Contact.name_key,
        User.display_name.label("owner"),
    )
    parts = []
    for stage in PIPELINES[contact_type]:
        here = [*_scope(contact_type, mine), Contact.current_stage == stage.key]
        for run, order in (
            (when.is_not(None), (when, Contact.name_key, Contact.id)),
            # The undated ordered by the date too (all NULL): PostgreSQL then reads them in the
            # stage index's order and stops at the limit (an IS NULL isn't an equality to it).
            (when.is_(None), (when, Contact.name_key, Contact.id)),
        ):
            first = (
                select(*columns)
                .join(User, User.id == Contact.owner_id)
                .where(*here, run)
                .order_by(*order)
                .limit(limit)
                .subquery()
            )
            parts.append(select(first))
    return union_all(*parts)
