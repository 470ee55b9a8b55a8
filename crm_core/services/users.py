"""Admins: synced from ADMIN_CHAT_IDS, never deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.config import AdminSpec
from crm_core.errors import NotFound, ValidationError
from crm_core.models import User, utcnow

#: users.display_name holds 100 characters; a longer name from ADMIN_CHAT_IDS is cut.
NAME_LIMIT = 100


@dataclass
class SyncResult:
    added: list[int] = field(default_factory=list)
    reactivated: list[int] = field(default_factory=list)
    deactivated: list[int] = field(default_factory=list)


def sync_admins(session: Session, admins: Sequence[AdminSpec]) -> SyncResult:
    """Make the active admins exactly those listed: add new ids, deactivate removed ones."""
    result = SyncResult()
    existing = {u.telegram_user_id: u for u in session.scalars(select(User))}
    wanted = {a.telegram_user_id: a for a in admins}
    for uid, spec in wanted.items():
        user = existing.get(uid)
        if user is None:
            name = (spec.name or f"Admin {uid}")[:NAME_LIMIT]
            session.add(User(telegram_user_id=uid, display_name=name))
            result.added.append(uid)
            continue
        if not user.active:
            user.active = True
            result.reactivated.append(uid)
        if spec.name and user.display_name != spec.name[:NAME_LIMIT]:
            user.display_name = spec.name[:NAME_LIMIT]
    for uid, user in existing.items():
        if uid not in wanted and user.active:
            user.active = False
            result.deactivated.append(uid)
    session.flush()
    return result


def get_user_by_telegram_id(session: Session, telegram_user_id: int) -> User | None:
    return session.scalar(select(User).where(User.telegram_user_id == telegram_user_id))


def require_user(session: Session, telegram_user_id: int) -> User:
    user = get_user_by_telegram_id(session, telegram_user_id)
    if user is None or not user.active:
        raise NotFound("You're not an admin of this CRM.")
    return user


def active_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.active).order_by(User.display_name)))


def find_user(session: Session, key: str | int) -> User:
    """An admin by Telegram id or display name (case-insensitive)."""
    text = str(key).strip()
    if text.lstrip("-").isdigit():
        user = get_user_by_telegram_id(session, int(text))
    else:
        wanted = text.casefold()
        matches = [u for u in session.scalars(select(User)) if u.display_name.casefold() == wanted]
        user = matches[0] if len(matches) == 1 else None
    if user is None:
        raise ValidationError("owner", f"No admin called {text!r}.")
    return user


def user_timezone(user: User, default_tz: str) -> ZoneInfo:
    return ZoneInfo(user.timezone or default_tz)


def local_today(user: User, default_tz: str, now: datetime | None = None) -> date:
    """Today's date where the admin is: follow-up dates are the admin's local dates."""
    return (now or utcnow()).astimezone(user_timezone(user, default_tz)).date()


def display_names(session: Session) -> dict[int, str]:
    """Every admin's users.id -> display name (former admins too: they wrote old history)."""
    return dict(session.execute(select(User.id, User.display_name)).all())
