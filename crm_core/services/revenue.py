"""Totals derived from jobs: a contact's ``total_revenue`` (the sum of its paid jobs) and a
partner's ``total_jobs_referred`` (the jobs, not cancelled, of the contacts it referred).

They are kept by the services in the same transaction as the change that moves them. Under
concurrency the rows are locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has one
writer at a time): the totals are then recomputed by statements that, at READ COMMITTED, see
every transaction that held the lock before, so two admins marking two jobs of one contact
paid at once leave the sum of both. Contacts without jobs keep the values typed or imported
before jobs existed, until their first job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, Select, case, exists, func, select, update
from sqlalchemy.orm import Session

from crm_core.errors import ValidationError
from crm_core.models import Contact, Job
from crm_core.stages import OPEN_JOB_STATUSES, JobStatus

PAID = JobStatus.PAID.value
CANCELLED = JobStatus.CANCELLED.value


def lock_contacts(session: Session, *contact_ids: int | None) -> None:
    """Take the row locks of these contacts, in id order (so two transactions never wait on
    each other crosswise). Only the contacts' own rows: no join is locked with them."""
    ids = sorted({i for i in contact_ids if i is not None})
    if ids:
        session.execute(
            select(Contact.id).where(Contact.id.in_(ids)).order_by(Contact.id).with_for_update()
        ).all()


def paid_revenue(contact_id: Any) -> Any:
    """SUM of the contact's paid jobs (0 without any), as a scalar subquery."""
    return (
        select(func.coalesce(func.sum(Job.value), 0))
        .where(Job.contact_id == contact_id, Job.status == PAID)
        .scalar_subquery()
    )


def referred_jobs(partner_id: Any) -> Any:
    """COUNT of the jobs, not cancelled, of the contacts the partner referred."""
    referred = Contact.__table__.alias("referred")
    return (
        select(func.count(Job.id))
        .join(referred, referred.c.id == Job.contact_id)
        .where(referred.c.referred_by_id == partner_id, Job.status != CANCELLED)
        .scalar_subquery()
    )


def recompute(
    session: Session, contact_id: int | None, partner_ids: tuple[int | None, ...] = ()
) -> None:
    """Set the contact's revenue and its partners' referral counts from the jobs. The caller
    holds the rows' locks (``lock_contacts``)."""
    session.flush()
    if contact_id is not None:
        session.execute(
            update(Contact)
            .where(Contact.id == contact_id)
            .values(total_revenue=paid_revenue(contact_id))
            .execution_options(synchronize_session=False)
        )
    for partner_id in {p for p in partner_ids if p is not None}:
        session.execute(
            update(Contact)
            .where(Contact.id == partner_id)
            .values(total_jobs_referred=referred_jobs(partner_id))
            .execution_options(synchronize_session=False)
        )
    for obj in session.identity_map.values():  # what was loaded is now stale
        if isinstance(obj, Contact) and obj.id in (contact_id, *partner_ids):
            session.expire(obj, ["total_revenue", "total_jobs_referred"])


def move_referral(session: Session, contact_id: int, old: int | None, new: int | None) -> None:
    """A contact's referring partner changed: when the contact has jobs, both partners'
    credit follows (a partner's typed count stays while no referred job exists)."""
    if old != new and has_jobs(session, contact_id):
        lock_contacts(session, old, new)
        recompute(session, None, (old, new))


@dataclass(frozen=True, slots=True)
class JobSummary:
    """What a card says of a contact's jobs."""

    count: int  # jobs not cancelled
    open: int  # jobs not yet paid (nor cancelled)
    unpaid: Decimal  # their value
    revenue: Decimal  # paid jobs' value


def job_figures(contact_id: int | BindParameter[int]) -> Select[int, int, Any, Any]:
    """One row of a contact's jobs in figures (``summary_of`` reads it); the card adds its
    other counts to the same statement."""
    is_open = Job.status.in_([s.value for s in OPEN_JOB_STATUSES])
    is_paid = Job.status == JobStatus.PAID.value
    return select(
        func.count(case((Job.status != JobStatus.CANCELLED.value, Job.id))),
        func.count(case((is_open, Job.id))),
        func.coalesce(func.sum(case((is_open, Job.value), else_=0)), 0),
        func.coalesce(func.sum(case((is_paid, Job.value), else_=0)), 0),
    ).where(Job.contact_id == contact_id)


