"""`crm doctor`: check what the CRM needs to run and say plainly what is wrong.

Each check gives one line: configuration, database, migrations, admins, encryption key,
storage. A check that can't run because an earlier one failed is not reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from crm_core.config import Settings, redact_url
from crm_core.db import make_engine
from crm_core.errors import ConfigError
from crm_core.migrate import current_revision, head_revision
from crm_core.storage import make_store

UPGRADE_HINT = "run `crm db upgrade`"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'OK' if self.ok else 'FAIL':<4}  {self.name:<14}  {self.detail}"


def run_checks(load_settings: Callable[[], Settings]) -> list[Check]:
    """Every check, in order. ``load_settings`` is usually ``Settings.from_env``."""
    return list(_checks(load_settings))


def _checks(load_settings: Callable[[], Settings]) -> Iterator[Check]:
    try:
        settings = load_settings()
    except ConfigError as err:
        yield Check("configuration", False, str(err))
        return
    yield Check("configuration", True, "the settings load")
    database = list(_database_checks(settings.database_url))
    yield from database
    yield _admins_check(settings)
    yield _key_check(settings)
    yield _storage_check(settings)
    if settings.email_keys and database and all(check.ok for check in database):
        yield from _mailbox_checks(settings)


def _database_checks(url: str) -> Iterator[Check]:
    shown = redact_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.exists():  # connecting would create an empty file
            yield Check(
                "database", False, f"the SQLite file {path} doesn't exist yet: {UPGRADE_HINT}"
            )
            return
    connect_args = {"connect_timeout": 5} if parsed.get_backend_name() == "postgresql" else {}
    engine = make_engine(url, connect_args=connect_args)
    try:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as err:
            yield Check("database", False, f"can't connect to {shown}: {_reason(err)}")
            return
        yield Check("database", True, f"connected to {shown}")
        yield _migration_check(engine, url)
    finally:
        engine.dispose()


def _migration_check(engine: Engine, url: str) -> Check:
    head = head_revision(url)
    try:
        current = current_revision(engine)
    except SQLAlchemyError as err:
        return Check("migrations", False, f"can't read the schema version: {_reason(err)}")
    if current == head:
        return Check("migrations", True, f"at revision {head} (head)")
    if current is None:
        return Check("migrations", False, f"the database has no schema yet: {UPGRADE_HINT}")
    return Check(
        "migrations", False, f"at revision {current}, the code expects {head}: {UPGRADE_HINT}"
    )


def _admins_check(settings: Settings) -> Check:
    if not settings.admins:
        return Check(
            "admins", False, "ADMIN_CHAT_IDS is empty: list the admins' Telegram user ids"
        )
    names = ", ".join(a.name or str(a.telegram_user_id) for a in settings.admins)
    return Check("admins", True, f"{len(settings.admins)} configured ({names})")


def _key_check(settings: Settings) -> Check:
    if not settings.email_keys:
        return Check(
            "encryption key",
            False,
            "CRM_EMAIL_ENCRYPTION_KEY is not set: make one with `crm keygen`",
        )
    count = len(settings.email_keys)
    return Check("encryption key", True, f"{count} Fernet key{'s' if count > 1 else ''} set")


def _storage_check(settings: Settings) -> Check:
    """The store the bot would use (S3 bucket or local folder) answers and takes a write."""
    from botocore.exceptions import BotoCoreError

    try:
        store = make_store(settings)
    except (BotoCoreError, ValueError) as err:  # e.g. a malformed S3_ENDPOINT_URL
        return Check("storage", False, f"can't set up S3 storage: {err}")
    ok, detail = store.check()
    return Check("storage", ok, detail)


def _mailbox_checks(settings: Settings) -> Iterator[Check]:
    """Each connected mailbox logs in and lists its folders. Never shows a password: the
    sentences come from crm_core.mail, which never puts one in a message."""
    from crm_core.crypto import SecretBox
    from crm_core.db import make_session_factory
    from crm_core.errors import CRMError
    from crm_core.mail.client import check_mailbox
    from crm_core.mail.sync import MailOptions, server_of
    from crm_core.models import EmailConfig

    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            configs = list(session.scalars(select(EmailConfig).order_by(EmailConfig.id)))
    except SQLAlchemyError:  # reported by the database checks already
        return
    finally:
        engine.dispose()
    options = MailOptions(settings.imap_ca_file, settings.imap_allow_plain, timeout=15)
    for config in configs:
        name = f"mailbox {config.username}"
        try:
            password, _stale = SecretBox(settings.email_keys).open(config.password_encrypted)
            folders = check_mailbox(server_of(config, options), password, config.folders)
        except CRMError as err:
            yield Check(name, False, str(err))
            continue
        where = f"{config.imap_host}:{config.imap_port}"
        yield Check(name, True, f"logged in to {where}; watching {', '.join(folders)}")


def _reason(err: SQLAlchemyError) -> str:
    """The driver's own message, first line only (no SQL, no parameters)."""
    orig = getattr(err, "orig", None) or err
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__
