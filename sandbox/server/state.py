"""Telegram's state as the double holds it - users, chats, messages, button presses, the update
queue's bookkeeping - and the lookups every method handler shares: which chat a call names, what
a reply refers to, how the bot's message is stored, sent, edited and deleted."""

from __future__ import annotations

import asyncio
import copy
import secrets
import time
from collections.abc import Coroutine, Mapping
from typing import Any

import aiohttp

from . import markup, rules
from .records import (
    JSON,
    ApiError,
    ApiFailure,
    ApiRequest,
    BotEvent,
    CallbackQuery,
    Pulse,
    StoredFile,
    StoredMessage,
    bad_request,
    now,
)
from .rules import MESSAGE_UPDATE_KEYS, NOT_MODIFIED


class TelegramState:
    """The state behind every method handler (the handlers are mixins of this class)."""

    def __init__(
        self,
        *,
        token: str,
        strict_entities: bool,
        callback_query_ttl: float,
        bot_username: str,
        bot_first_name: str,
        first_update_id: int | None,
        first_message_id: int,
        local_web_apps: bool,
    ) -> None:
        self.token = token
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
        self._messages: dict[tuple[int, int], StoredMessage] = {}
        self._last_message_id: dict[int, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0
        self._queries: dict[str, CallbackQuery] = {}
        self._reply_keyboards: dict[int, JSON] = {}
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

        # Activity, for the waits.
        self._inflight = 0
        self._last_activity = time.monotonic()
        self._pulse = Pulse()
        self._closing = False

    # ------------------------------------------------------------------ ids and activity

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

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        self._pulse.notify()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ learning from updates

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
            message.setdefault("date", now())
            if "message_id" not in message:
                message["message_id"] = self._next_message_id(chat_id)
            mid = message["message_id"]
            self._last_message_id[chat_id] = max(self._last_message_id.get(chat_id, 0), mid)
            stored = self._messages.get((chat_id, mid))
            if key.startswith("edited_") and stored is not None:
                stored.history.append(stored.message)
                stored.message = copy.deepcopy(message)
            elif stored is None:
                self._messages[(chat_id, mid)] = StoredMessage(copy.deepcopy(message), False)
        query = update.get("callback_query")
        if isinstance(query, dict) and query.get("id") and query["id"] not in self._queries:
            message = query.get("message") or {}
            chat_id = (message.get("chat") or {}).get("id")
            if chat_id is not None:
                self._chats.setdefault(chat_id, message["chat"])
            self._queries[query["id"]] = CallbackQuery(
                id=query["id"],
                user_id=query["from"]["id"],
                chat_id=chat_id,
                message_id=message.get("message_id"),
                created=time.monotonic(),
            )

    def _private_chat(self, user: JSON) -> JSON:
        chat: JSON = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    # ------------------------------------------------------------------ checks every call makes

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

    def web_app_url_ok(self, web_app: Any) -> bool:
        """A WebAppInfo whose URL Telegram would open (HTTPS; local HTTP when allowed)."""
        return markup.web_app_url_ok(web_app, local=self.local_web_apps)

    def _markup(self, value: Any, *, inline_only: bool = False) -> tuple[str, JSON] | None:
        """Validate reply_markup; returns (kind, normalized markup) or None."""
        return markup.check_markup(value, self.web_app_url_ok, inline_only=inline_only)

    def _text(self, params: JSON) -> tuple[str, list[JSON]]:
        return rules.message_text(params, strict_entities=self.strict_entities)

    def _caption(self, params: JSON) -> tuple[str, list[JSON]]:
        return rules.caption(params, strict_entities=self.strict_entities)

    # ------------------------------------------------------------------ the bot's messages

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
            "date": now(),
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
        stored = StoredMessage(message, outgoing=True)
        self._messages[(chat["id"], message["message_id"])] = stored
        self._record_event("send", stored)
        return copy.deepcopy(message)

    def _record_event(self, kind: str, stored: StoredMessage) -> None:
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

    def _own_message(self, params: JSON, missing: str) -> StoredMessage:
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

    def _apply_edit(self, stored: StoredMessage, changes: JSON) -> JSON:
        new = copy.deepcopy(stored.message)
        for key, value in changes.items():
            if value in (None, [], ""):
                new.pop(key, None)
            else:
                new[key] = value
        comparable = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if all(new.get(k) == stored.message.get(k) for k in comparable):
            raise bad_request(NOT_MODIFIED)
        new["edit_date"] = now()
        stored.history.append(stored.message)
        stored.message = new
        self._record_event("edit", stored)
        return copy.deepcopy(new)

    def _delete(self, chat: JSON, message_id: Any) -> bool:
        stored = self._messages.get((chat["id"], message_id))
        if stored is None or stored.deleted:
            return False
        stored.deleted = True
        self._record_event("delete", stored)
        return True

    def _file_of(self, message: Mapping[str, Any]) -> StoredFile | None:
        for kind in ("document", "video", "audio", "voice"):
            if kind in message:
                return self._files.get(message[kind]["file_id"])
        if "photo" in message:
            return self._files.get(message["photo"][-1]["file_id"])
        return None
