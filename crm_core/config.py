"""Settings, read once from the environment (and an optional ``.env``).

``Settings.from_env()`` is the only code that reads the environment; everything else is handed
a ``Settings``. Tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet

from crm_core.errors import ConfigError
from crm_core.stages import PIPELINES, STAGE_PROBABILITIES

DEFAULT_DATABASE_URL = "sqlite:///crm.db"
DEFAULT_TIMEZONE = "Europe/London"
DEFAULT_DIGEST_TIME = "08:00"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"
# Not ./sandbox: that folder is the sandbox package's own source code.
DEFAULT_SANDBOX_DIR = "sandbox-data"
#: Variables that say "this is a deployment": with one set, a missing token is an error, never
#: a reason to start the local sandbox (a dyno must fail loudly, not serve 127.0.0.1).
DEPLOYMENT_VARIABLES = ("DYNO", "WEBHOOK_URL", "S3_BUCKET")
#: Set to 1 to run on a Heroku dyno with SQLite or local files anyway (they are lost at restart).
ALLOW_EPHEMERAL_VAR = "CRM_ALLOW_EPHEMERAL_STORAGE"


@dataclass(frozen=True, slots=True)
class AdminSpec:
    """One entry of ``ADMIN_CHAT_IDS``: a Telegram user id and an optional display name."""

    telegram_user_id: int
    name: str | None = None


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    admins: tuple[AdminSpec, ...] = ()
    timezone: str = DEFAULT_TIMEZONE
    digest_time: time = time(8, 0)
    email_keys: tuple[str, ...] = ()
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    file_storage_dir: Path = Path("crm-files")
    telegram_token: str | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    telegram_file_base_url: str = DEFAULT_FILE_BASE_URL
    webhook_url: str | None = None
    webhook_secret: str | None = None
    #: $PORT: when set, one web server (webhook, Mini App, API, /healthz) listens on it.
    port: int | None = None
    #: The app's public HTTPS address; the Mini App is PUBLIC_URL/app.
    public_url: str | None = None
    #: Seconds a Mini App's signed launch data stays good (WEBAPP_AUTH_MAX_AGE).
    webapp_auth_max_age: int = 24 * 3600
    #: Running on a Heroku dyno (``DYNO`` is set), whose disk is wiped at every restart.
    on_heroku: bool = False
    #: CRM_ALLOW_EPHEMERAL_STORAGE=1: the operator accepts SQLite / local files on a dyno.
    allow_ephemeral_storage: bool = False
    # Mail (crm_core/mail): the host offered in /email, minutes between syncs (0: no scheduled
    # sync), an extra CA certificate to trust, and whether unencrypted IMAP may be chosen.
    imap_default_host: str | None = None
    imap_sync_minutes: int = 10
    imap_ca_file: Path | None = None
    imap_allow_plain: bool = False
    # Seconds between the bot's checks for due digests and reminders; 0 turns them off (tests
    # that don't want messages out of the blue). Not read from the environment.
    digest_check_seconds: float = 30.0
    # The local sandbox (``crm-bot --sandbox``): where its chat page listens, where it keeps its
    # own SQLite file and files (never DATABASE_URL or FILE_STORAGE_DIR).
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8080
    sandbox_dir: Path = Path(DEFAULT_SANDBOX_DIR)
    #: Which deployment variables are set (see DEPLOYMENT_VARIABLES; a PostgreSQL DATABASE_URL
    #: counts too).
    deployment: tuple[str, ...] = ()
    #: The forecast's weight per stage: ``stages.STAGE_PROBABILITIES`` with the overrides of
    #: ``STAGE_PROBABILITIES`` (issue 12).
    stage_probabilities: Mapping[str, float] = field(
        default_factory=lambda: dict(STAGE_PROBABILITIES)
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def admin_ids(self) -> frozenset[int]:
        return frozenset(a.telegram_user_id for a in self.admins)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv: bool = True
    ) -> Settings:
        """Build settings from the environment; raise ``ConfigError`` naming a bad variable."""
        if environ is None:
            if dotenv:
                from dotenv import find_dotenv, load_dotenv

                # The .env of the directory the command runs in (not of the installed code).
                load_dotenv(find_dotenv(usecwd=True), override=False)
            environ = os.environ
        env = {k: v.strip() for k, v in environ.items()}

        def get(name: str) -> str | None:
            value = env.get(name)
            return value or None

        port_raw = get("PORT")
        if port_raw is not None and not port_raw.isdigit():
            raise ConfigError(f"PORT must be a number, got {port_raw!r}")
        sandbox_port = get("SANDBOX_PORT") or "8080"
        if not sandbox_port.isdigit() or not 0 < int(sandbox_port) < 65536:
            raise ConfigError(f"SANDBOX_PORT must be a port number, got {sandbox_port!r}")
        database_url = normalise_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL)
        deployment = [name for name in DEPLOYMENT_VARIABLES if get(name)]
        if not database_url.startswith("sqlite"):
            deployment.append("DATABASE_URL")
        sync_raw = get("IMAP_SYNC_MINUTES") or "10"
        if not sync_raw.isdecimal():
            raise ConfigError(f"IMAP_SYNC_MINUTES must be whole minutes, got {sync_raw!r}")
        ca_raw = get("IMAP_CA_FILE")
        if ca_raw is not None and not Path(ca_raw).is_file():
            raise ConfigError(f"IMAP_CA_FILE: {ca_raw!r} is not a readable file")
        max_age = get("WEBAPP_AUTH_MAX_AGE") or str(24 * 3600)
        if not max_age.isdigit() or int(max_age) < 1:
            raise ConfigError(f"WEBAPP_AUTH_MAX_AGE must be a number of seconds, got {max_age!r}")
        return cls(
            database_url=database_url,
            admins=parse_admins(get("ADMIN_CHAT_IDS") or ""),
            timezone=parse_timezone(get("TIMEZONE") or DEFAULT_TIMEZONE, "TIMEZONE"),
            digest_time=parse_hhmm(get("DIGEST_TIME") or DEFAULT_DIGEST_TIME, "DIGEST_TIME"),
            email_keys=parse_fernet_keys(get("CRM_EMAIL_ENCRYPTION_KEY") or ""),
            s3_bucket=get("S3_BUCKET"),
            s3_endpoint_url=get("S3_ENDPOINT_URL"),
            file_storage_dir=Path(get("FILE_STORAGE_DIR") or "crm-files"),
            telegram_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL,
            telegram_file_base_url=get("TELEGRAM_FILE_BASE_URL") or DEFAULT_FILE_BASE_URL,
            webhook_url=get("WEBHOOK_URL"),
            webhook_secret=parse_webhook_secret(get("WEBHOOK_SECRET")),
            sandbox_host=get("SANDBOX_HOST") or "127.0.0.1",
            sandbox_port=int(sandbox_port),
            sandbox_dir=Path(get("SANDBOX_DIR") or DEFAULT_SANDBOX_DIR),
            deployment=tuple(deployment),
            on_heroku=get("DYNO") is not None,
            allow_ephemeral_storage=get(ALLOW_EPHEMERAL_VAR) == "1",
            imap_default_host=get("IMAP_DEFAULT_HOST"),
            imap_sync_minutes=int(sync_raw),
            imap_ca_file=Path(ca_raw) if ca_raw else None,
            imap_allow_plain=parse_flag(get("IMAP_ALLOW_PLAIN"), "IMAP_ALLOW_PLAIN"),
            port=int(port_raw) if port_raw is not None else None,
            public_url=parse_public_url(get("PUBLIC_URL")),
            webapp_auth_max_age=int(max_age),
            stage_probabilities=parse_stage_probabilities(get("STAGE_PROBABILITIES")),
        )

    def sandbox_wanted(self) -> bool:
        """No token and no sign of a deployment: ``crm-bot`` starts the local sandbox."""
        return not self.telegram_token and not self.deployment

    def require_bot(self) -> None:
        """Fail with one line if what the bot cannot start without is missing."""
        missing = [
            name
            for name, value in (
                ("TELEGRAM_BOT_TOKEN", self.telegram_token),
                ("ADMIN_CHAT_IDS", self.admins),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} must be set (see .env.example): "
                "the bot needs its token and at least one admin id"
            )

    def require_durable_storage(self) -> None:
        """On a Heroku dyno, refuse SQLite and local-disk files in one sentence: the dyno's disk
        is wiped at every restart (at least daily), so every contact or file would be lost
        without a word. ``CRM_ALLOW_EPHEMERAL_STORAGE=1`` accepts that (a throwaway demo)."""
        if not self.on_heroku or self.allow_ephemeral_storage:
            return
        lost: list[str] = []
        fixes: list[str] = []
        if self.is_sqlite:
            lost.append("the SQLite database")
            fixes.append("add PostgreSQL (`heroku addons:create heroku-postgresql:essential-0`)")
        if not self.s3_bucket:
            lost.append(f"the files in {self.file_storage_dir}")
            fixes.append("set S3_BUCKET (and the AWS credentials)")
        if lost:
            raise ConfigError(
                f"This is a Heroku dyno, whose disk is wiped at every restart, so "
                f"{' and '.join(lost)} would be lost: {' and '.join(fixes)}, or set "
                f"{ALLOW_EPHEMERAL_VAR}=1 to accept losing them"
            )


def mask_token(token: str) -> str:
    """A bot token as it may be shown: its last 4 characters only."""
    return "…" + token[-4:] if len(token) > 8 else "…"


def normalise_database_url(url: str) -> str:
    """Heroku gives ``postgres://``; SQLAlchemy wants ``postgresql+psycopg2://``."""
    if url.startswith("postgres://"):
        return "postgresql+psycopg2://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def parse_admins(raw: str) -> tuple[AdminSpec, ...]:
    admins: list[AdminSpec] = []
    seen: set[int] = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        ident, _, name = part.partition(":")
        ident = ident.strip()
        if not re.fullmatch(r"-?\d+", ident):
            raise ConfigError(f"ADMIN_CHAT_IDS: {ident!r} is not a numeric Telegram user id")
        uid = int(ident)
        if uid in seen:
            continue
        seen.add(uid)
        admins.append(AdminSpec(uid, name.strip() or None))
    return tuple(admins)


