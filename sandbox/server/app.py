"""The double itself: an aiohttp server on 127.0.0.1 that routes each Bot API call to its handler
(the mixins of :class:`~sandbox.server.state.TelegramState`), serves files, and gives tests their
controls: phones, forced failures, blocking, and event-driven waits."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import bot_profile, media, messages, updates
from .bot_profile import BotProfile
from .inspection import Inspection
from .markup import buttons
from .media import MediaMethods
from .messages import MessageMethods
from .phone import Phone
from .records import JSON, ApiError, ApiFailure, ApiRequest, Upload, bad_request
from .rules import UPLOAD_LIMIT, decode_params, media_kind
from .state import TelegramState
from .updates import UpdateQueue

#: Every Bot API method the double implements, by area.
API_METHODS = (*bot_profile.METHODS, *updates.METHODS, *messages.METHODS, *media.METHODS)


def snake_case(name: str) -> str:
    """``sendMessage`` -> ``send_message``: the handler of a method is ``_m_<snake_case>``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class BotApiDouble(UpdateQueue, MessageMethods, MediaMethods, BotProfile, Inspection):
    """An aiohttp server speaking the Bot API on 127.0.0.1, holding Telegram's state.

    Use as ``async with BotApiDouble() as double:`` inside the test's event loop and point PTB at
    ``double.base_url`` / ``double.base_file_url``.

    Args:
        token: the only token accepted; others get 401 Unauthorized.
        strict_entities: reject unsupported named HTML entities such as ``&nbsp;`` (Telegram
            would print them verbatim).
        callback_query_ttl: seconds after which a callback query can no longer be answered.
        bot_username / bot_first_name: what getMe returns.
        host / port: where to listen (port 0: a free one). ``web_app`` takes more routes (the
            sandbox's chat page) until the double starts.
        first_update_id: where update ids start (default: random). A bot that remembers the
            ids it handled needs them to keep growing across restarts of the double.
        first_message_id: the first message id of each chat (Telegram never reuses one: a bot
            that remembers ids across restarts of the double needs them to keep growing).
        local_web_apps: also accept Web App URLs on http://127.0.0.1 and http://localhost
            (Telegram takes HTTPS only), so the sandbox can open a Mini App served locally.
    """

    def __init__(
        self,
        token: str = "123:TEST",  # noqa: S107 - a fake token
        *,
        strict_entities: bool = True,
        callback_query_ttl: float = 15.0,
        bot_username: str = "double_bot",
        bot_first_name: str = "Double Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        first_update_id: int | None = None,
        first_message_id: int = 1,
        local_web_apps: bool = False,
    ) -> None:
        TelegramState.__init__(
            self,
            token=token,
            strict_entities=strict_entities,
            callback_query_ttl=callback_query_ttl,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            first_update_id=first_update_id,
            first_message_id=first_message_id,
            local_web_apps=local_web_apps,
        )
        self.host = host
        self._listen_port = port
        self._phones: dict[int, Phone] = {}
        self._failures: dict[str, deque[ApiError]] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        self._methods: dict[str, tuple[str, Callable[[JSON], Any]]] = {
            name.lower(): (name, getattr(self, "_m_" + snake_case(name))) for name in API_METHODS
        }
        self.web_app = web.Application(client_max_size=UPLOAD_LIMIT + 10 * 1024 * 1024)
        self.web_app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self.web_app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)

    # ------------------------------------------------------------------ lifecycle & URLs

    async def __aenter__(self) -> BotApiDouble:
        # handler_cancellation: a long poll whose client went away must not linger.
        self._runner = web.AppRunner(
            self.web_app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._listen_port)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing = True
        self._pulse.notify()  # release long polls
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("BotApiDouble is not running; use `async with BotApiDouble()`")
        return self._port

    @property
    def url(self) -> str:
        """The server's own address (its root serves the chat page, when one is installed)."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url()``; PTB appends the token and the method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url()``."""
        return f"{self.url}/file/bot"

    @property
    def api_url(self) -> str:
        """``base_url`` + token: append ``/methodName`` to call the API directly."""
        return self.base_url + self.token

    # ------------------------------------------------------------------ test controls

    def phone(
        self,
        user_id: int = 111,
        first_name: str = "Alice",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "en",
    ) -> Phone:
        """The Telegram client of user ``user_id`` (one Phone per user, created on first use)."""
        existing = self._phones.get(user_id)
        if existing is not None:
            return existing
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        phone = Phone(self, user)
        self._phones[user_id] = phone
        return phone

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``error_code``.

        429 carries ``parameters.retry_after`` (PTB raises RetryAfter); other codes get a
        generic description unless one is given (e.g. 403 "Forbidden: bot was blocked by the
        user", 502 "Bad Gateway").
        """
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                400: "Bad Request",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: "Conflict",
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
                504: "Gateway Timeout",
            }.get(error_code, f"Error {error_code}")
        parameters = {"retry_after": retry_after} if error_code == 429 else None
        queue = self._failures.setdefault(method.lower(), deque())
        queue.extend(ApiError(description, error_code, parameters) for _ in range(times))

    def block(self, user_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot: sends to them get 403.

        Like Telegram, queues a ``my_chat_member`` update (member -> kicked) unless
        ``notify=False``.
        """
        self._blocked.add(user_id)
        if notify and user_id in self._users:
            self._member_update(user_id, "member", "kicked")

    def unblock(self, user_id: int, *, notify: bool = True) -> None:
        self._blocked.discard(user_id)
        if notify and user_id in self._users:
            self._member_update(user_id, "kicked", "member")

    def report_exception(self, exc: BaseException) -> None:
        """Record an exception raised in the bot (shown in wait_* failure messages)."""
        self.bot_exceptions.append(exc)
        self._pulse.notify()

    async def wait_idle(self, quiet: float = 0.2, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every update was taken by the bot and it made no request for ``quiet`` s.

        getUpdates long polls do not count as activity.  Raises AssertionError on timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            event = self._pulse.current
            now = time.monotonic()
            busy = self._pending or self._redeliver or self._inflight
            if not busy:
                idle_for = now - self._last_activity
                if idle_for >= quiet:
                    return
                wait = quiet - idle_for
            else:
                wait = deadline - now
            if now >= deadline:
                raise AssertionError(
                    f"bot not idle after {timeout}s: {self._inflight} request(s) in flight, "
                    f"{len(self._pending) + len(self._redeliver)} update(s) not taken"
                    + self._diagnostics(0)
                )
            await self._pulse.wait(event, min(wait, deadline - now))

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
        describe: str = "condition",
    ) -> Any:
        """Wait (event-driven) until ``predicate()`` is truthy and return its value."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._pulse.current
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {describe}")
            await self._pulse.wait(event, remaining)

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        requested = request.match_info["method"]
        entry = self._methods.get(requested.lower())
        name = entry[0] if entry else requested
        polling = name == "getUpdates"
        if not polling:
            self._inflight += 1
            self._touch()
        params: JSON = {}
        try:
            params = await self._read_params(request)
            self.requests.append(ApiRequest(name, params))
            failures = self._failures.get(name.lower())
            if failures:
                raise failures.popleft()
            if entry is None:
                raise ApiError(f'Not Found: method "{requested}" is not implemented', 404)
            result = entry[1](params)
            if asyncio.iscoroutine(result):
                result = await result
            return web.json_response({"ok": True, "result": result})
        except ApiError as exc:
            self.errors.append(
                ApiFailure(name, params, exc.error_code, exc.description, len(self.events))
            )
            return web.json_response(exc.payload(), status=exc.error_code)
        finally:
            if not polling:
                self._inflight -= 1
                self._touch()

    async def _read_params(self, request: web.Request) -> JSON:
        raw: JSON = dict(request.query)
        if request.body_exists:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON object") from None
                if isinstance(body, dict):
                    raw.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[key] = Upload(value.filename, value.content_type, value.file.read())
                    else:
                        raw[key] = value
        return decode_params(raw)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        self._touch()
        return web.Response(
            body=stored.data,
            headers={"Content-Type": stored.mime_type or "application/octet-stream"},
        )

    def _diagnostics(self, since_event: int, chat_id: int | None = None) -> str:
        """What the bot did since ``since_event`` - for assertion messages."""
        lines: list[str] = []
        for event in self.events[since_event:]:
            if chat_id is not None and event.chat_id != chat_id:
                continue
            msg = event.message
            content = msg.get("text") or msg.get("caption") or media_kind(msg) or ""
            lines.append(
                f"  {event.kind} #{event.message_id} in chat {event.chat_id}: {content[:120]!r}"
                + (f" buttons={buttons(msg)}" if buttons(msg) else "")
            )
        for failure in self.errors:
            if failure.event_index >= since_event:
                lines.append(f"  {failure.method} -> {failure.error_code} {failure.description}")
        for exc in self.bot_exceptions:
            lines.append(f"  bot raised {type(exc).__name__}: {exc}")
        if self._webhook_error and self.webhook["url"]:
            lines.append(f"  webhook delivery failed: {self._webhook_error[1]}")
        if not lines:
            return "\nthe bot did nothing"
        return "\nthe bot did:\n" + "\n".join(lines)
