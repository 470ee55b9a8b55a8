"""What every API handler shares: the signed caller, the one way to the database (``call``:
the admin check first, then the work, in one transaction in a worker thread), and reading
ids and JSON bodies within their limits."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy.orm import Session

from bot.runtime import Crm, in_transaction
from crm_core.errors import NotFound, ValidationError
from crm_core.models import User
from crm_core.services import contacts as svc
from crm_core.services.users import get_user_by_telegram_id, local_today
from crm_core.stages import ContactType, Status
from web.auth import Limits, RateLimiter
from web.errors import Forbidden, TooLarge
from web.initdata import InitData

T = TypeVar("T")
CRM: web.AppKey[Crm] = web.AppKey("crm", Crm)
LIMITS: web.AppKey[Limits] = web.AppKey("limits", Limits)
LIMITER: web.AppKey[RateLimiter] = web.AppKey("limiter", RateLimiter)
INIT: web.RequestKey[InitData] = web.RequestKey("init_data", InitData)
MAX_ID = 2**31 - 1
ID = re.compile(r"\d{1,10}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Actor:
    """The admin making the request, as the services need them: their row, their local
    date (follow-ups are local dates) and the request's clock."""

    user: User
    today: date
    now: datetime

    @property
    def user_id(self) -> int:
        return self.user.id


async def call(request: web.Request, work: Callable[[Session, Actor], T]) -> T:
    """Run ``work`` in one transaction in a worker thread, after checking that the signed user
    is an active admin now (not only when Telegram signed)."""
    services = request.app[CRM]
    init = request[INIT]
    settings = services.settings
    now = services.clock()

    def run(session: Session) -> T:
        user = get_user_by_telegram_id(session, init.user_id)
        if init.user_id not in settings.admin_ids or user is None or not user.active:
            raise Forbidden
        return work(session, Actor(user, local_today(user, settings.timezone, now), now))

    return await in_transaction(services.session_factory, run)


# --- reading the request ---------------------------------------------------------------------


def ident(request: web.Request, name: str = "id") -> int:
    """A path id; one that can't exist is simply not found."""
    raw = request.match_info[name]
    if not ID.fullmatch(raw) or int(raw) > MAX_ID:
        raise NotFound("That no longer exists.")
    return int(raw)


async def body(request: web.Request) -> dict[str, Any]:
    """The JSON object sent, within the size limit."""
    limit = request.app[LIMITS].json_bytes
    if (request.content_length or 0) > limit:
        raise TooLarge(f"The request is over {limit // 1024} KB.")
    raw = await read_limited(request, limit, TooLarge(f"The request is over {limit // 1024} KB."))
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise ValidationError("body", "The request is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ValidationError("body", "The request must be a JSON object.")
    return data


async def read_limited(request: web.Request, limit: int, too_large: Exception) -> bytes:
    """The whole body, or ``too_large`` as soon as it passes ``limit`` bytes (a body sent
    without a length is counted as it arrives)."""
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large
        parts.append(chunk)
    return b"".join(parts)


def choice(request: web.Request, name: str, kind: type[Any], default: Any = None) -> Any:
    raw = request.query.get(name, "")
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ValidationError(name, f"{name} must be one of: {allowed}.") from None


def contact_filter(request: web.Request) -> svc.ContactFilter:
    return svc.ContactFilter(
        view=choice(request, "view", svc.View, svc.View.TEAM),
        contact_type=choice(request, "type", ContactType),
        status=choice(request, "status", Status),
    )
