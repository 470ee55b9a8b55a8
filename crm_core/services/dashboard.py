"""The dashboard figures, each computed by the database in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from crm_core.models import Contact
from crm_core.services.contacts import View, live
from crm_core.stages import QUOTE_PENDING_STAGES, ContactType, Status


@dataclass(frozen=True, slots=True)
class Dashboard:
    view: View
    due_today: int
    overdue: int
    quotes_pending: int
    potential_revenue: Decimal


def dashboard(session: Session, user_id: int, view: View, today: date) -> Dashboard:
    def count(condition: object) -> object:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    active = Contact.status == Status.ACTIVE.value
    stmt = select(
        count(Contact.next_followup_date == today),
        count(Contact.next_followup_date < today),
        count(
            and_(
                active,
                Contact.contact_type == ContactType.PREVENTION_PROSPECT.value,
                Contact.current_stage.in_(QUOTE_PENDING_STAGES),
            )
        ),
        func.coalesce(func.sum(case((active, Contact.potential_value), else_=None)), 0),
    ).where(live())
    if view is View.MINE:
        stmt = stmt.where(Contact.owner_id == user_id)
    due_today, overdue, quotes, revenue = session.execute(stmt).one()
    return Dashboard(
        view=view,
        due_today=int(due_today),
        overdue=int(overdue),
        quotes_pending=int(quotes),
        potential_revenue=Decimal(revenue).quantize(Decimal("0.01")),
    )
