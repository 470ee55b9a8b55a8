"""Engine and session factory. Sessions are opened by the front ends (``bot.runtime.run_db``,
the CLI); services take one and never commit."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from crm_core.config import normalise_database_url

#: A pooled PostgreSQL connection that has sat idle longer than this is pinged before use.
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite, turn foreign keys on for every connection (cascades).
    Heroku's ``postgres://`` and a bare ``postgresql://`` mean psycopg2 here too, whoever asks
    (Alembic, the CLI, a test), not only through Settings."""
    url = normalise_database_url(url)
    if url.startswith("sqlite"):
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("check_same_thread", False)
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs.setdefault("poolclass", StaticPool)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)
        return engine
    if "pool_pre_ping" in kwargs:
        return create_engine(url, **kwargs)
    # Like pool_pre_ping, but only for connections idle a while: a connection dropped by the
    # server (a restart, an idle timeout, Heroku's maintenance) is almost always one that sat
    # unused, and pinging on every checkout costs a round trip before every transaction (two
    # per bot update). If one in use dies anyway, the first statement's disconnect error
    # makes SQLAlchemy discard the whole pool, as it would mid-transaction with pre_ping.
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "checkout", _ping_if_idle(engine))
    return engine


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Any:
    dialect = engine.dialect

    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")  # None: a new connection, just made
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as err:
            if dialect.is_disconnect(err, dbapi_connection, None):
                # The pool drops this connection and checks out (or makes) another.
                raise DisconnectionError("stale pooled connection") from err
            raise

    return ping


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints rather than on every commit: the database can't be
    # corrupted, but a power cut may lose the last commits (a crash of the process loses
    # nothing). Waiting for fsync on every commit was the largest cost of a bot update.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin_before_savepoint(conn: Any, _name: Any) -> None:
    # pysqlite opens its transaction lazily, at the first INSERT/UPDATE/DELETE. A SAVEPOINT sent
    # before that becomes the outermost transaction, and releasing it COMMITS: the caller's later
    # rollback would undo nothing. Open the real transaction first.
    driver = conn.connection.driver_connection
    if not driver.in_transaction:
        driver.execute("BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def refresh_statistics(session: Session) -> bool:
    """Gather the query planner's statistics on SQLite, which never does so by itself
    (PostgreSQL's autovacuum does). Without them SQLite picks a worse index for some list
    filters: at 100,000 contacts a list page's p95 was 42 ms instead of 4 (bench/), and the
    search index's covering index goes unused. About 0.1 s at that size. Returns whether it
    ran; the bot runs it at start and in the daily housekeeping."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    session.execute(text("ANALYZE"))
    return True
