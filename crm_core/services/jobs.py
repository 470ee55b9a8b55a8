"""Jobs: the paid work of a contact. Adding a job or changing its status keeps the contact's
revenue and its referring partner's credit in the same transaction (``revenue``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.errors import NotFound, ValidationError
from crm_core.models import Contact, Job, utcnow
from crm_core.services import revenue
from crm_core.services.contacts import get_contact
from crm_core.stages import OPEN_JOB_STATUSES, JobStatus
from crm_core.validation import clean_money, clean_text, parse_date

#: The column that records when a job last entered each status.
STATUS_STAMPS: dict[JobStatus, str] = {
    JobStatus.BOOKED: "booked_at",
    JobStatus.IN_PROGRESS: "started_at",
    JobStatus.COMPLETED: "completed_at",
    JobStatus.INVOICED: "invoiced_at",
    JobStatus.PAID: "paid_at",
    JobStatus.CANCELLED: "cancelled_at",
}
JOB_FIELDS = ("title", "value", "scheduled_date")


def clean_job(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A job's title, value (required: '1500', '£1,500.50', '1.5k') and scheduled date."""
    unknown = set(data) - set(JOB_FIELDS)
    if unknown:
        raise ValidationError(sorted(unknown)[0], f"Unknown field: {sorted(unknown)[0]}.")
    value = clean_money("value", data.get("value"))
    if value is None:
        raise ValidationError("value", "A job needs its value in pounds, e.g. 1500.")
    when = data.get("scheduled_date")
    try:
        scheduled = parse_date(when, today)
    except ValidationError as err:
        raise ValidationError("scheduled_date", err.message) from None
    return {
        "title": clean_text("job_title", data.get("title")),
        "value": value,
        "scheduled_date": scheduled,
    }


def add_job(
    session: Session,
    contact_id: int,
    data: Mapping[str, Any],
    *,
    by_user_id: int | None,
    today: date,
    now: datetime | None = None,
) -> Job:
    """Book a job for a live contact; its revenue and its partner's credit follow."""
    now = now or utcnow()
    values = clean_job(data, today)
    contact = get_contact(session, contact_id)
    revenue.lock_contacts(session, contact.id, contact.referred_by_id)
    job = Job(
        contact_id=contact.id,
        **values,
        status=JobStatus.BOOKED.value,
        created_by=by_user_id,
        created_at=now,
        booked_at=now,
        status_changed_at=now,
    )
    session.add(job)
    revenue.recompute(session, contact.id, (contact.referred_by_id,))
    return job


def get_job(session: Session, job_id: int) -> Job:
    """A job of a live contact."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("That job no longer exists.")
    get_contact(session, job.contact_id)
    return job


def set_job_status(
    session: Session,
    job_id: int,
    status: JobStatus | str,
    *,
    now: datetime | None = None,
) -> Job:
    """Move a job to any status (a paid job can be cancelled: a refund), stamping the time."""
    now = now or utcnow()
    try:
        new = JobStatus(status)
    except ValueError:
        raise ValidationError("status", f"{status!r} is not a job status.") from None
    job = get_job(session, job_id)
    contact = get_contact(session, job.contact_id)
    revenue.lock_contacts(session, contact.id, contact.referred_by_id)
    session.refresh(job, with_for_update=True)  # another admin may have just changed it
    if job.status != new.value:
        job.status = new.value
        setattr(job, STATUS_STAMPS[new], now)
        job.status_changed_at = now
        revenue.recompute(session, contact.id, (contact.referred_by_id,))
    return job


def cancel_job(session: Session, job_id: int, *, now: datetime | None = None) -> Job:
    return set_job_status(session, job_id, JobStatus.CANCELLED, now=now)


def list_jobs(session: Session, contact_id: int) -> list[Job]:
    """The contact's jobs, the latest first."""
    get_contact(session, contact_id)
    return list(
        session.scalars(
            select(Job)
            .where(Job.contact_id == contact_id)
            .order_by(Job.created_at.desc(), Job.id.desc())
        )
    )


def open_job(session: Session, contact_id: int) -> Job | None:
    """The contact's latest job not yet paid (nor cancelled): the one a stage move offers to
    mark."""
    return session.scalars(
        select(Job)
        .where(Job.contact_id == contact_id, Job.status.in_([s.value for s in OPEN_JOB_STATUSES]))
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(1)
    ).first()


def job_draft(contact: Contact) -> dict[str, str]:
    """A job prefilled from a contact (the offer after a move to Job Booked): the service and
    address as its title, the potential value as its value."""
    title = " · ".join(p for p in (contact.service_type, contact.property_address) if p)
    draft = {"title": title[:200]}
    if contact.potential_value is not None:
        draft["value"] = str(contact.potential_value)
    return draft
