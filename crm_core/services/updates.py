"""At-least-once delivery made once: claim an update id before acting on it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.models import ProcessedUpdate, utcnow

_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def claim_update(session: Session, update_id: int) -> bool:
    """True the first time an update id is seen, False on a redelivery.

    This runs before every update the bot handles, so it is one statement: an INSERT that
    does nothing on a conflict (no savepoint, no unit of work)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Don't wait for this commit's WAL flush: the handler's own (durable) commit flushes
        # the WAL up to it anyway, and an update that changed nothing may safely run twice.
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    if dialect in _UPSERT_INSERTS:
        stmt = (
            _UPSERT_INSERTS[dialect](ProcessedUpdate)
            .values(update_id=update_id, received_at=utcnow())
            .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
        )
        return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
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
