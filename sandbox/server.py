"""A local double of the Telegram Bot API, strict about Telegram's rules.

The real python-telegram-bot ``Application`` talks to it over real HTTP (``base_url`` /
``base_file_url``), so serialisation, multipart uploads, long polling, retries and error handling
are all exercised.  The double answers the way Telegram does - same status codes, same
``description`` wording where known - and refuses what Telegram refuses (HTML it cannot parse,
over-long texts, bad ``callback_data``, edits that change nothing, stale callback queries, unknown
chats, blocked users...), because the point is to catch bot bugs before Telegram does.

Tests play the user through :class:`Phone` (``double.phone(...)``): it builds realistic updates,
queues them for ``getUpdates`` (or POSTs them to a webhook) and waits, event-driven, for what the
bot does in response.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import mimetypes
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web

from .html import EntityParseError, UnsupportedParseModeError, parse_entities, utf16_len

__all__ = [
    "ApiError",
    "ApiFailure",
    "ApiRequest",
    "BotApiDouble",
    "BotEvent",
    "Phone",
    "SentFile",
    "StoredFile",
    "Upload",
    "button_data",
    "buttons",
    "command_entities",
    "keyboard",
]

JSON = dict[str, Any]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
CALLBACK_DATA_LIMIT = 64
INLINE_BUTTONS_LIMIT = 100
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
UPLOAD_LIMIT = 50 * 1024 * 1024  # multipart uploads by bots
PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WRONG_FILE_ID = "wrong file identifier/HTTP URL specified"

# Telegram's default when allowed_updates was never set (or set to []).
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
INLINE_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
MESSAGE_UPDATE_KEYS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)

# Form and multipart bodies carry every value as a string (PTB JSON-encodes non-strings);
# Telegram decodes each parameter by its declared type, and so does the double.
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "user_id",
        "offset",
        "limit",
        "cache_time",
        "max_connections",
        "duration",
        "width",
        "height",
    }
)
_FLOAT_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "show_alert",
        "drop_pending_updates",
        "has_spoiler",
        "show_caption_above_media",
        "supports_streaming",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "media",
        "message_ids",
        "menu_button",
    }
)


class ApiError(Exception):
    """A Bot API error response; raised inside method handlers."""

    def __init__(
        self, description: str, error_code: int = 400, parameters: JSON | None = None
    ) -> None:
        super().__init__(description)
        self.description = description
        self.error_code = error_code
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(f"Bad Request: {reason}")


class ApiRequest(NamedTuple):
    """One call the bot made: canonical method name and its decoded parameters."""

    method: str
    params: JSON


class ApiFailure(NamedTuple):
    """A call the double refused, for diagnostics (``double.errors``)."""

    method: str
    params: JSON
    error_code: int
    description: str
    event_index: int  # len(double.events) when it happened


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:  # keep request logs readable
        return f"Upload({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass
class StoredFile:
    """A file known to the double: sent by the phone or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    kind: str  # photo | document | video | audio | voice
    data: bytes = field(repr=False)
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    # For photos: the PhotoSize list this file belongs to (every size has its own StoredFile).
    photo_sizes: list[JSON] | None = field(default=None, repr=False)

    @property
    def file_size(self) -> int:
        return len(self.data)

    def base(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }


class SentFile(NamedTuple):
    """A file the bot sent to a chat (``double.sent_documents``)."""

    message: JSON
    file: StoredFile

    @property
    def data(self) -> bytes:
        return self.file.data

    @property
    def file_name(self) -> str | None:
        return self.file.file_name

    @property
    def mime_type(self) -> str | None:
        return self.file.mime_type


@dataclass
class BotEvent:
    """Something the bot did to a message: ``send``, ``edit`` or ``delete``."""

    index: int
    kind: str
    chat_id: int
    message_id: int
    message: JSON  # snapshot right after the event


@dataclass
class _StoredMessage:
    message: JSON
    outgoing: bool  # sent by the bot
    history: list[JSON] = field(default_factory=list)
    deleted: bool = False


@dataclass
class _CallbackQuery:
    id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    created: float
    answer: JSON | None = None


class _Pulse:
    """Wake-all notification that can be fired from synchronous code.

    Waiters take ``current`` *before* checking their condition and then wait on it; ``notify``
    completes it and installs a fresh one, so no change can slip between check and wait.
    """

    def __init__(self) -> None:
        self.current = asyncio.Event()

    def notify(self) -> None:
        self.current.set()
        self.current = asyncio.Event()

    @staticmethod
    async def wait(event: asyncio.Event, timeout: float) -> None:  # noqa: ASYNC109
        if timeout <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


def _now() -> int:
    return int(time.time())


