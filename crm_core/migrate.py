"""Running Alembic from code (the bot on SQLite, `crm db upgrade`, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from crm_core.config import redact_url
from crm_core.errors import DatabaseNotReady
from crm_core.models import SQLITE_SEARCH_INDEX

ROOT = Path(__file__).resolve().parent.parent
UPGRADE_HINT = "run `crm db upgrade`"
#: Seconds to wait for a PostgreSQL server before calling it unreachable.
CONNECT_TIMEOUT = 10


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """What autogenerate compares: everything but SQLite's search index (its tables and its
    index on crm_contacts), which is no model."""
    return not (name or "").startswith(SQLITE_SEARCH_INDEX)


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_schema(url: str) -> str:
    """Connect to the database at ``url`` and check that its schema is the code's; return the
    revision. Raises ``DatabaseNotReady`` with one sentence (the URL's password hidden): the
    server is unreachable, the SQLite file doesn't exist (connecting would leave an empty one
    behind), or the schema is missing or older: "run `crm db upgrade`"."""
    from crm_core.db import make_engine

    shown = redact_url(url)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    sqlite_file = parsed.database if backend == "sqlite" else None
    if sqlite_file and sqlite_file != ":memory:" and not Path(sqlite_file).exists():
        raise DatabaseNotReady(
            "database", f"The SQLite file {sqlite_file} doesn't exist yet: {UPGRADE_HINT}."
        )
    connect_args = {"connect_timeout": CONNECT_TIMEOUT} if backend == "postgresql" else {}
    engine = make_engine(url, connect_args=connect_args)
    try:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as err:
            reason = driver_reason(err)
            if parsed.password:  # a driver may echo its connection string
                reason = reason.replace(str(parsed.password), "***")
            raise DatabaseNotReady(
                "database", f"Can't connect to the database {shown}: {reason}."
            ) from None
        head = head_revision(url)
        try:
            current = current_revision(engine)
        except SQLAlchemyError as err:
            raise DatabaseNotReady(
                "migrations", f"Can't read the schema version of {shown}: {driver_reason(err)}."
            ) from None
    finally:
        engine.dispose()
    if current is None:
        raise DatabaseNotReady(
            "migrations", f"The database {shown} has no schema yet: {UPGRADE_HINT}."
        )
    if current != head:
        raise DatabaseNotReady(
            "migrations",
            f"The database {shown} is at revision {current}, the code expects {head}: "
            f"{UPGRADE_HINT}.",
        )
    return current


def driver_reason(err: SQLAlchemyError) -> str:
    """The driver's own message, first line only (no SQL, no parameters), without a final
    full stop (it goes inside a sentence)."""
    orig = getattr(err, "orig", None) or err
    lines = str(orig).strip().splitlines()
    return (lines[0] if lines else type(orig).__name__).rstrip(".")
