"""Timed reminders: a follow-up with a time of day is sent to its owner at that moment, once,
claimed in the delivery ledger (``crm_core.services.ledger``) like a digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from crm_core.models import Contact, ReminderDelivery, User
from crm_core.schedule import DeliveryStatus, reminder_due
from crm_core.services.contacts import live
from crm_core.services.digests import DigestItem, first_line, last_note
from crm_core.services.ledger import finish, insert_claims, reclaim, reclaimable


@dataclass(frozen=True, slots=True)
class ReminderJob:
    delivery_id: int
    user_id: int
    telegram_user_id: int
    timezone: str
    due_at: datetime
    late: bool
    item: DigestItem


def claim_due_reminders(session: Session, now: datetime, *, default_tz: str) -> list[ReminderJob]:
    """Claim timed follow-ups whose moment has come (up to a day late), once each.

    The ledger key is the contact and its follow-up date and time, so a follow-up moved to a
    new moment reminds again, and one done or moved before its time never reminds. One query
    finds candidates (timed follow-ups near today with no live claim), then one insert.
    """
    utc_day = now.date()
    ledger = ReminderDelivery
    rows = session.execute(
        select(
            Contact.id,
            Contact.owner_id,
            Contact.name,
            Contact.contact_type,
            Contact.current_stage,
            Contact.next_followup_date,
            Contact.next_followup_time,
            User.timezone,
            User.telegram_user_id,
            ledger.id.label("delivery_id"),
            ledger.attempts,
            last_note(Contact.id).label("last_note"),
        )
        .join(User, User.id == Contact.owner_id)
        .outerjoin(
            ledger,
            and_(
                ledger.contact_id == Contact.id,
                ledger.due_date == Contact.next_followup_date,
                ledger.due_time == Contact.next_followup_time,
            ),
        )
        .where(
            live(),
            User.active,
            Contact.next_followup_time.is_not(None),
            # Local dates are within a day of the UTC date; the catch-up reaches one more back.
            Contact.next_followup_date.between(
                utc_day - timedelta(days=2), utc_day + timedelta(days=1)
            ),
            or_(ledger.id.is_(None), reclaimable(ledger, now)),
        )
    ).all()
    fresh: list[dict[str, Any]] = []
    candidates: dict[tuple[int, date, time], tuple[Any, datetime, bool, str]] = {}
    reclaimed: list[tuple[Any, int]] = []
    for row in rows:
        tz = row.timezone or default_tz
        found = reminder_due(now, row.next_followup_date, row.next_followup_time, ZoneInfo(tz))
        if found is None:
            continue
        due_at, late = found
        key = (row.id, row.next_followup_date, row.next_followup_time)
        candidates[key] = (row, due_at, late, tz)
        if row.delivery_id is None:
            fresh.append(
                {
                    "contact_id": row.id,
                    "user_id": row.owner_id,
                    "due_date": row.next_followup_date,
                    "due_time": row.next_followup_time,
                    "due_at": due_at,
                    "status": DeliveryStatus.SENDING.value,
                    "late": late,
                    "attempts": 1,
                    "claimed_at": now,
                }
            )
        elif reclaim(session, ledger, row.delivery_id, row.attempts, now, late):
            reclaimed.append((key, row.delivery_id))
    won = [
        ((r.contact_id, r.due_date, r.due_time), r.id)
        for r in insert_claims(session, ledger, fresh, ("contact_id", "due_date", "due_time"))
    ]
    jobs = []
    for key, delivery_id in [*won, *reclaimed]:
        row, due_at, late, tz = candidates[key]
        jobs.append(
            ReminderJob(
                delivery_id=delivery_id,
                user_id=row.owner_id,
                telegram_user_id=row.telegram_user_id,
                timezone=tz,
                due_at=due_at,
                late=late,
                item=DigestItem(
                    contact_id=row.id,
                    name=row.name,
                    contact_type=row.contact_type,
                    stage=row.current_stage,
                    followup_date=row.next_followup_date,
                    followup_time=row.next_followup_time,
                    days_overdue=0,
                    last_note=first_line(row.last_note),
                ),
            )
        )
    return sorted(jobs, key=lambda j: (j.due_at, j.item.name))


def finish_reminder(
    session: Session,
    delivery_id: int,
    status: DeliveryStatus,
    *,
    now: datetime,
    error: str | None = None,
) -> None:
    finish(session, ReminderDelivery, delivery_id, status, now, error)