def summary_of(count: int, open_count: int, unpaid: Any, paid: Any) -> JobSummary:
    cents = Decimal("0.01")
    return JobSummary(
        count=int(count),
        open=int(open_count),
        unpaid=Decimal(unpaid).quantize(cents),
        revenue=Decimal(paid).quantize(cents),
    )


def job_summary(session: Session, contact_id: int) -> JobSummary:
    """Count, unpaid and paid totals of a contact's jobs, in one statement."""
    return summary_of(*session.execute(job_figures(contact_id)).one())


def derived_from(session: Session, contact_id: int, field: str) -> str | None:
    """Where a derived total comes from, once jobs exist (the Edit screen says it), else None."""
    if field == "total_revenue" and has_jobs(session, contact_id):
        summary = job_summary(session, contact_id)
        return (
            f"Revenue is the sum of this contact's paid jobs (£{summary.revenue:,.2f}): "
            "change it through 💷 Jobs."
        )
    if field == "total_jobs_referred" and has_referred_jobs(session, contact_id):
        return "Jobs referred are counted from the jobs of the contacts this partner referred."
    return None


def has_jobs(session: Session, contact_id: int) -> bool:
    return bool(session.scalar(select(exists().where(Job.contact_id == contact_id))))


def has_referred_jobs(session: Session, partner_id: int) -> bool:
    referred = select(Contact.id).where(Contact.referred_by_id == partner_id)
    return bool(session.scalar(select(exists().where(Job.contact_id.in_(referred)))))


def refuse_hand_edits(session: Session, contact: Contact, values: Mapping[str, Any]) -> None:
    """Revenue and referral credit are typed by hand only until jobs exist to derive them."""
    if "total_revenue" in values and has_jobs(session, contact.id):
        raise ValidationError(
            "total_revenue",
            "Revenue comes from this contact's paid jobs: change it through 💷 Jobs.",
        )
    if "total_jobs_referred" in values and has_referred_jobs(session, contact.id):
        raise ValidationError(
            "total_jobs_referred",
            "Jobs referred are counted from the referred contacts' jobs.",
        )


_DERIVED = {"total_revenue": paid_revenue, "total_jobs_referred": referred_jobs}


@dataclass(frozen=True, slots=True)
class Drift:
    contact_id: int
    name: str
    field: str
    stored: Decimal | int
    computed: Decimal | int

    def __str__(self) -> str:
        return (
            f"#{self.contact_id} {self.name}: {self.field} is {self.stored}, "
            f"the jobs say {self.computed}"
        )


def check_totals(session: Session, *, fix: bool = False) -> list[Drift]:
    """Every derived total that disagrees with the jobs (two statements); with ``fix``, each is
    set from the jobs (under the rows' locks)."""
    paid = func.coalesce(func.sum(case((Job.status == PAID, Job.value), else_=0)), 0)
    revenue_rows = session.execute(
        select(Contact.id, Contact.name, Contact.total_revenue, paid)
        .join(Job, Job.contact_id == Contact.id)
        .group_by(Contact.id, Contact.name, Contact.total_revenue)
    ).all()
    referred = Contact.__table__.alias("referred")
    counted = func.count(case((Job.status != CANCELLED, Job.id)))
    referral_rows = session.execute(
        select(Contact.id, Contact.name, Contact.total_jobs_referred, counted)
        .join(referred, referred.c.referred_by_id == Contact.id)
        .join(Job, Job.contact_id == referred.c.id)
        .group_by(Contact.id, Contact.name, Contact.total_jobs_referred)
    ).all()
    cents = Decimal("0.01")
    drifts = [
        Drift(i, name, "total_revenue", Decimal(stored), Decimal(computed).quantize(cents))
        for i, name, stored, computed in revenue_rows
        if Decimal(stored) != Decimal(computed)
    ] + [
        Drift(i, name, "total_jobs_referred", int(stored), int(computed))
        for i, name, stored, computed in referral_rows
        if int(stored) != int(computed)
    ]
    if fix:
        for drift in drifts:
            lock_contacts(session, drift.contact_id)
            session.execute(
                update(Contact)
                .where(Contact.id == drift.contact_id)
                .values({drift.field: _DERIVED[drift.field](drift.contact_id)})
                .execution_options(synchronize_session=False)
            )
    return drifts