def _update_type(update: Mapping[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "unknown")


def _normalize(raw: Mapping[str, Any]) -> JSON:
    """Decode string parameters by their Bot API type (see _INT_FIELDS etc.)."""
    params: JSON = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _JSON_FIELDS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif key in _INT_FIELDS:
                with contextlib.suppress(ValueError):
                    value = int(value)
            elif key in _FLOAT_FIELDS:
                with contextlib.suppress(ValueError):
                    value = float(value)
            elif key in _BOOL_FIELDS:
                value = value.strip().lower() in ("true", "1")
        params[key] = value
    return params


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram strips leading and trailing whitespace from texts and captions."""
    stripped = text.strip(" \t\r\n\x0b\x0c")
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip(" \t\r\n\x0b\x0c"))])
    limit = utf16_len(stripped)
    kept: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_])")


def command_entities(text: str) -> list[JSON]:
    """The bot_command entity Telegram adds to a message starting with /command."""
    match = _COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


# ------------------------------------------------------------------------- keyboard helpers


def keyboard(message: Mapping[str, Any]) -> list[list[str]]:
    """Rows of inline button texts of ``message`` (empty if it has no inline keyboard)."""
    markup = message.get("reply_markup") or {}
    return [[button["text"] for button in row] for row in markup.get("inline_keyboard", [])]


def buttons(message: Mapping[str, Any]) -> list[str]:
    """Inline button texts of ``message``, row by row."""
    return [text for row in keyboard(message) for text in row]


def button_data(message: Mapping[str, Any]) -> dict[str, str]:
    """Inline button text -> callback_data (buttons without callback_data are left out)."""
    markup = message.get("reply_markup") or {}
    return {
        button["text"]: button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    }


# ------------------------------------------------------------------------------ the double


class BotApiDouble:
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
        self.token = token
        self.host = host
        self._listen_port = port
        self.strict_entities = strict_entities
        self.local_web_apps = local_web_apps
        self._first_message_id = first_message_id
        self.callback_query_ttl = callback_query_ttl
        bot_id = token.split(":", 1)[0]
        self.bot_user: JSON = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }

        # What tests inspect.
        self.requests: list[ApiRequest] = []
        self.errors: list[ApiFailure] = []
        self.events: list[BotEvent] = []
        self.updates: list[JSON] = []  # every update ever produced, in order
        self.dropped_updates: list[JSON] = []  # filtered out by allowed_updates
        self.answers: list[JSON] = []  # answerCallbackQuery params, in order
        self.bot_exceptions: list[BaseException] = []  # reported by sandbox.ptb.running
        self.webhook: JSON = {"url": "", "secret_token": None, "allowed_updates": None}
        self.my_commands: dict[tuple[str, str], list[JSON]] = {}
        self.my_descriptions: dict[str, str] = {}

        # Telegram's state.
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], _StoredMessage] = {}
        self._last_message_id: dict[int, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0
        self._queries: dict[str, _CallbackQuery] = {}
        self._reply_keyboards: dict[int, JSON] = {}
        self._phones: dict[int, Phone] = {}
        self._last_commands: list[JSON] = []
        self._menu_buttons: dict[int | None, JSON] = {}  # chat id (None: the default) -> button

        # Update queue.
        self._next_update_id = (
            first_update_id if first_update_id is not None else secrets.randbelow(10**6) + 10**5
        )
        self._pending: list[JSON] = []  # not yet confirmed (polling) / delivered (webhook)
        self._redeliver: list[JSON] = []  # phone.resend() in polling mode
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._webhook_lock = asyncio.Lock()
        self._webhook_error: tuple[int, str] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

        self._failures: dict[str, deque[ApiError]] = {}
        self._inflight = 0
        self._last_activity = time.monotonic()
        self._pulse = _Pulse()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        self._methods: dict[str, tuple[str, Callable[[JSON], Any]]] = {}
        for name in (
            "getMe",
            "logOut",
            "close",
            "getUpdates",
            "setWebhook",
            "deleteWebhook",
            "getWebhookInfo",
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "setMyDescription",
            "setMyShortDescription",
            "setChatMenuButton",
            "getChatMenuButton",
            "getChat",
            "sendMessage",
            "editMessageText",
            "editMessageCaption",
            "editMessageReplyMarkup",
            "deleteMessage",
            "deleteMessages",
            "answerCallbackQuery",
            "sendChatAction",
            "sendDocument",
            "sendPhoto",
            "sendVideo",
            "sendAudio",
            "sendVoice",
            "sendMediaGroup",
            "copyMessage",
            "forwardMessage",
            "getFile",
        ):
            self._methods[name.lower()] = (name, getattr(self, "_m_" + _snake(name)))
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

    def calls(self, method: str) -> list[JSON]:
        """Params of every call of ``method`` (case-insensitive), in order."""
        return [r.params for r in self.requests if r.method.lower() == method.lower()]

    def message(self, chat_id: int, message_id: int) -> JSON:
        """Current state of a message (raises KeyError if unknown)."""
        return copy.deepcopy(self._messages[(chat_id, message_id)].message)

    def history(self, chat_id: int, message_id: int) -> list[JSON]:
        """Previous versions of a message, oldest first (the current one is not included)."""
        return copy.deepcopy(self._messages[(chat_id, message_id)].history)

    def transcript(self, chat_id: int) -> list[tuple[JSON, bool, bool, int]]:
        """Every message of a chat, both ways, by id: (current state, sent by the bot,
        deleted, number of edits). What a Telegram client shows (the chat page); not a copy."""
        return [
            (stored.message, stored.outgoing, stored.deleted, len(stored.history))
            for (cid, _), stored in sorted(self._messages.items())
            if cid == chat_id
        ]

    def answer_of(self, query_id: str) -> JSON | None:
        """The answerCallbackQuery params of a button press, once the bot answered it."""
        query = self._queries.get(query_id)
        return query.answer if query else None

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        return self._messages[(chat_id, message_id)].deleted

    def bot_messages(self, chat_id: int) -> list[JSON]:
        """The bot's messages in a chat that still exist, current state, oldest first."""
        found = [
            stored.message
            for (cid, _), stored in sorted(self._messages.items())
            if cid == chat_id and stored.outgoing and not stored.deleted
        ]
        return copy.deepcopy(found)

    def file(self, file_id: str) -> StoredFile:
        return self._files[file_id]

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def sent_documents(self, chat_id: int) -> list[SentFile]:
        """Files the bot sent to ``chat_id`` (any media kind), with their bytes, oldest first."""
        result: list[SentFile] = []
        for event in self.events:
            if event.kind != "send" or event.chat_id != chat_id:
                continue
            stored = self._file_of(event.message)
            if stored is not None:
                result.append(SentFile(event.message, stored))
        return result

    @property
    def commands(self) -> list[JSON]:
        """The command list of the last setMyCommands call (any scope)."""
        return copy.deepcopy(self._last_commands)

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return copy.deepcopy(self.my_commands.get(key, []))

    def reply_keyboard(self, chat_id: int) -> list[list[str]] | None:
        """Texts of the reply keyboard currently shown in ``chat_id``, or None."""
        markup = self._reply_keyboards.get(chat_id)
        if markup is None:
            return None
        return [
            [b if isinstance(b, str) else b["text"] for b in row] for row in markup["keyboard"]
        ]

    async def channel_post(
        self, text: str, *, chat_id: int = -1001000000001, title: str = "Channel"
    ) -> JSON:
        """A channel post in a channel the bot administers."""
        chat = {"id": chat_id, "type": "channel", "title": title}
        message = {
            "message_id": self._next_message_id(chat_id),
            "sender_chat": chat,
            "chat": chat,
            "date": _now(),
            "text": text,
        }
        return await self.deliver({"channel_post": message})

    async def deliver(self, update: JSON, *, redelivery: bool = False) -> JSON:
        """Queue (or POST to the webhook) a raw update; fills ``update_id`` if missing."""
        if not redelivery:
            self._ingest(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
            self._next_update_id += 1
        if redelivery:
            if self.webhook["url"]:
                self._pending.append(update)
            else:
                self._redeliver.append(update)
        else:
            self.updates.append(update)
            self._pending.append(update)
        self._pulse.notify()
        if self.webhook["url"]:
            await self._flush_webhook()
        return update

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
        return _normalize(raw)

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

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        self._pulse.notify()

    def _diagnostics(self, since_event: int, chat_id: int | None = None) -> str:
        """What the bot did since ``since_event`` - for assertion messages."""
        lines: list[str] = []
        for event in self.events[since_event:]:
            if chat_id is not None and event.chat_id != chat_id:
                continue
            msg = event.message
            content = msg.get("text") or msg.get("caption") or _media_kind(msg) or ""
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

    # ------------------------------------------------------------------ state helpers

    @property
    def highest_message_id(self) -> int:
        """The highest message id handed out in any chat (``first_message_id - 1`` before any):
        where a restarted double must start so as not to hand one out again."""
        return max(self._last_message_id.values(), default=self._first_message_id - 1)

    @property
    def highest_update_id(self) -> int:
        """The id of the last update made (one less than the next)."""
        return self._next_update_id - 1

    def _next_message_id(self, chat_id: int) -> int:
        mid = self._last_message_id.get(chat_id, self._first_message_id - 1) + 1
        self._last_message_id[chat_id] = mid
        return mid

    def _ingest(self, update: JSON) -> None:
        """Learn chats, users, messages and callback queries from an update."""
        for key in MESSAGE_UPDATE_KEYS:
            message = update.get(key)
            if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
                continue
            chat = message["chat"]
            chat_id = chat["id"]
            self._chats.setdefault(chat_id, chat)
            sender = message.get("from")
            if isinstance(sender, dict) and not sender.get("is_bot"):
                self._users.setdefault(sender["id"], sender)
            message.setdefault("date", _now())
            if "message_id" not in message:
                message["message_id"] = self._next_message_id(chat_id)
            mid = message["message_id"]
            self._last_message_id[chat_id] = max(self._last_message_id.get(chat_id, 0), mid)
            stored = self._messages.get((chat_id, mid))
            if key.startswith("edited_") and stored is not None:
                stored.history.append(stored.message)
                stored.message = copy.deepcopy(message)
            elif stored is None:
                self._messages[(chat_id, mid)] = _StoredMessage(copy.deepcopy(message), False)
        query = update.get("callback_query")
        if isinstance(query, dict) and query.get("id") and query["id"] not in self._queries:
            message = query.get("message") or {}
            chat_id = (message.get("chat") or {}).get("id")
            if chat_id is not None:
                self._chats.setdefault(chat_id, message["chat"])
            self._queries[query["id"]] = _CallbackQuery(
                id=query["id"],
                user_id=query["from"]["id"],
                chat_id=chat_id,
                message_id=message.get("message_id"),
                created=time.monotonic(),
            )

    def _member_update(self, user_id: int, old: str, new: str) -> None:
        user = self._users[user_id]
        chat = self._private_chat(user)
        bot = dict(self.bot_user)
        update: JSON = {
            "my_chat_member": {
                "chat": chat,
                "from": user,
                "date": _now(),
                "old_chat_member": {"status": old, "user": bot},
                "new_chat_member": (
                    {"status": new, "user": bot, "until_date": 0}
                    if new == "kicked"
                    else {"status": new, "user": bot}
                ),
            }
        }
        update["update_id"] = self._next_update_id
        self._next_update_id += 1
        self.updates.append(update)
        self._pending.append(update)
        self._pulse.notify()
        if self.webhook["url"]:
            self._spawn(self._flush_webhook())

    def _private_chat(self, user: JSON) -> JSON:
        chat: JSON = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _record_event(self, kind: str, stored: _StoredMessage) -> None:
        msg = stored.message
        self.events.append(
            BotEvent(
                len(self.events),
                kind,
                msg["chat"]["id"],
                msg["message_id"],
                copy.deepcopy(msg),
            )
        )
        self._pulse.notify()

    def _file_of(self, message: Mapping[str, Any]) -> StoredFile | None:
        for kind in ("document", "video", "audio", "voice"):
            if kind in message:
                return self._files.get(message[kind]["file_id"])
        if "photo" in message:
            return self._files.get(message["photo"][-1]["file_id"])
        return None

    # ------------------------------------------------------------------ validation helpers

    def _chat(self, params: JSON, key: str = "chat_id") -> JSON:
        chat_id = params.get(key)
        if chat_id is None or chat_id == "":
            raise bad_request(f"{key} is empty")
        chat: JSON | None = None
        if isinstance(chat_id, int):
            chat = self._chats.get(chat_id)
        elif isinstance(chat_id, str) and chat_id.startswith("@"):
            chat = next(
                (c for c in self._chats.values() if c.get("username") == chat_id[1:]), None
            )
        if chat is None:
            if chat_id in self._users:
                # a user the double knows (a Phone exists) who never wrote to the bot
                raise ApiError("Forbidden: bot can't initiate conversation with a user", 403)
            raise bad_request("chat not found")
        if chat["type"] == "private" and chat["id"] in self._blocked:
            raise ApiError("Forbidden: bot was blocked by the user", 403)
        return chat

    def _formatted(
        self,
        params: JSON,
        key: str,
        entities_key: str,
        *,
        limit: int,
        required: bool,
        too_long: str,
        empty: str = "message text is empty",
    ) -> tuple[str, list[JSON]]:
        raw = params.get(key)
        text = "" if raw is None else str(raw)
        explicit = params.get(entities_key)
        if explicit is not None:
            entities = self._check_entities(explicit, entities_key)
        else:
            try:
                text, entities = parse_entities(
                    text, params.get("parse_mode"), strict_entities=self.strict_entities
                )
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc.reason}") from None
            except UnsupportedParseModeError:
                raise bad_request("unsupported parse_mode") from None
        text, entities = _trim(text, entities)
        if required and not text:
            raise bad_request(empty)
        if utf16_len(text) > limit:
            raise bad_request(too_long)
        return text, entities

    @staticmethod
    def _check_entities(value: Any, key: str) -> list[JSON]:
        if not isinstance(value, list) or not all(
            isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in value
        ):
            raise bad_request(f"can't parse {key} JSON object")
        return [dict(e) for e in value]

    def _markup(self, value: Any, *, inline_only: bool = False) -> tuple[str, JSON] | None:
        """Validate reply_markup; returns (kind, normalized markup) or None."""
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request("can't parse reply keyboard markup JSON object") from None
        if not isinstance(value, dict):
            raise bad_request("object expected as reply markup")
        if "inline_keyboard" in value:
            return "inline", {"inline_keyboard": self._inline_keyboard(value["inline_keyboard"])}
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in value:
            rows = value["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    'field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    text = button.get("text") if isinstance(button, dict) else button
                    if not isinstance(text, str) or not text:
                        raise bad_request("keyboard button text must be non-empty")
            return "reply", value
        if value.get("remove_keyboard"):
            return "remove", value
        if value.get("force_reply"):
            return "force", value
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _inline_keyboard(self, rows: Any) -> list[list[JSON]]:
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        if sum(len(row) for row in rows) > INLINE_BUTTONS_LIMIT:
            raise bad_request(
                f"REPLY_MARKUP_TOO_LONG (more than {INLINE_BUTTONS_LIMIT} inline buttons)"
            )
        return [[self._inline_button(button) for button in row] for row in rows]

    def _inline_button(self, button: Any) -> JSON:
        """One inline keyboard button checked as Telegram does, returned without null fields."""
        if not isinstance(button, dict):
            raise bad_request("can't parse inline keyboard button: object expected")
        if "text" not in button:
            raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
        if not isinstance(button["text"], str):
            raise bad_request(
                'can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        if not button["text"].strip():
            raise bad_request("BUTTON_TEXT_EMPTY: inline keyboard button text is empty")
        actions = [
            key
            for key in INLINE_BUTTON_ACTIONS
            if button.get(key) is not None and button.get(key) != ""
        ]
        if not actions:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the "
                "inline keyboard"
            )
        if len(actions) > 1:
            raise bad_request(
                "can't parse inline keyboard button: exactly one of the optional fields "
                f"must be used, got {actions}"
            )
        self._check_button_action(actions[0], button[actions[0]])
        return {k: v for k, v in button.items() if v is not None}

    def _check_button_action(self, action: str, value: Any) -> None:
        """The button's one action (its callback data, Web App or link) as Telegram checks it."""
        if action == "callback_data" and (
            not isinstance(value, str) or not 1 <= len(value.encode()) <= CALLBACK_DATA_LIMIT
        ):
            raise bad_request("BUTTON_DATA_INVALID")
        if action == "web_app" and not self.web_app_url_ok(value):
            raise bad_request(
                f"inline keyboard button Web App URL {value!r} is invalid: "
                "Only HTTPS links are allowed"
            )
        if action == "url" and (
            not isinstance(value, str)
            or not re.match(r"^(https?://[^\s/]+|tg://\S+)", value, re.IGNORECASE)
        ):
            raise bad_request("BUTTON_URL_INVALID")

    def _reply_target(self, chat: JSON, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        allow = bool(params.get("allow_sending_without_reply"))
        target_id: Any = params.get("reply_to_message_id")
        target_chat = chat["id"]
        if isinstance(reply, dict):
            target_id = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") is not None:
                target_chat = reply["chat_id"]
        elif reply is not None:
            raise bad_request("can't parse reply parameters JSON object")
        if target_id is None:
            return None
        stored = self._messages.get((target_chat, target_id))
        if stored is None or stored.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        target = copy.deepcopy(stored.message)
        target.pop("reply_to_message", None)
        return target

    def _new_bot_message(
        self, chat: JSON, params: JSON, content: JSON, markup: tuple[str, JSON] | None
    ) -> JSON:
        reply_to = self._reply_target(chat, params)
        message: JSON = {
            "message_id": self._next_message_id(chat["id"]),
            "from": copy.deepcopy(self.bot_user),
            "chat": copy.deepcopy(chat),
            "date": _now(),
        }
        if chat["type"] == "channel":
            message.pop("from")
            message["sender_chat"] = copy.deepcopy(chat)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update({k: v for k, v in content.items() if v not in (None, [], "")})
        if markup is not None:
            kind, value = markup
            if kind == "inline":
                message["reply_markup"] = value
            elif kind == "reply":
                self._reply_keyboards[chat["id"]] = value
            elif kind == "remove":
                self._reply_keyboards.pop(chat["id"], None)
        stored = _StoredMessage(message, outgoing=True)
        self._messages[(chat["id"], message["message_id"])] = stored
        self._record_event("send", stored)
        return copy.deepcopy(message)

    def _own_message(self, params: JSON, missing: str) -> _StoredMessage:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID (inline messages are not supported)")
        chat = self._chat(params)
        mid = params.get("message_id")
        if mid is None:
            raise bad_request("message identifier is not specified")
        stored = self._messages.get((chat["id"], mid))
        if stored is None or stored.deleted:
            raise bad_request(missing)
        if not stored.outgoing:
            raise bad_request("message can't be edited")
        return stored

    def _apply_edit(self, stored: _StoredMessage, changes: JSON) -> JSON:
        new = copy.deepcopy(stored.message)
        for key, value in changes.items():
            if value in (None, [], ""):
                new.pop(key, None)
            else:
                new[key] = value
        comparable = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if all(new.get(k) == stored.message.get(k) for k in comparable):
            raise bad_request(NOT_MODIFIED)
        new["edit_date"] = _now()
        stored.history.append(stored.message)
        stored.message = new
        self._record_event("edit", stored)
        return copy.deepcopy(new)

    # ------------------------------------------------------------------ files

    def _new_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        extension: str | None = None,
    ) -> StoredFile:
        self._file_counter += 1
        folder, default_ext = {
            "photo": ("photos", ".jpg"),
            "document": ("documents", ""),
            "video": ("videos", ".mp4"),
            "audio": ("music", ".mp3"),
            "voice": ("voice", ".oga"),
        }[kind]
        ext = extension
        if ext is None:
            ext = (
                ("." + file_name.rsplit(".", 1)[1].lower())
                if file_name and "." in file_name
                else default_ext
            )
        prefix = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "audio": "CQAC"}.get(
            kind, "AwAC"
        )
        stored = StoredFile(
            file_id=prefix + secrets.token_urlsafe(36),
            file_unique_id="AgAD" + secrets.token_urlsafe(9),
            kind=kind,
            data=bytes(data),
            file_path=f"{folder}/file_{self._file_counter}{ext}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _new_photo(self, data: bytes) -> list[JSON]:
        """PhotoSize list: two generated thumbnails and the full-size photo holding ``data``."""
        size = len(data)
        dims = [(90, 60), (320, 213), (1280, 853)]
        payloads = [
            data[: max(1, size // 16)] if size > 2 else data,
            data[: max(1, size // 4)] if size > 2 else data,
            data,
        ]
        sizes: list[JSON] = []
        files: list[StoredFile] = []
        for (width, height), payload in zip(dims, payloads, strict=True):
            stored = self._new_file("photo", payload, mime_type="image/jpeg")
            files.append(stored)
            sizes.append({**stored.base(), "width": width, "height": height})
        for stored in files:
            stored.photo_sizes = sizes
        return copy.deepcopy(sizes)

    def _input_file(self, params: JSON, kind: str) -> StoredFile:
        value = params.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if value is None or value == "":
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(value, Upload):
            data = value.data
            if not data:
                raise bad_request("file must be non-empty")
            if len(data) > UPLOAD_LIMIT:
                raise ApiError("Request Entity Too Large", 413)
            if kind == "photo":
                if len(data) > PHOTO_UPLOAD_LIMIT:
                    raise bad_request("PHOTO_SAVE_FILE_INVALID (photos are limited to 10 MB)")
                if not _looks_like_image(data):
                    raise bad_request("IMAGE_PROCESS_FAILED")
                sizes = self._new_photo(data)
                return self._files[sizes[-1]["file_id"]]
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.filename or "")[0] or mime
            default_mime = {"video": "video/mp4", "audio": "audio/mpeg", "voice": "audio/ogg"}
            return self._new_file(
                kind,
                data,
                file_name=value.filename if kind != "voice" else None,
                mime_type=mime or default_mime.get(kind, "application/octet-stream"),
            )
        if not isinstance(value, str):
            raise bad_request(WRONG_FILE_ID)
        if value.startswith(("http://", "https://")):
            raise bad_request(
                "failed to get HTTP URL content (the double cannot fetch URLs; upload the bytes)"
            )
        stored = self._files.get(value)
        if stored is None:
            raise bad_request(WRONG_FILE_ID)
        if (stored.kind == "photo") != (kind == "photo"):
            raise bad_request(
                f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        return stored

    @staticmethod
    def _media_object(kind: str, stored: StoredFile, params: JSON) -> Any:
        if kind == "photo":
            return copy.deepcopy(stored.photo_sizes)
        obj = stored.base()
        if kind in ("document", "video", "audio") and stored.file_name:
            obj["file_name"] = stored.file_name
        if stored.mime_type:
            obj["mime_type"] = stored.mime_type
        if kind in ("video", "audio", "voice"):
            obj["duration"] = params.get("duration") or 1
        if kind == "video":
            obj["width"] = params.get("width") or 640
            obj["height"] = params.get("height") or 360
        if kind == "audio":
            for key in ("performer", "title"):
                if params.get(key):
                    obj[key] = params[key]
        return obj

    # ------------------------------------------------------------------ webhook

    async def _flush_webhook(self) -> None:
        """POST pending updates to the webhook in order; keep them if the bot fails."""
        async with self._webhook_lock:
            while self._pending and self.webhook["url"] and not self._closing:
                update = self._pending[0]
                if not self._allowed(update):
                    self._pending.pop(0)
                    self.dropped_updates.append(update)
                    continue
                if self._http is None:
                    self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
                headers = {}
                if self.webhook["secret_token"]:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    async with self._http.post(
                        self.webhook["url"], json=update, headers=headers
                    ) as response:
                        status = response.status
                        await response.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    self._webhook_error = (_now(), f"Connection failed: {exc}")
                    return
                if not 200 <= status < 300:
                    self._webhook_error = (_now(), f"Wrong response from the webhook: {status}")
                    return
                self._pending.pop(0)
                self._touch()

    def _allowed(self, update: JSON) -> bool:
        kind = _update_type(update)
        if self._allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _set_allowed(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise bad_request("can't parse allowed updates JSON array")
        self._allowed_updates = frozenset(value) if value else None

    # ------------------------------------------------------------------ methods

    def _m_get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _m_log_out(self, params: JSON) -> bool:
        return True

    def _m_close(self, params: JSON) -> bool:
        return True

    async def _m_get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook["url"]:
            raise ApiError(
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
                409,
            )
        # Like Telegram, a new getUpdates terminates the one still waiting.
        self._poll_generation += 1
        generation = self._poll_generation
        self._pulse.notify()
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        limit = max(1, min(100, limit if isinstance(limit, int) else 100))
        timeout = params.get("timeout") or 0
        timeout = max(0.0, float(timeout)) if isinstance(timeout, int | float) else 0.0
        self._set_allowed(params.get("allowed_updates"))
        if isinstance(offset, int) and offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._pending = self._pending[offset:]
        deadline = time.monotonic() + timeout
        while True:
            event = self._pulse.current
            if generation != self._poll_generation:
                raise ApiError(
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                    409,
                )
            batch = self._take_updates(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                break
            await self._pulse.wait(event, remaining)
        if batch:
            self._touch()
        return batch

    def _take_updates(self, limit: int) -> list[JSON]:
        batch: list[JSON] = []
        while self._redeliver and len(batch) < limit:
            batch.append(self._redeliver.pop(0))
        for update in list(self._pending):
            if len(batch) >= limit:
                break
            if not self._allowed(update):
                self._pending.remove(update)
                self.dropped_updates.append(update)
                continue
            batch.append(update)
        return copy.deepcopy(batch)

    async def _m_set_webhook(self, params: JSON) -> bool:
        url = params.get("url") or ""
        if url and not re.match(r"^https?://[^\s/]+", url):
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        self._set_allowed(params.get("allowed_updates"))
        if params.get("drop_pending_updates"):
            self._pending.clear()
            self._redeliver.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": params.get("allowed_updates"),
        }
        self._webhook_error = None
        self._poll_generation += 1  # a waiting getUpdates ends with 409
        self._pulse.notify()
        if url:
            self._spawn(self._flush_webhook())
        return True

    def _m_delete_webhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
            self._redeliver.clear()
        self.webhook = {"url": "", "secret_token": None, "allowed_updates": None}
        return True

    def _m_get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
            "max_connections": 40,
        }
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        if self._webhook_error and self.webhook["url"]:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _m_set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON array")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH (at most 100 commands)")
        normalized = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name.lstrip("/")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            normalized.append({"command": name.lstrip("/"), "description": description})
        self.my_commands[self._commands_key(params)] = normalized
        self._last_commands = normalized
        return True

    def _m_get_my_commands(self, params: JSON) -> list[JSON]:
        return copy.deepcopy(self.my_commands.get(self._commands_key(params), []))

    def _m_delete_my_commands(self, params: JSON) -> bool:
        self.my_commands.pop(self._commands_key(params), None)
        return True

    def _m_set_my_description(self, params: JSON) -> bool:
        self.my_descriptions["description"] = str(params.get("description") or "")
        return True

    def _m_set_my_short_description(self, params: JSON) -> bool:
        self.my_descriptions["short_description"] = str(params.get("short_description") or "")
        return True

    def web_app_url_ok(self, web_app: Any) -> bool:
        """A WebAppInfo whose URL Telegram would open (HTTPS; local HTTP when allowed)."""
        url = web_app.get("url") if isinstance(web_app, dict) else None
        if not isinstance(url, str):
            return False
        if re.match(r"^https://[^\s/]+", url):
            return True
        return self.local_web_apps and bool(
            re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?(/|$)", url)
        )

    def menu_button(self, chat_id: int | None = None) -> JSON:
        """The chat's menu button (its own, else the default one, else the command list)."""
        found = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return copy.deepcopy(found or {"type": "commands"})

    def _m_set_chat_menu_button(self, params: JSON) -> bool:
        chat_id = self._chat(params)["id"] if params.get("chat_id") is not None else None
        button = params.get("menu_button") or {"type": "default"}
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in ("default", "commands", "web_app"):
            raise bad_request("can't parse menu button JSON object")
        if kind == "web_app":
            if not str(button.get("text") or "").strip():
                raise bad_request("BUTTON_TEXT_EMPTY: menu button text is empty")
            if not self.web_app_url_ok(button.get("web_app")):
                raise bad_request("BUTTON_URL_INVALID: the Web App URL must be HTTPS")
        if kind == "default":
            self._menu_buttons.pop(chat_id, None)
        else:
            self._menu_buttons[chat_id] = dict(button)
        return True

    def _m_get_chat_menu_button(self, params: JSON) -> JSON:
        if params.get("chat_id") is None:
            return self.menu_button()
        return self.menu_button(self._chat(params)["id"])

    def _m_get_chat(self, params: JSON) -> JSON:
        chat = copy.deepcopy(self._chat(params))
        chat.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                },
            }
        )
        return chat

    def _m_send_message(self, params: JSON) -> JSON:
        chat = self._chat(params)
        text, entities = self._formatted(
            params,
            "text",
            "entities",
            limit=MESSAGE_LIMIT,
            required=True,
            too_long="message is too long",
        )
        markup = self._markup(params.get("reply_markup"))
        return self._new_bot_message(chat, params, {"text": text, "entities": entities}, markup)

    def _m_edit_message_text(self, params: JSON) -> JSON:
        stored = self._own_message(params, "message to edit not found")
        if "text" not in stored.message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(
            params,
            "text",
            "entities",
            limit=MESSAGE_LIMIT,
            required=True,
            too_long="message is too long",
        )
        # Telegram drops the inline keyboard when an edit does not repeat it.
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        return self._apply_edit(
            stored,
            {"text": text, "entities": entities, "reply_markup": markup[1] if markup else None},
        )

    def _m_edit_message_caption(self, params: JSON) -> JSON:
        stored = self._own_message(params, "message to edit not found")
        if _media_kind(stored.message) is None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._formatted(
            params,
            "caption",
            "caption_entities",
            limit=CAPTION_LIMIT,
            required=False,
            too_long="message caption is too long",
        )
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        return self._apply_edit(
            stored,
            {
                "caption": caption,
                "caption_entities": entities,
                "reply_markup": markup[1] if markup else None,
            },
        )

    def _m_edit_message_reply_markup(self, params: JSON) -> JSON:
        stored = self._own_message(params, "message to edit not found")
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        return self._apply_edit(stored, {"reply_markup": markup[1] if markup else None})

    def _delete(self, chat: JSON, message_id: Any) -> bool:
        stored = self._messages.get((chat["id"], message_id))
        if stored is None or stored.deleted:
            return False
        stored.deleted = True
        self._record_event("delete", stored)
        return True

    def _m_delete_message(self, params: JSON) -> bool:
        chat = self._chat(params)
        if not self._delete(chat, params.get("message_id")):
            raise bad_request("message to delete not found")
        return True

    def _m_delete_messages(self, params: JSON) -> bool:
        chat = self._chat(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 identifiers")
        for mid in ids:
            self._delete(chat, mid)
        return True

    def _m_answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        query = self._queries.get(query_id)
        if (
            query is None
            or query.answer is not None
            or time.monotonic() - query.created > self.callback_query_ttl
        ):
            raise bad_request(QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = dict(params)
        self.answers.append(dict(params))
        return True

    def _m_send_chat_action(self, params: JSON) -> bool:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _send_media(self, params: JSON, kind: str) -> JSON:
        chat = self._chat(params)
        stored = self._input_file(params, kind)
        caption, entities = self._formatted(
            params,
            "caption",
            "caption_entities",
            limit=CAPTION_LIMIT,
            required=False,
            too_long="message caption is too long",
        )
        markup = self._markup(params.get("reply_markup"))
        content = {
            kind: self._media_object(kind, stored, params),
            "caption": caption,
            "caption_entities": entities,
        }
        return self._new_bot_message(chat, params, content, markup)

    def _m_send_document(self, params: JSON) -> JSON:
        return self._send_media(params, "document")

    def _m_send_photo(self, params: JSON) -> JSON:
        return self._send_media(params, "photo")

    def _m_send_video(self, params: JSON) -> JSON:
        return self._send_media(params, "video")

    def _m_send_audio(self, params: JSON) -> JSON:
        return self._send_media(params, "audio")

    def _m_send_voice(self, params: JSON) -> JSON:
        return self._send_media(params, "voice")

    def _source_message(self, params: JSON) -> JSON:
        source_chat = self._chat(params, "from_chat_id")
        mid = params.get("message_id")
        stored = None if mid is None else self._messages.get((source_chat["id"], mid))
        if stored is None or stored.deleted:
            raise bad_request("message to copy not found")
        return stored.message

    def _m_copy_message(self, params: JSON) -> JSON:
        chat = self._chat(params)
        source = self._source_message(params)
        content = {
            k: copy.deepcopy(v)
            for k, v in source.items()
            if k in ("text", "entities", "caption", "caption_entities", "contact")
            or k in ("photo", "document", "video", "audio", "voice")
        }
        if "caption" in params:
            caption, entities = self._formatted(
                params,
                "caption",
                "caption_entities",
                limit=CAPTION_LIMIT,
                required=False,
                too_long="message caption is too long",
            )
            content.update(caption=caption, caption_entities=entities)
        markup = self._markup(params.get("reply_markup"))
        message = self._new_bot_message(chat, params, content, markup)
        return {"message_id": message["message_id"]}

    def _m_forward_message(self, params: JSON) -> JSON:
        chat = self._chat(params)
        source = self._source_message(params)
        content = {
            k: copy.deepcopy(v)
            for k, v in source.items()
            if k not in ("message_id", "from", "chat", "date", "reply_to_message", "reply_markup")
        }
        sender = source.get("from")
        if sender is not None:
            content["forward_origin"] = {
                "type": "user",
                "sender_user": sender,
                "date": source["date"],
            }
        return self._new_bot_message(chat, params, content, None)

    def _m_send_media_group(self, params: JSON) -> list[JSON]:
        chat = self._chat(params)
        media = params.get("media")
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise bad_request("can't parse media JSON array")
        if len(media) < 2:
            raise bad_request("Too few messages to send as an album (2-10 media are needed)")
        if len(media) > 10:
            raise bad_request("Too many messages to send as an album")
        kinds = [m.get("type") for m in media]
        if any(k not in ("photo", "video", "document", "audio") for k in kinds):
            raise bad_request(f"unsupported media type in the album: {kinds}")
        for alone in ("document", "audio"):
            if alone in kinds and any(k != alone for k in kinds):
                raise bad_request(f"{alone}s can't be mixed with other media types in an album")
        prepared = []
        for item in media:
            kind = item["type"]
            stored = self._input_file({**params, kind: item.get("media")}, kind)
            caption, entities = self._formatted(
                item,
                "caption",
                "caption_entities",
                limit=CAPTION_LIMIT,
                required=False,
                too_long="message caption is too long",
            )
            prepared.append((kind, stored, caption, entities))
        group_id = str(secrets.randbits(60))
        messages = []
        for index, (kind, stored, caption, entities) in enumerate(prepared):
            content = {
                kind: self._media_object(kind, stored, {}),
                "media_group_id": group_id,
                "caption": caption,
                "caption_entities": entities,
            }
            # only the first message carries the reply
            item_params = params if index == 0 else {}
            messages.append(self._new_bot_message(chat, item_params, content, None))
        return messages

    def _m_get_file(self, params: JSON) -> JSON:
        file_id = params.get("file_id")
        stored = self._files.get(file_id) if isinstance(file_id, str) else None
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {**stored.base(), "file_path": stored.file_path}


def _media_kind(message: Mapping[str, Any]) -> str | None:
    return next(
        (k for k in ("photo", "document", "video", "audio", "voice") if k in message), None
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# ----------------------------------------------------------------------------------- Phone


class Phone:
    """A user's Telegram client: sends updates to the bot and watches what it does.

    Every action returns the update it produced.  ``wait_reply`` / ``wait_edit`` only look at
    what the bot did after the phone's last action.  The ``wait_*`` methods take a ``timeout``
    (hence the ASYNC109 noqa): a failed wait reports what the bot did instead, which an outer
    ``asyncio.timeout`` could not.
    """

    def __init__(self, double: BotApiDouble, user: JSON) -> None:
        self.double = double
        self.user = user
        self._mark = 0  # len(double.events) at the last action
        self._consumed: set[int] = set()

    @property
    def user_id(self) -> int:
        return int(self.user["id"])

    @property
    def chat_id(self) -> int:
        return self.user_id

    @property
    def chat(self) -> JSON:
        return self.double._private_chat(self.user)

    def open_chat(self) -> None:
        """The user has talked to the bot before, so the bot may write first (a digest)."""
        self.double._chats[self.chat_id] = self.chat

    # ------------------------------------------------------------------ what the bot did

    @property
    def messages(self) -> list[JSON]:
        """The bot's messages in this chat that still exist, current state, oldest first."""
        return self.double.bot_messages(self.chat_id)

    @property
    def last_message(self) -> JSON | None:
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def answers(self) -> list[JSON]:
        """answerCallbackQuery params for this user's button presses, in order."""
        mine = {q.id for q in self.double._queries.values() if q.user_id == self.user_id}
        return [a for a in self.double.answers if str(a.get("callback_query_id")) in mine]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        return self.double.reply_keyboard(self.chat_id)

    def _find_event(self, kind: str, chat_id: int, message_id: int | None) -> BotEvent | None:
        for event in self.double.events[self._mark :]:
            if (
                event.kind == kind
                and event.chat_id == chat_id
                and event.index not in self._consumed
                and (message_id is None or event.message_id == message_id)
            ):
                return event
        return None

    async def _wait_event(
        self,
        kind: str,
        timeout: float,  # noqa: ASYNC109
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> JSON:
        mark = self._mark
        chat = self.chat_id if chat_id is None else chat_id
        try:
            event: BotEvent = await self.double.wait_until(
                lambda: self._find_event(kind, chat, message_id), timeout
            )
        except AssertionError:
            what = "message" if kind == "send" else f"{kind} of message #{message_id}"
            raise AssertionError(
                f"the bot sent no new {what} to chat {chat} within {timeout}s"
                + self.double._diagnostics(mark, chat)
            ) from None
        self._consumed.add(event.index)
        return copy.deepcopy(event.message)

    async def wait_reply(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        chat_id: int | None = None,
    ) -> JSON:
        """The next message the bot sent after the phone's last action.

        Looks at the user's private chat unless ``chat_id`` is given (e.g. a group).
        """
        return await self._wait_event("send", timeout, chat_id)

    async def wait_edit(
        self,
        message: Mapping[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        """``message`` as it is after its next edit (after the phone's last action)."""
        return await self._wait_event(
            "edit", timeout, message["chat"]["id"], message["message_id"]
        )

    async def wait_delete(
        self,
        message: Mapping[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        await self._wait_event("delete", timeout, message["chat"]["id"], message["message_id"])

    async def wait_answer(self, query_update: Mapping[str, Any], timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """The answerCallbackQuery params for the button press in ``query_update``."""
        query_id = query_update["callback_query"]["id"]
        mark = self._mark

        def answered() -> JSON | None:
            query = self.double._queries.get(query_id)
            return query.answer if query else None

        try:
            return dict(await self.double.wait_until(answered, timeout))
        except AssertionError:
            raise AssertionError(
                f"callback query {query_id} was not answered within {timeout}s"
                + self.double._diagnostics(mark, self.chat_id)
            ) from None

    async def wait_idle(self, quiet: float = 0.2, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        await self.double.wait_idle(quiet=quiet, timeout=timeout)

    # ------------------------------------------------------------------ actions

    async def _emit(self, update: JSON) -> JSON:
        """Deliver an update from this user in their private chat with the bot."""
        self._mark = len(self.double.events)
        chat = self.chat
        # The private chat exists for the bot once the user has written to it.
        self.double._chats[chat["id"]] = chat
        if self.user_id in self.double._blocked:
            self.double.unblock(self.user_id)  # writing to a blocked bot restarts it
        return await self.double.deliver(update)

    def _message(self, reply_to: Mapping[str, Any] | int | None = None, **content: Any) -> JSON:
        chat = self.chat
        message: JSON = {
            "message_id": self.double._next_message_id(chat["id"]),
            "from": copy.deepcopy(self.user),
            "chat": chat,
            "date": _now(),
        }
        if reply_to is not None:
            reply_id = reply_to if isinstance(reply_to, int) else reply_to["message_id"]
            stored = self.double._messages.get((chat["id"], reply_id))
            if stored is None:
                raise AssertionError(f"cannot reply to unknown message #{reply_id}")
            target = copy.deepcopy(stored.message)
            target.pop("reply_to_message", None)
            message["reply_to_message"] = target
        message.update({k: v for k, v in content.items() if v is not None})
        return message

    async def send(self, text: str, reply_to: Mapping[str, Any] | int | None = None) -> JSON:
        """A text message; "/cmd ..." gets its bot_command entity like on Telegram."""
        message = self._message(reply_to, text=text, entities=command_entities(text) or None)
        keyboard_markup = self.double._reply_keyboards.get(self.chat_id)
        if keyboard_markup and keyboard_markup.get("one_time_keyboard"):
            self.double._reply_keyboards.pop(self.chat_id, None)
        return await self._emit({"message": message})

    async def click(self, message: Mapping[str, Any], button_text: str) -> JSON:
        """Press the inline button ``button_text`` of the bot's ``message`` (current state)."""
        key = (message["chat"]["id"], message["message_id"])
        stored = self.double._messages.get(key)
        if stored is None or stored.deleted:
            raise AssertionError(f"message #{message['message_id']} no longer exists")
        current = stored.message
        found = [
            button
            for row in (current.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
            if button["text"] == button_text
        ]
        if not found:
            raise AssertionError(
                f"no button {button_text!r} on message #{current['message_id']}; "
                f"available: {buttons(current)}"
            )
        button = found[0]
        if "callback_data" not in button:
            raise AssertionError(f"button {button_text!r} is not a callback button: {button}")
        query_id = str(secrets.randbits(62))
        update = {
            "callback_query": {
                "id": query_id,
                "from": copy.deepcopy(self.user),
                "message": copy.deepcopy(current),
                "chat_instance": str(abs(hash((self.double.token, key[0]))) % 10**18),
                "data": button["callback_data"],
            }
        }
        return await self._emit(update)

    async def share_contact(
        self,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> JSON:
        contact: JSON = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if user_id is not None:
            contact["user_id"] = user_id
        return await self._emit({"message": self._message(contact=contact)})

    def _caption(self, caption: str | None) -> JSON:
        return {"caption": caption} if caption else {}

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
        media_group_id: str | None = None,
    ) -> JSON:
        """A photo: three PhotoSize entries, the largest holding ``data``."""
        sizes = self.double._new_photo(data)
        message = self._message(
            reply_to, photo=sizes, media_group_id=media_group_id, **self._caption(caption)
        )
        return await self._emit({"message": message})

    async def _send_file(
        self,
        kind: str,
        data: bytes,
        obj: JSON,
        *,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
        reply_to: Mapping[str, Any] | int | None,
        media_group_id: str | None,
    ) -> JSON:
        stored = self.double._new_file(kind, data, file_name=file_name, mime_type=mime_type)
        media = {**stored.base(), **obj}
        if file_name and kind != "voice":
            media["file_name"] = file_name
        if mime_type:
            media["mime_type"] = mime_type
        message = self._message(
            reply_to, media_group_id=media_group_id, **{kind: media}, **self._caption(caption)
        )
        return await self._emit({"message": message})

    async def send_document(
        self,
        data: bytes,
        file_name: str = "file.bin",
        mime_type: str | None = "application/octet-stream",
        caption: str | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
        media_group_id: str | None = None,
    ) -> JSON:
        return await self._send_file(
            "document",
            data,
            {},
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            reply_to=reply_to,
            media_group_id=media_group_id,
        )

    async def send_video(
        self,
        data: bytes,
        file_name: str = "video.mp4",
        mime_type: str = "video/mp4",
        caption: str | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
        media_group_id: str | None = None,
        *,
        duration: int = 1,
        width: int = 640,
        height: int = 360,
    ) -> JSON:
        return await self._send_file(
            "video",
            data,
            {"duration": duration, "width": width, "height": height},
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            reply_to=reply_to,
            media_group_id=media_group_id,
        )

    async def send_audio(
        self,
        data: bytes,
        file_name: str = "audio.mp3",
        mime_type: str = "audio/mpeg",
        caption: str | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
        media_group_id: str | None = None,
        *,
        duration: int = 1,
        performer: str | None = None,
        title: str | None = None,
    ) -> JSON:
        extra: JSON = {"duration": duration}
        if performer:
            extra["performer"] = performer
        if title:
            extra["title"] = title
        return await self._send_file(
            "audio",
            data,
            extra,
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            reply_to=reply_to,
            media_group_id=media_group_id,
        )

    async def send_voice(
        self,
        data: bytes,
        caption: str | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
        *,
        duration: int = 1,
        mime_type: str = "audio/ogg",
    ) -> JSON:
        return await self._send_file(
            "voice",
            data,
            {"duration": duration},
            file_name=None,
            mime_type=mime_type,
            caption=caption,
            reply_to=reply_to,
            media_group_id=None,
        )

    async def forward(
        self,
        text: str | None = None,
        *,
        photo: bytes | None = None,
        caption: str | None = None,
        from_user: Mapping[str, Any] | None = None,
        sender_name: str | None = None,
        date: int | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
    ) -> JSON:
        """A message forwarded from another chat: a text, or a photo (with its caption).

        ``forward_origin`` is a MessageOriginUser (``sender_user``: ``from_user``) or, with
        ``sender_name``, a MessageOriginHiddenUser (only ``sender_user_name``: the sender hides
        their account in forwards).
        """
        if (text is None) == (photo is None):
            raise AssertionError("forward a text or a photo")
        origin: JSON
        if sender_name is not None:
            origin = {"type": "hidden_user", "sender_user_name": sender_name}
        else:
            sender = dict(from_user or {"id": 999, "is_bot": False, "first_name": "Someone"})
            origin = {"type": "user", "sender_user": sender}
        origin["date"] = date if date is not None else _now() - 3600
        content: JSON = (
            {"text": text}
            if text is not None
            else {"photo": self.double._new_photo(photo or b""), **self._caption(caption)}
        )
        message = self._message(reply_to, forward_origin=origin, **content)
        return await self._emit({"message": message})

    async def edit(self, message: Mapping[str, Any], new_text: str) -> JSON:
        """The user edits their own text message -> an ``edited_message`` update."""
        if "message" in message and "update_id" in message:
            message = message["message"]  # accept the update send() returned
        stored = self.double._messages.get((self.chat_id, message["message_id"]))
        if stored is None or stored.outgoing:
            raise AssertionError("the phone can only edit its own messages")
        edited = copy.deepcopy(stored.message)
        edited["text"] = new_text
        entities = command_entities(new_text)
        if entities:
            edited["entities"] = entities
        else:
            edited.pop("entities", None)
        edited["edit_date"] = _now()
        return await self._emit({"edited_message": edited})

    async def send_in_group(
        self,
        text: str,
        *,
        chat_id: int = -100200300,
        title: str = "Team",
        chat_type: str = "group",
    ) -> JSON:
        """A text message from this user in a group chat with the bot."""
        chat = {"id": chat_id, "type": chat_type, "title": title}
        message = {
            "message_id": self.double._next_message_id(chat_id),
            "from": copy.deepcopy(self.user),
            "chat": chat,
            "date": _now(),
            "text": text,
        }
        entities = command_entities(text)
        if entities:
            message["entities"] = entities
        self._mark = len(self.double.events)
        return await self.double.deliver({"message": message})

    async def send_raw_update(self, update: JSON) -> JSON:
        """Deliver any update dict (update_id, message_id and date are filled in if missing)."""
        self._mark = len(self.double.events)
        return await self.double.deliver(update)

    async def resend(self, update: JSON) -> JSON:
        """Deliver the very same update (same update_id) again: at-least-once delivery."""
        self._mark = len(self.double.events)
        return await self.double.deliver(copy.deepcopy(update), redelivery=True)

    def buttons(self, message: Mapping[str, Any] | None = None) -> list[str]:
        """Inline button texts of ``message`` (default: the last bot message)."""
        target = message if message is not None else (self.last_message or {})
        return buttons(target)
