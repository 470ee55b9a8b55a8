"""The dashboard figures, each computed by the database (one statement, nothing loaded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.models import Contact
from crm_core.services.contacts import live
from crm_core.services.listing import View
from crm_core.stages import QUOTE_PENDING_STAGES, ContactType, Status


@dataclass(frozen=True, slots=True)
class Dashboard:
    view: View
    due_today: int
    overdue: int
    quotes_pending: int
    potential_revenue: Decimal


def dashboard(session: Session, user_id: int, view: View, today: date) -> Dashboard:
    """One statement; each figure is its own subquery so that each is read from the index that
    suits it (at 100,000 contacts a single pass over the table is several times slower)."""
    scope = [live()]
    if view is View.MINE:
        scope.append(Contact.owner_id == user_id)
    active = Contact.status == Status.ACTIVE.value

    def count(*conditions: Any) -> Any:
        return select(func.count()).select_from(Contact).where(*scope, *conditions)

    stmt = select(
        count(Contact.next_followup_date == today).scalar_subquery(),
        count(Contact.next_followup_date < today).scalar_subquery(),
        count(
            active,
            Contact.contact_type == ContactType.PREVENTION_PROSPECT.value,
            Contact.current_stage.in_(QUOTE_PENDING_STAGES),
        ).scalar_subquery(),
        select(func.coalesce(func.sum(Contact.potential_value), 0))
        .where(*scope, active, Contact.potential_value.is_not(None))  # the index has no NULLs
        .scalar_subquery(),
    )
    due_today, overdue, quotes, revenue = session.execute(stmt).one()
    return Dashboard(
        view=view,
        due_today=int(due_today),
        overdue=int(overdue),
        quotes_pending=int(quotes),
        potential_revenue=Decimal(revenue).quantize(Decimal("0.01")),
    )
