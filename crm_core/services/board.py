"""The pipeline board: one column per stage of a contact type, with its count, its total
potential value and the first contacts in it (in list order)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.models import Contact
from crm_core.services.contacts import View, list_order, live
from crm_core.stages import PIPELINES, ContactType, Stage

#: Contacts shown per column; the count and value are of the whole column.
COLUMN_LIMIT = 20


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
    """Counts and values by one grouped statement; each column's first contacts by one
    statement, numbered per stage (a window function both databases have)."""
    scope = [live(), Contact.contact_type == contact_type.value]
    if view is View.MINE:
        scope.append(Contact.owner_id == user_id)
    totals = {
        stage: (int(count), Decimal(value or 0))
        for stage, count, value in session.execute(
            select(
                Contact.current_stage,
                func.count(),
                func.coalesce(func.sum(Contact.potential_value), 0),
            )
            .where(*scope)
            .group_by(Contact.current_stage)
        )
    }
    order = list_order()
    place = func.row_number().over(partition_by=Contact.current_stage, order_by=order).label("n")
    ranked = select(Contact.id, place).where(*scope).subquery()
    rows = session.scalars(
        select(Contact)
        .join(ranked, Contact.id == ranked.c.id)
        .where(ranked.c.n <= limit)
        .order_by(*list_order())
    )
    by_stage: dict[str, list[Contact]] = {}
    for contact in rows:
        by_stage.setdefault(contact.current_stage, []).append(contact)
    columns = []
    for stage in PIPELINES[contact_type]:
        count, value = totals.get(stage.key, (0, Decimal(0)))
        columns.append(
            Column(stage, count, value.quantize(Decimal("0.01")), by_stage.get(stage.key, []))
        )
    return Board(contact_type=contact_type, view=view, columns=columns)
