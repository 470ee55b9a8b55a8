"""At-least-once delivery made once: claim an update id before acting on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, literal, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.models import ProcessedUpdate, utcnow

_COLUMNS = [ProcessedUpdate.bot_id, ProcessedUpdate.update_id, ProcessedUpdate.received_at]
_KEY = _COLUMNS[:2]


def claim_update(db: Session | Connection, bot_id: int, update_id: int) -> bool:
    """True the first time this bot's update id is seen, False on a redelivery. Each bot
    numbers its own updates: two bots on one database claim apart.

    This runs for every update the bot handles, so it is one statement: an INSERT that does
    nothing on a conflict (no savepoint, no unit of work). Given a session (the bot claims in
    the handler's own transaction, bot/claims.py) it joins that transaction and is committed
    or rolled back with it; given a connection in AUTOCOMMIT mode it is its own transaction:
    one round trip, no BEGIN or COMMIT."""
    connection = db.connection() if isinstance(db, Session) else db
    dialect = connection.dialect.name
    now = utcnow()
    if dialect == "postgresql":
        rows = select(
            literal(bot_id, ProcessedUpdate.bot_id.type),
            literal(update_id, ProcessedUpdate.update_id.type),
            literal(now, ProcessedUpdate.received_at.type),
        )
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            # A claim alone needn't wait for its commit's WAL flush: the handler's own
            # (durable) commit flushes the WAL up to it anyway, and an update that changed
            # nothing may safely run twice. set_config(..., true) is SET LOCAL inside the
            # statement itself, so it holds for the statement's own transaction only. (Never
            # in a handler's transaction: it would make that commit asynchronous too.)
            no_wal_wait = select(func.set_config("synchronous_commit", "off", true()))
            rows = rows.select_from(no_wal_wait.subquery())
        stmt = postgresql.insert(ProcessedUpdate).from_select(_COLUMNS, rows)
        return _inserted(connection, stmt.on_conflict_do_nothing(index_elements=_KEY))
    if dialect == "sqlite":
        stmt = sqlite.insert(ProcessedUpdate).values(
            bot_id=bot_id, update_id=update_id, received_at=now
        )
        return _inserted(connection, stmt.on_conflict_do_nothing(index_elements=_KEY))
    if not isinstance(db, Session):
        raise TypeError("other databases claim an update through a session")
    try:
        with db.begin_nested():
            db.add(ProcessedUpdate(bot_id=bot_id, update_id=update_id))
    except IntegrityError:
        return False
    return True


def _inserted(connection: Connection, stmt: Any) -> bool:
    return bool(connection.execute(stmt).rowcount)  # type: ignore[attr-defined]


def prune_updates(session: Session, *, keep_days: int = 7, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    result = session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.received_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
