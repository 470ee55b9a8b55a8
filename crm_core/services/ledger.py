"""The delivery ledgers: a scheduled message is claimed in a row before it is sent, so that it
is sent once however many processes share the database.

A claim is a ledger row (unique per admin and local day for a digest, per contact and follow-up
moment for a reminder) inserted with ``ON CONFLICT DO NOTHING`` and committed before anything is
sent: of two processes, only the one whose row went in sends. The processed-update claim
(``crm_core.services.updates``) is made the same way, with ``conflict_free_insert``.

A claim that was never finished (the process died mid-send) is taken over after ``LEASE``; a
failed send is tried again after ``RETRY_DELAY``, up to ``MAX_CLAIMS`` claims in all. A sender
stops retrying after ``SEND_DEADLINE`` (well inside the lease), so a takeover never races a
live sender. Blocked and unreachable admins are final for the day: trying again would only
collect more 403s. Rows are kept ``LEDGER_KEEP_DAYS`` days, then pruned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, and_, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_core.models import Base, DigestDelivery, ReminderDelivery, User
from crm_core.schedule import DeliveryStatus

#: A claim not finished after this is taken over (its process is presumed dead).
LEASE = timedelta(minutes=10)
#: A sender gives up retrying after this, well inside the lease.
SEND_DEADLINE = timedelta(minutes=4)
#: A failed send is claimed again after this.
RETRY_DELAY = timedelta(minutes=5)
#: Claims (sending attempts) per ledger row at most.
MAX_CLAIMS = 3
ERROR_MAX = 500


def conflict_free_insert(dialect: str, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of ``model`` on one of the two supported databases, both of which take
    ``ON CONFLICT DO NOTHING``: how a ledger row or an update id is claimed once."""
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(dialect)


def insert_claims(
    session: Session,
    model: type[DigestDelivery] | type[ReminderDelivery],
    rows: list[dict[str, Any]],
    keys: Sequence[str],
) -> list[Any]:
    """Insert ledger rows, skipping those another process holds; return those inserted."""
    if not rows:
        return []
    table = model.__table__
    stmt = (
        conflict_free_insert(session.get_bind().dialect.name, model)
        .values(rows)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(table.c.id, *(table.c[k] for k in keys))
    )
    return list(session.execute(stmt))


def reclaimable(model: type[DigestDelivery] | type[ReminderDelivery], now: datetime) -> Any:
    """SQL: a claim left sending past the lease, or a failed one due for another try."""
    return and_(
        model.attempts < MAX_CLAIMS,
        or_(
            and_(model.status == DeliveryStatus.SENDING.value, model.claimed_at < now - LEASE),
            and_(
                model.status == DeliveryStatus.FAILED.value,
                model.claimed_at < now - RETRY_DELAY,
            ),
        ),
    )


def is_reclaimable(row: DigestDelivery | ReminderDelivery, now: datetime) -> bool:
    """``reclaimable`` for a row already loaded."""
    if row.attempts >= MAX_CLAIMS:
        return False
    if row.status == DeliveryStatus.SENDING.value:
        return row.claimed_at < now - LEASE
    return row.status == DeliveryStatus.FAILED.value and row.claimed_at < now - RETRY_DELAY


def reclaim(
    session: Session,
    model: type[DigestDelivery] | type[ReminderDelivery],
    row_id: int,
    attempts: int,
    now: datetime,
    late: bool,
) -> bool:
    """Take over a stale or failed claim; ``attempts`` is the version read, so of two
    processes trying at once exactly one wins."""
    result = session.execute(
        update(model)
        .where(
            model.id == row_id,
            model.attempts == attempts,
            model.status.in_([DeliveryStatus.SENDING.value, DeliveryStatus.FAILED.value]),
        )
        .values(
            status=DeliveryStatus.SENDING.value,
            attempts=attempts + 1,
            claimed_at=now,
            late=late,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(cast("CursorResult[Any]", result).rowcount == 1)


_Ledger = TypeVar("_Ledger", DigestDelivery, ReminderDelivery)


def finish(
    session: Session,
    model: type[_Ledger],
    delivery_id: int,
    status: DeliveryStatus,
    now: datetime,
    error: str | None,
) -> None:
    row = session.get(model, delivery_id)
    if row is None:  # the contact was erased meanwhile (reminder rows cascade)
        return
    row.status = status.value
    row.error = error[:ERROR_MAX] if error else None
    if status is DeliveryStatus.SENT:
        row.sent_at = now
    user = session.get(User, row.user_id)
    if user is not None:
        if status is DeliveryStatus.BLOCKED:
            user.bot_blocked_at = user.bot_blocked_at or now
        elif status is DeliveryStatus.SENT:
            user.bot_blocked_at = None
    session.flush()


#: How long the delivery ledgers keep their rows (what was sent, when, and what failed).
LEDGER_KEEP_DAYS = 90


def prune_ledgers(session: Session, now: datetime, *, keep_days: int = LEDGER_KEEP_DAYS) -> int:
    """Forget digest and reminder deliveries older than ``keep_days`` days: the ledgers only
    need to cover the days a send could still be repeated for."""
    cutoff = now - timedelta(days=keep_days)
    digests = session.execute(
        delete(DigestDelivery).where(DigestDelivery.local_date < cutoff.date())
    )
    reminders = session.execute(delete(ReminderDelivery).where(ReminderDelivery.due_at < cutoff))
    return sum(int(cast("CursorResult[Any]", r).rowcount or 0) for r in (digests, reminders))
