"""`crm doctor`: check what the CRM needs to run and say plainly what is wrong.

Each check gives one line: configuration (with the example values of .env.example left in, and
SQLite or local files on a Heroku dyno), database, migrations, admins, encryption key, storage,
and, when a token is set, Telegram (the bot's name) and its webhook (whether it matches the
mode). A check that can't run because an earlier one failed is not reported.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from dotenv import dotenv_values
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from crm_core.config import Settings, mask_token, redact_url
from crm_core.db import make_engine
from crm_core.errors import ConfigError, DatabaseNotReady
from crm_core.migrate import ROOT, require_schema
from crm_core.storage import make_store

#: Seconds to wait for each Telegram call.
TELEGRAM_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'OK' if self.ok else 'FAIL':<4}  {self.name:<14}  {self.detail}"


def run_checks(
    load_settings: Callable[[], Settings], environ: Mapping[str, str] | None = None
) -> list[Check]:
    """Every check, in order. ``load_settings`` is usually ``Settings.from_env``; ``environ``
    (the process's, by default) is read after it, for values left as in .env.example."""
    return list(_checks(load_settings, environ))


def _checks(
    load_settings: Callable[[], Settings], environ: Mapping[str, str] | None
) -> Iterator[Check]:
    try:
        settings = load_settings()
        settings.require_durable_storage()
    except ConfigError as err:
        yield Check("configuration", False, str(err))
        return
    placeholders = _placeholders(os.environ if environ is None else environ)
    if placeholders:
        yield Check(
            "configuration",
            False,
            f"{' and '.join(placeholders)} still hold the example values of .env.example: "
            "put in your bot's token from @BotFather and your admins' Telegram user ids",
        )
    else:
        yield Check("configuration", True, "the settings load")
    schema_ok = yield from _database_checks(settings.database_url)
    yield _admins_check(settings)
    yield _key_check(settings, schema_ok)
    yield _storage_check(settings)
    if settings.telegram_token:
        yield from _telegram_checks(settings, settings.telegram_token)
    if settings.email_keys and schema_ok:
        yield from _mailbox_checks(settings)


def _placeholders(environ: Mapping[str, str]) -> list[str]:
    """The variables set to .env.example's value where that value is an example to replace,
    i.e. where it differs from what the variable means when unset (the example's
    DATABASE_URL or TIMEZONE are real defaults; its token and admin ids are not)."""
    example = ROOT / ".env.example"
    if not example.exists():  # an installed package without the checkout
        return []
    default = Settings.from_env({}, dotenv=False)
    found = []
    for name, value in dotenv_values(example).items():
        if not value or environ.get(name, "").strip() != value.strip():
            continue
        try:
            meaning = Settings.from_env({name: value}, dotenv=False)
        except ConfigError:
            continue
        if meaning != default:
            found.append(name)
    return found


def _database_checks(url: str) -> Generator[Check, None, bool]:
    """The database and migration lines; returns whether the schema is the code's."""
    try:
        revision = require_schema(url)
    except DatabaseNotReady as err:
        if err.part == "migrations":
            yield Check("database", True, f"connected to {redact_url(url)}")
        yield Check(err.part, False, str(err))
        return False
    yield Check("database", True, f"connected to {redact_url(url)}")
    yield Check("migrations", True, f"at revision {revision} (head)")
    return True


def _admins_check(settings: Settings) -> Check:
    if not settings.admins:
        return Check(
            "admins", False, "ADMIN_CHAT_IDS is empty: list the admins' Telegram user ids"
        )
    names = ", ".join(a.name or str(a.telegram_user_id) for a in settings.admins)
    return Check("admins", True, f"{len(settings.admins)} configured ({names})")


def _key_check(settings: Settings, schema_ok: bool) -> Check:
    """The key is optional until a mailbox password has been stored sealed with it."""
    name = "encryption key"
    count = len(settings.email_keys)
    if count:
        return Check(name, True, f"{count} Fernet key{'s' if count > 1 else ''} set")
    sealed = _sealed_passwords(settings.database_url) if schema_ok else 0
    if sealed:
        return Check(
            name,
            False,
            f"{sealed} mailbox password{'s are' if sealed > 1 else ' is'} stored sealed but "
            "CRM_EMAIL_ENCRYPTION_KEY is not set: set it to the key they were sealed with",
        )
    return Check(name, True, "not set (needed only for email history: make one with `crm keygen`)")


def _sealed_passwords(url: str) -> int:
    from crm_core.models import EmailConfig

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(EmailConfig)) or 0)
    finally:
        engine.dispose()


