"""Settings, read once from the environment (and an optional ``.env``).

``Settings.from_env()`` is the only code that reads the environment; everything else is handed
a ``Settings``. Tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet

from crm_core.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///crm.db"
DEFAULT_TIMEZONE = "Europe/London"
DEFAULT_DIGEST_TIME = "08:00"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"


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
    port: int = 8443
    # Seconds between the bot's checks for due digests and reminders; 0 turns them off (tests
    # that don't want messages out of the blue). Not read from the environment.
    digest_check_seconds: float = 30.0

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def admin_ids(self) -> frozenset[int]:
        return frozenset(a.telegram_user_id for a in self.admins)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

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

        port_raw = get("PORT") or "8443"
        if not port_raw.isdigit():
            raise ConfigError(f"PORT must be a number, got {port_raw!r}")
        return cls(
            database_url=normalise_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL),
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
            port=int(port_raw),
        )

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


def parse_webhook_secret(raw: str | None) -> str | None:
    """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and - as a webhook secret."""
    if raw is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ConfigError(
            "WEBHOOK_SECRET may only hold letters, digits, _ and - (1-256 characters)"
        )
    return raw


def redact_url(url: str) -> str:
    """The database URL without its password, fit for a log line."""
    # Up to the last "@": a password with a raw "@" (a malformed URL) must not half-leak.
    return re.sub(r"(://[^:/@]+):.*@", r"\1:***@", url)
