"""Shared fixtures: a database per backend (SQLite file, real PostgreSQL), admins, a clock.

PostgreSQL cases run when ``CRM_TEST_POSTGRES_URL`` points at a server (any database on it; the
suite creates and drops its own databases there, so parallel runs don't meet). With
``CRM_REQUIRE_POSTGRES=1`` (CI) a missing URL or a skipped PostgreSQL case is a failure, and with
``CRM_REQUIRE_BROWSER=1`` a skipped browser case (``tests/browser.py``) is one too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from crm_core.config import AdminSpec, Settings
from crm_core.db import make_engine, make_session_factory
from crm_core.migrate import upgrade
from crm_core.models import SQLITE_SEARCH_INDEX, Base, User
from crm_core.services.users import sync_admins
from tests.dovecot import REQUIRE_IMAP, dovecot, dovecot_server  # noqa: F401 - real IMAP server
from tests.s3 import moto_s3  # noqa: F401 - the session's S3 server, a fixture for every layer

PG_ENV = "CRM_TEST_POSTGRES_URL"
REQUIRE_PG = os.environ.get("CRM_REQUIRE_POSTGRES") == "1"
REQUIRE_BROWSER = os.environ.get("CRM_REQUIRE_BROWSER") == "1"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

ALICE = AdminSpec(1001, "Alice")
BOB = AdminSpec(1002, "Bob")


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_PG and not os.environ.get(PG_ENV):
        raise pytest.UsageError(f"CRM_REQUIRE_POSTGRES=1 but {PG_ENV} is not set")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_PG and report.skipped and item.get_closest_marker("postgres"):
        report.outcome = "failed"
        report.longrepr = (
            f"PostgreSQL case skipped while CRM_REQUIRE_POSTGRES=1: {report.longrepr}"
        )
    if REQUIRE_BROWSER and report.skipped and item.get_closest_marker("browser"):
        report.outcome = "failed"
        report.longrepr = f"Browser case skipped while CRM_REQUIRE_BROWSER=1: {report.longrepr}"
    if REQUIRE_IMAP and report.skipped and "dovecot_server" in getattr(item, "fixturenames", ()):
        report.outcome = "failed"
        report.longrepr = f"IMAP case skipped while CRM_REQUIRE_IMAP=1: {report.longrepr}"


class DatabaseMaker:
    """Makes empty databases of one backend and drops them at the end of the session."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self.tmp = tmp
        self._pg_dbs: list[str] = []
        self._admin: Engine | None = None
        if backend == "postgres":
            raw = os.environ.get(PG_ENV)
            if not raw:
                pytest.skip(f"{PG_ENV} is not set")
            self._base = make_url(raw).set(drivername="postgresql+psycopg2")
            self._admin = create_engine(self._base, isolation_level="AUTOCOMMIT")

    def new(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp / f'crm-{uuid.uuid4().hex[:8]}.db'}"
        assert self._admin is not None
        name = f"crm_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self._pg_dbs.append(name)
        return self._base.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for name in self._pg_dbs:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def databases(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseMaker]:
    maker = DatabaseMaker(backend, tmp_path_factory.mktemp(backend))
    yield maker
    maker.close()


@pytest.fixture(scope="session")
def migrated_url(databases: DatabaseMaker) -> str:
    """One database per backend per session, built by the real migrations."""
    url = databases.new()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def _session_engine(migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(_session_engine: Engine) -> Engine:
    """The session's engine with every table emptied: each test starts clean."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    extra = [t for t in _extra_tables(_session_engine) if t not in tables]
    with _session_engine.begin() as conn:
        if _session_engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables + extra)} RESTART IDENTITY CASCADE"))
        else:
            for name in extra + tables:
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (our own table names)
            # Ids start at 1 again, as RESTART IDENTITY does on PostgreSQL (AUTOINCREMENT
            # remembers the highest id ever used here).
            conn.execute(text("DELETE FROM sqlite_sequence"))
    return _session_engine


def _extra_tables(engine: Engine) -> list[str]:
    """Tables made by migrations that aren't ORM models (e.g. bot persistence)."""
    from sqlalchemy import inspect

    return [
        t
        for t in inspect(engine).get_table_names()
        # The search index empties itself: triggers follow the contacts' deletes.
        if t != "alembic_version" and not t.startswith(SQLITE_SEARCH_INDEX)
    ]


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s
        s.rollback()


@pytest.fixture
def admins(session_factory: sessionmaker[Session]) -> tuple[User, User]:
    with session_factory.begin() as s:
        sync_admins(s, [ALICE, BOB])
    with session_factory() as s:
        users = {u.telegram_user_id: u for u in s.query(User)}
        return users[ALICE.telegram_user_id], users[BOB.telegram_user_id]


@pytest.fixture
def alice(admins: tuple[User, User]) -> User:
    return admins[0]


@pytest.fixture
def bob(admins: tuple[User, User]) -> User:
    return admins[1]


TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def settings_for(migrated_url: str) -> Callable[..., Settings]:
    def make(**changes: object) -> Settings:
        base = Settings(database_url=migrated_url, admins=(ALICE, BOB))
        return base.with_(**changes)

    return make
