"""Paid work for a contact."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.stages import JobStatus

from .base import MONEY, NEVER_REUSE_IDS, Base, UTCDateTime, in_values, utcnow


class Job(Base):
    """Paid work for a contact (an eviction, a CCTV install). ``value`` is GBP; the time of
    each status change is kept in its own column. A contact's ``total_revenue`` is the sum of
    its paid jobs and its partner's ``total_jobs_referred`` the count of its live jobs: both
    kept by ``crm_core.services.jobs`` in the same transaction as the job change."""

    __tablename__ = "crm_jobs"
    __table_args__ = (
        CheckConstraint(f"status IN ({in_values(JobStatus)})", name="status"),
        CheckConstraint("value >= 0", name="value_non_negative"),
        # A contact's jobs (list, totals).
        Index("ix_crm_jobs_contact_status", "contact_id", "status", "value"),
        # Revenue by month: paid jobs by the time they were paid.
        Index("ix_crm_jobs_paid_at", "paid_at", "contact_id", "value"),
        NEVER_REUSE_IDS,  # job ids travel in buttons
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(
        String(16), default=JobStatus.BOOKED.value, server_default=JobStatus.BOOKED.value
    )
    scheduled_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invoiced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Job id={self.id} contact_id={self.contact_id} {self.status} {self.value}>"
