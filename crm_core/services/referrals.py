"""Referral partners: picking one for a referred contact, and what a partner's card says of
the contacts it sent (how many, their jobs, their paid revenue, the last one's date)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, bindparam, case, func, select
from sqlalchemy.orm import Session

from crm_core.models import Contact, Job
from crm_core.stages import ContactType, JobStatus

#: What ``how_found_us`` says of a contact sent by a partner (the partner is ``referred_by``).
REFERRED_BY_A_PARTNER = "Referred by a partner"
RECENT_PARTNERS = 5
#: Referred contacts a partner's card names.
NAMED_ON_CARD = 5


@dataclass(frozen=True, slots=True)
class ReferralSummary:
    contacts: int
    jobs: int  # jobs not cancelled
    revenue: Decimal  # paid jobs' value
    last_referred_at: datetime | None
    #: The latest referred contacts: (id, name), newest first.
    latest: list[tuple[int, str]] = field(default_factory=list)


def _partners() -> list[ColumnElement[bool]]:
    return [
        Contact.deleted_at.is_(None),
        Contact.contact_type == ContactType.REFERRAL_PARTNER.value,
    ]


def find_partners(
    session: Session, text: str = "", *, limit: int = RECENT_PARTNERS
) -> list[Contact]:
    """Live referral partners (Inactive ones too: they keep their history) whose name or
    company holds every word typed; without text, the ones that referred someone last, then
    the ones touched last."""
    referred = Contact.__table__.alias("referred")
    last = (
        select(func.max(referred.c.created_at))
        .where(referred.c.referred_by_id == Contact.id)
        .correlate(Contact)
        .scalar_subquery()
    )
    stmt = select(Contact).where(*_partners())
    words = text.casefold().split()
    for word in words[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Contact.search_text.like(f"%{escaped}%", escape="\\"))
    if words:
        stmt = stmt.order_by(Contact.name_key, Contact.id)
    else:
        stmt = stmt.order_by(last.desc().nulls_last(), Contact.updated_at.desc(), Contact.id)
    return list(session.scalars(stmt.limit(limit)))


def _summary_statements() -> tuple[Select[int, datetime], Select[Any, Any], Select[int, str]]:
    """``referral_summary``'s statements, built once (a partner's card is read often)."""
    partner_id = bindparam("partner_id", type_=Integer)
    live_referred = (Contact.referred_by_id == partner_id, Contact.deleted_at.is_(None))
    figures = select(func.count(Contact.id), func.max(Contact.created_at)).where(*live_referred)
    referred = select(Contact.id).where(*live_referred)
    jobs = select(
        func.count(case((Job.status != JobStatus.CANCELLED.value, Job.id))),
        func.coalesce(func.sum(case((Job.status == JobStatus.PAID.value, Job.value), else_=0)), 0),
    ).where(Job.contact_id.in_(referred))
    latest = (
        select(Contact.id, Contact.name)
        .where(*live_referred)
        .order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(NAMED_ON_CARD)
    )
    return figures, jobs, latest


_FIGURES, _JOBS, _LATEST = _summary_statements()


def referral_summary(session: Session, partner_id: int) -> ReferralSummary:
    """A partner's referred contacts in figures (three statements)."""
    params = {"partner_id": partner_id}
    contacts, last = session.execute(_FIGURES, params).one()
    jobs, paid = session.execute(_JOBS, params).one()
    latest = session.execute(_LATEST, params).all()
    return ReferralSummary(
        contacts=int(contacts),
        jobs=int(jobs),
        revenue=Decimal(paid).quantize(Decimal("0.01")),
        last_referred_at=last,
        latest=[(i, n) for i, n in latest],
    )
