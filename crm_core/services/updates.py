"""At-least-once delivery made once: claim an update id before acting on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, bindparam, delete, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.models import ProcessedUpdate, utcnow

_COLUMNS = [ProcessedUpdate.bot_id, ProcessedUpdate.update_id, ProcessedUpdate.received_at]
_KEY = _COLUMNS[:2]
# Built once (the claim runs for every update): an INSERT that does nothing on a conflict.
_SQLITE_CLAIM = sqlite.insert(ProcessedUpdate).on_conflict_do_nothing(index_elements=_KEY)
_PG_CLAIM = postgresql.insert(ProcessedUpdate).on_conflict_do_nothing(index_elements=_KEY)
# A claim alone (its own transaction, in AUTOCOMMIT mode) needn't wait for its commit's WAL
# flush: the handler's own (durable) commit flushes the WAL up to it anyway, and an update that
# changed nothing may safely run twice. set_config(..., true) is SET LOCAL inside the statement
# itself, so it holds for the statement's own transaction only (never in a handler's
# transaction: it would make that commit asynchronous too).
_PG_CLAIM_ALONE = (
    postgresql.insert(ProcessedUpdate)
    .from_select(
        _COLUMNS,
        select(
            bindparam("bot_id", type_=ProcessedUpdate.bot_id.type),
            bindparam("update_id", type_=ProcessedUpdate.update_id.type),
            bindparam("received_at", type_=ProcessedUpdate.received_at.type),
        ).select_from(select(func.set_config("synchronous_commit", "off", true())).subquery()),
    )
    .on_conflict_do_nothing(index_elements=_KEY)
)


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
    row = {"bot_id": bot_id, "update_id": update_id, "received_at": utcnow()}
    if dialect == "postgresql":
        alone = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        return _inserted(connection, _PG_CLAIM_ALONE if alone else _PG_CLAIM, row)
    if dialect == "sqlite":
        return _inserted(connection, _SQLITE_CLAIM, row)
    if not isinstance(db, Session):
        raise TypeError("other databases claim an update through a session")
    try:
        with db.begin_nested():
            db.add(ProcessedUpdate(bot_id=bot_id, update_id=update_id))
    except IntegrityError:
        return False
    return True


def _inserted(connection: Connection, stmt: Any, row: dict[str, Any]) -> bool:
    return bool(cast("CursorResult[Any]", connection.execute(stmt, row)).rowcount)


def prune_updates(session: Session, *, keep_days: int = 7, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    result = session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.received_at < cutoff))
    return int(cast("CursorResult[Any]", result).rowcount or 0)
