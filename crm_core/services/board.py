"""The pipeline board: one column per stage of a contact type, with its count, its total
potential value and the first contacts in it (in list order: soonest follow-up first, then
those without one, by name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from crm_core.models import Contact
from crm_core.services.contacts import View, live
from crm_core.stages import PIPELINES, ContactType, Stage

#: Contacts shown per column; the count and value are of the whole column.
COLUMN_LIMIT = 20
#: The one index holding the type, the stage and the value of live contacts: the totals are
#: read from it alone. (SQLite would otherwise pick the type index and read every row.)
TOTALS_INDEX = "ix_crm_contacts_owner_followup"


@dataclass(frozen=True, slots=True)
class Column:
    stage: Stage
    count: int
    value: Decimal
    contacts: list[Contact]


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
    """Three statements: the counts and values by stage, the first ids of every column, their
    rows."""
    scope = [live(), Contact.contact_type == contact_type.value]
    if view is View.MINE:
        scope.append(Contact.owner_id == user_id)
    totals_stmt = (
        select(
            Contact.current_stage,
            func.count(),
            func.coalesce(func.sum(Contact.potential_value), 0),
        )
        .where(*scope)
        .group_by(Contact.current_stage)
        .with_hint(Contact, f"INDEXED BY {TOTALS_INDEX}", "sqlite")
    )
    totals = {
        stage: (int(count), Decimal(value or 0))
        for stage, count, value in session.execute(totals_stmt)
    }
    stages = PIPELINES[contact_type]
    firsts = _first_ids(session, scope, [s.key for s in stages], limit)
    wanted = [i for ids in firsts.values() for i in ids]
    rows = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(wanted)))}
    columns = []
    for stage in stages:
        count, value = totals.get(stage.key, (0, Decimal(0)))
        contacts = [rows[i] for i in firsts.get(stage.key, [])]
        columns.append(Column(stage, count, value.quantize(Decimal("0.01")), contacts))
    return Board(contact_type=contact_type, view=view, columns=columns)


def _first_ids(
    session: Session, scope: list[Any], stage_keys: list[str], limit: int
) -> dict[str, list[int]]:
    """The first ``limit`` ids of each stage in list order, in one statement: per stage, the
    dated run and the undated run (each an index seek, as in ``list_contacts``)."""
    when = Contact.next_followup_date
    parts = []
    for key in stage_keys:
        here = [*scope, Contact.current_stage == key]
        for run, order in (
            (when.is_not(None), (when, Contact.name_key, Contact.id)),
            (when.is_(None), (Contact.name_key, Contact.id)),
        ):
            first = (
                select(Contact.id, Contact.current_stage, when, Contact.name_key)
                .where(*here, run)
                .order_by(*order)
                .limit(limit)
                .subquery()
            )
            parts.append(select(first))
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for ident, stage, day, name in session.execute(union_all(*parts)):
        rows.setdefault(stage, []).append((day is None, day or date.min, name, ident))
    # A union keeps no order: each stage's rows are put back in list order here.
    return {stage: [r[-1] for r in sorted(found)[:limit]] for stage, found in rows.items()}
