"""Who is calling the API: Telegram's signed launch data in ``Authorization: tma <initData>``,
checked before anything is read, then a per-user rate limit. Whether the user is an active
admin is checked in the same transaction as the work (``web.api.call``), so an admin removed
since signing is refused."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.runtime import Crm
from web.errors import TooMany
from web.initdata import InitData, InitDataError, validate

SCHEME = "tma "


@dataclass(frozen=True, slots=True)
class Limits:
    """Request limits. Uploads at Telegram's own download limit for bots (20 MB)."""

    json_bytes: int = 64 * 1024
    upload_bytes: int = 20 * 1024 * 1024
    #: Token bucket per Telegram user: a burst of this many requests...
    burst: int = 60
    #: ... refilled at this many per second.
    per_second: float = 10.0


class RateLimiter:
    """A token bucket per user, in memory (one process serves everything)."""

    def __init__(
        self, burst: int, per_second: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.per_second = per_second
        self.clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}

    def take(self, user_id: int) -> None:
        """Spend one request of ``user_id``'s or raise ``TooMany``."""
        now = self.clock()
        tokens, since = self._buckets.get(user_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - since) * self.per_second)
        if tokens < 1:
            self._buckets[user_id] = (tokens, now)
            raise TooMany(max(1, math.ceil((1 - tokens) / self.per_second)))
        self._buckets[user_id] = (tokens - 1, now)
        if len(self._buckets) > 10_000:  # forget the idle (only signed users get here)
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 600}


def authenticate(request: web.Request, services: Crm, limiter: RateLimiter) -> InitData:
    """The checked launch data of this request, or ``InitDataError`` / ``TooMany``."""
    header = request.headers.get("Authorization", "")
    if not header.startswith(SCHEME):
        raise InitDataError("Open this page from the bot in Telegram (no launch data).")
    settings = services.settings
    if not settings.telegram_token:  # nothing can be signed without one
        raise InitDataError("The bot has no token: nothing can be checked.")
    init = validate(
        header[len(SCHEME) :].strip(),
        settings.telegram_token,
        max_age=settings.webapp_auth_max_age,
        now=services.clock(),
    )
    limiter.take(init.user_id)
    return init
