"""At-least-once delivery made once: claim an update id before acting on it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.models import ProcessedUpdate, utcnow


def claim_update(session: Session, update_id: int) -> bool:
    """True the first time an update id is seen, False on a redelivery."""
    try:
        with session.begin_nested():
            session.add(ProcessedUpdate(update_id=update_id))
    except IntegrityError:
        return False
    return True


def prune_updates(session: Session, *, keep_days: int = 7, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    result = session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.received_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
