"""Answers that aren't data: errors as JSON with a sentence (and the field, for validation),
and the security headers every response carries."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from crm_core.errors import CRMError, NotFound, StorageUnavailable, ValidationError
from web.initdata import InitDataError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ResponseHook = Callable[[web.Request, web.StreamResponse], Awaitable[None]]
SOMETHING_WRONG = "Something went wrong; nothing was saved. Please try again."
#: Telegram's web clients, which show a Mini App in a frame.
TELEGRAM_FRAMES = (
    "https://web.telegram.org",
    "https://webk.telegram.org",
    "https://webz.telegram.org",
)


class Forbidden(Exception):  # noqa: N818 (reads better at call sites)
    """A good signature of someone who is not (or no longer) an admin."""


class TooLarge(Exception):  # noqa: N818
    """A request body over its limit; ``str()`` says which."""


class TooMany(Exception):  # noqa: N818
    """The per-user rate limit; ``retry_after`` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many requests; wait a moment.")
        self.retry_after = retry_after


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def to_response(err: Exception) -> web.Response | None:
    """The JSON answer for an error we expect, or None for one we don't."""
    if isinstance(err, InitDataError):
        return json_error(401, str(err))
    if isinstance(err, Forbidden):
        return json_error(403, "You're not an admin of this CRM.")
    if isinstance(err, TooLarge):
        return json_error(413, str(err))
    if isinstance(err, TooMany):
        response = json_error(429, str(err))
        response.headers["Retry-After"] = str(err.retry_after)
        return response
    if isinstance(err, ValidationError):
        return json_error(400, err.message, field=err.field)
    if isinstance(err, StorageUnavailable):
        log.warning("File storage failed: %s", err.detail)
        return json_error(503, str(err))
    if isinstance(err, NotFound):
        return json_error(404, str(err) or "That no longer exists.")
    if isinstance(err, CRMError):
        return json_error(400, str(err))
    return None


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every API failure as JSON; an unexpected one is logged and told as one sentence."""
    try:
        return await handler(request)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        return json_error(err.status, err.reason)
    except Exception as err:
        response = to_response(err)
        if response is None:
            log.exception("API %s %s failed", request.method, request.path)
            return json_error(500, SOMETHING_WRONG)
        return response


def security_headers(frame_ancestors: tuple[str, ...]) -> ResponseHook:
    """A hook (``on_response_prepare``) giving every response, errors and static files too, a
    strict Content-Security-Policy (our own scripts and styles and Telegram's script, no inline
    code), no MIME sniffing, no referrer, and framing only by Telegram. A response that set its
    own policy (a download: ``sandbox``) keeps it."""
    frames = " ".join(("'self'", *TELEGRAM_FRAMES, *frame_ancestors))
    policy = (
        "default-src 'none'; script-src 'self' https://telegram.org; style-src 'self'; "
        "img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {frames}"
    )

    async def hook(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"

    return hook
