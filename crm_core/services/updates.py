"""At-least-once delivery made once: claim an update id before acting on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, delete, func, literal, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.models import ProcessedUpdate, utcnow
from crm_core.services.ledger import conflict_free_insert

_COLUMNS = [ProcessedUpdate.bot_id, ProcessedUpdate.update_id, ProcessedUpdate.received_at]
_KEY = _COLUMNS[:2]


def claim_update(db: Session | Connection, bot_id: int, update_id: int) -> bool:
    """True the first time this bot's update id is seen, False on a redelivery. Each bot
    numbers its own updates: two bots on one database claim apart.

    This runs before every update the bot handles, so it is one statement: an INSERT that
    does nothing on a conflict (no savepoint, no unit of work). ``db`` may be a session or,
    cheaper, a connection; on one in AUTOCOMMIT mode (the bot's gate) the INSERT is its own
    transaction: one round trip, no BEGIN or COMMIT."""
    dialect = (db.get_bind() if isinstance(db, Session) else db).dialect.name
    now = utcnow()
    if dialect == "postgresql":
        # Don't wait for this commit's WAL flush: the handler's own (durable) commit flushes
        # the WAL up to it anyway, and an update that changed nothing may safely run twice.
        # set_config(..., true) is SET LOCAL inside the statement itself, so that it holds for
        # the statement's own transaction in AUTOCOMMIT mode too.
        no_wal_wait = select(func.set_config("synchronous_commit", "off", true())).subquery()
        rows = select(
            literal(bot_id, ProcessedUpdate.bot_id.type),
            literal(update_id, ProcessedUpdate.update_id.type),
            literal(now, ProcessedUpdate.received_at.type),
        ).select_from(no_wal_wait)
        stmt = conflict_free_insert(dialect, ProcessedUpdate).from_select(_COLUMNS, rows)
        return _inserted(db, stmt.on_conflict_do_nothing(index_elements=_KEY))
    if dialect == "sqlite":
        lite = conflict_free_insert(dialect, ProcessedUpdate).values(
            bot_id=bot_id, update_id=update_id, received_at=now
        )
        return _inserted(db, lite.on_conflict_do_nothing(index_elements=_KEY))
    if not isinstance(db, Session):
        raise TypeError("other databases claim an update through a session")
    try:
        with db.begin_nested():
            db.add(ProcessedUpdate(bot_id=bot_id, update_id=update_id))
    except IntegrityError:
        return False
    return True


def _inserted(db: Session | Connection, stmt: Any) -> bool:
    return bool(cast("CursorResult[Any]", db.execute(stmt)).rowcount)


def prune_updates(session: Session, *, keep_days: int = 7, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    result = session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.received_at < cutoff))
    return int(cast("CursorResult[Any]", result).rowcount or 0)
