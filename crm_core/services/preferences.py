"""An admin's own digest settings: time, timezone, days, and whether empty days send a line.

``None`` in ``users.timezone`` / ``users.digest_time`` means "the company default"
(``TIMEZONE`` / ``DIGEST_TIME``), so changing the default moves everyone who never chose.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy.orm import Session

from crm_core.errors import NotFound, ValidationError
from crm_core.models import User
from crm_core.schedule import DAY_PRESETS, EVERY_DAY
from crm_core.validation import parse_time_of_day

#: Offered as buttons in /settings; any other IANA name can be typed.
COMMON_TIMEZONES: tuple[str, ...] = (
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Berlin",
    "Europe/Warsaw",
    "Europe/Athens",
    "Asia/Dubai",
    "Asia/Kolkata",
    "America/New_York",
    "UTC",
)


@dataclass(frozen=True, slots=True)
class DigestPreferences:
    timezone: str
    digest_time: time
    days: int
    send_empty: bool
    own_timezone: bool  # False: following the company default
    own_time: bool


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("You're not an admin of this CRM.")
    return user


def preferences_of(user: User, default_tz: str, default_time: time) -> DigestPreferences:
    return DigestPreferences(
        timezone=user.timezone or default_tz,
        digest_time=user.digest_time or default_time,
        days=user.digest_days if user.digest_days is not None else EVERY_DAY,
        send_empty=user.digest_empty if user.digest_empty is not None else True,
        own_timezone=user.timezone is not None,
        own_time=user.digest_time is not None,
    )


def get_preferences(
    session: Session, user_id: int, *, default_tz: str, default_time: time
) -> DigestPreferences:
    return preferences_of(_user(session, user_id), default_tz, default_time)


@functools.cache
def _zones_by_key() -> dict[str, str]:
    """Lower-cased IANA names, and unambiguous city names ("london"), to the real name."""
    names = sorted(available_timezones())
    keys: dict[str, str] = {n.lower(): n for n in names}
    cities: dict[str, list[str]] = {}
    for name in names:
        if "/" in name and not name.startswith(("Etc/", "SystemV/")):
            cities.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    for city, found in cities.items():
        if len(found) == 1 and city not in keys:
            keys[city] = found[0]
    return keys


def find_timezone(raw: str) -> str:
    """An IANA timezone from what someone typed: "Europe/Paris", "europe/paris", "Paris",
    "new york". Raises ``ValidationError`` with an example otherwise."""
    text = "_".join((raw or "").strip().split())
    found = _zones_by_key().get(text.lower())
    if found is None:
        raise ValidationError(
            "timezone",
            "I don't know that timezone. Send an IANA name such as Europe/London, "
            "Europe/Paris or America/New_York.",
        )
    ZoneInfo(found)  # loads: a listed name always does
    return found


def set_digest_time(session: Session, user_id: int, raw: str | time) -> User:
    user = _user(session, user_id)
    user.digest_time = raw if isinstance(raw, time) else parse_time_of_day(raw)
    session.flush()
    return user


def set_timezone(session: Session, user_id: int, raw: str) -> User:
    user = _user(session, user_id)
    user.timezone = find_timezone(raw)
    session.flush()
    return user


def set_digest_days(session: Session, user_id: int, preset: str) -> User:
    """Days from a /settings preset key ("all", "mf", "ms")."""
    if preset not in DAY_PRESETS:
        raise ValidationError("digest_days", "Choose every day, Monday–Friday or Monday–Saturday.")
    user = _user(session, user_id)
    user.digest_days = DAY_PRESETS[preset][0]
    session.flush()
    return user


def set_send_empty(session: Session, user_id: int, send: bool) -> User:
    user = _user(session, user_id)
    user.digest_empty = send
    session.flush()
    return user