def parse_timezone(raw: str, variable: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{variable}: {raw!r} is not a known IANA timezone (e.g. Europe/London)"
        ) from None
    return raw


def parse_hhmm(raw: str, variable: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError(f"{variable}: {raw!r} is not a time of day as HH:MM (00:00-23:59)")
    return time(int(match[1]), int(match[2]))


def parse_fernet_keys(raw: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for index, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ConfigError(
                f"CRM_EMAIL_ENCRYPTION_KEY: key {index} is not a valid Fernet key "
                "(32 url-safe base64 bytes; make one with `crm keygen`)"
            ) from None
    return keys


def parse_flag(raw: str | None, variable: str) -> bool:
    if raw is None:
        return False
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{variable} must be 1 or 0 (true or false), got {raw!r}")


def parse_webhook_secret(raw: str | None) -> str | None:
    """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and - as a webhook secret."""
    if raw is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ConfigError(
            "WEBHOOK_SECRET may only hold letters, digits, _ and - (1-256 characters)"
        )
    return raw


def parse_public_url(raw: str | None) -> str | None:
    """PUBLIC_URL without its trailing slash; Telegram opens Mini Apps only over HTTPS."""
    if raw is None:
        return None
    if not re.fullmatch(r"https://[^\s/?#]+(/[^\s?#]*)?", raw):
        raise ConfigError(f"PUBLIC_URL must be an https:// address, got {raw!r}")
    return raw.rstrip("/")


def parse_stage_probabilities(raw: str | None) -> dict[str, float]:
    """The default stage probabilities with ``stage:probability`` overrides, comma-separated
    (``quote_sent:0.4,negotiation:0.6``): a stage key of any pipeline, a number from 0 to 1."""
    probabilities = dict(STAGE_PROBABILITIES)
    stages = {s.key for pipeline in PIPELINES.values() for s in pipeline}
    for item in filter(None, (part.strip() for part in (raw or "").split(","))):
        key, _, number = (side.strip() for side in item.partition(":"))
        try:
            value = float(number)
        except ValueError:
            value = -1.0
        if key not in stages or not 0 <= value <= 1:
            raise ConfigError(
                f"STAGE_PROBABILITIES: {item!r} is not stage:probability with a stage key "
                f"(e.g. quote_sent) and a number from 0 to 1, as in quote_sent:0.4,won:1"
            )
        probabilities[key] = value
    return probabilities


def redact_url(url: str) -> str:
    """The database URL without its password, fit for a log line."""
    # Up to the last "@": a password with a raw "@" (a malformed URL) must not half-leak.
    return re.sub(r"(://[^:/@]+):.*@", r"\1:***@", url)