def _storage_check(settings: Settings) -> Check:
    """The store the bot would use (S3 bucket or local folder) answers and takes a write."""
    from botocore.exceptions import BotoCoreError

    try:
        store = make_store(settings)
    except (BotoCoreError, ValueError) as err:  # e.g. a malformed S3_ENDPOINT_URL
        return Check("storage", False, f"can't set up S3 storage: {err}")
    ok, detail = store.check()
    return Check("storage", ok, detail)


def _telegram_checks(settings: Settings, token: str) -> Iterator[Check]:
    """getMe (the token works: the bot's @name) and getWebhookInfo (whether a webhook is set,
    and whether that is what the configured mode expects). The token is never shown."""
    host = urlsplit(settings.telegram_api_base_url).netloc
    shown = mask_token(token)
    with httpx.Client(timeout=TELEGRAM_TIMEOUT) as http:
        try:
            me = _call(http, settings, token, "getMe")
        except _Rejected:
            yield Check(
                "telegram",
                False,
                f"Telegram rejected the token {shown}: copy it again from @BotFather",
            )
            return
        except _Unreachable as err:
            yield Check("telegram", False, f"can't reach Telegram at {host}: {err}")
            return
        yield Check("telegram", True, f"the token {shown} is @{me.get('username')}")
        try:
            info = _call(http, settings, token, "getWebhookInfo")
        except (_Rejected, _Unreachable) as err:
            yield Check("webhook", False, f"can't read the webhook from {host}: {err}")
            return
    yield _webhook_check(settings, str(info.get("url") or ""), info.get("last_error_message"))


def _webhook_check(settings: Settings, current: str, last_error: Any) -> Check:
    if settings.webhook_url:
        expected = settings.webhook_url.rstrip("/") + "/telegram"
        if not current:
            return Check("webhook", True, f"none set yet: the bot sets {expected} when it starts")
        if current != expected:
            return Check(
                "webhook",
                False,
                f"set to {current}, not WEBHOOK_URL's {expected}: another deployment may use "
                "this bot (give each its own bot), or WEBHOOK_URL is wrong",
            )
        detail = f"set to {expected} (webhook mode)"
        if last_error:
            detail += f"; Telegram's last delivery error: {last_error}"
        return Check("webhook", True, detail)
    if current:
        return Check(
            "webhook",
            False,
            f"set to {current} but WEBHOOK_URL is empty (polling), and polling would remove "
            "it: if that is your production bot, use a second bot from @BotFather here; "
            "otherwise set WEBHOOK_URL",
        )
    return Check("webhook", True, "none set (polling mode)")


class _Rejected(Exception):  # noqa: N818
    """Telegram refused the token (401, or 404 for a malformed one)."""


class _Unreachable(Exception):  # noqa: N818
    """No answer, or not one we understand; ``str()`` says which, without the token."""


def _call(http: httpx.Client, settings: Settings, token: str, method: str) -> dict[str, Any]:
    base = settings.telegram_api_base_url
    url = base.format(token=token) if "{token}" in base else f"{base}{token}"
    try:
        response = http.get(f"{url}/{method}")
    except httpx.HTTPError as err:
        reason = str(err).replace(token, mask_token(token)) or type(err).__name__
        raise _Unreachable(reason) from None
    if response.status_code in (401, 404):
        raise _Rejected
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.status_code != 200 or not payload.get("ok"):
        description = payload.get("description") or response.reason_phrase
        raise _Unreachable(f"{method} answered {response.status_code} {description}")
    result: dict[str, Any] = payload.get("result") or {}
    return result


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
