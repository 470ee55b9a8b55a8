"""The sandbox's chat page: a Telegram-like chat in a browser, served by the double itself.

A person plays one of the configured users (each has a private chat with the bot, as on
their own phone). What they do goes through the same :class:`~sandbox.server.Phone` the tests
use, so the bot sees exactly the updates Telegram would send; what the bot does reaches the
page as server-sent events. The page (``static/``) is plain HTML, CSS and JavaScript.

Routes, added to the double's own aiohttp app:

    GET  /                     the page; /static/* its script and styles
    GET  /chat/state           the bot, the users, the command menu and the host's actions
    GET  /chat/events?user=ID  server-sent events: every message of that chat, again on edit
    POST /chat/send            {user, text, reply_to}: a text message
    POST /chat/press           {user, message_id, data}: tap an inline button; answers with
                               the bot's answerCallbackQuery (toast or alert)
    POST /chat/files           multipart (user, reply_to, caption, file...): a photo, a
                               document, or several as an album
    POST /chat/contact         {user, name, phone}: share a contact
    POST /chat/action          {user, label}: one of the host's actions (a digest now)
    POST /chat/webapp          {user, url}: the Mini App's launch URL, with init data signed
                               by the bot's token exactly as Telegram signs it
    GET  /chat/file/{file_id}  a file's bytes (?download=1 to save it)
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from .server import BotApiDouble, Phone
from .webapp import init_data, launch_url

JSON = dict[str, Any]
STATIC = Path(__file__).with_name("static")
KEEPALIVE_SECONDS = 15.0
ANSWER_WAIT_SECONDS = 15.0
ALBUM_LIMIT = 10
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})

#: Something the host offers on the page (e.g. "Send morning digest now"): called with the
#: Telegram id of the user the page is playing.
Action = Callable[[int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ChatUser:
    user_id: int
    name: str


class ChatPage:
    """Install the chat page on ``double`` (before it starts) for ``users``."""

    def __init__(self, double: BotApiDouble, users: Sequence[ChatUser]) -> None:
        if not users:
            raise ValueError("the chat page needs at least one user")
        self.double = double
        self.users = {user.user_id: user for user in users}
        self.actions: dict[str, Action] = {}
        for user in users:
            double.phone(user.user_id, user.name).open_chat()
        router = double.web_app.router
        router.add_get("/", self._index)
        router.add_static("/static", STATIC)
        router.add_get("/chat/state", self._state)
        router.add_get("/chat/events", self._events)
        router.add_post("/chat/send", self._send)
        router.add_post("/chat/press", self._press)
        router.add_post("/chat/files", self._files)
        router.add_post("/chat/contact", self._contact)
        router.add_post("/chat/action", self._action)
        router.add_post("/chat/webapp", self._webapp)
        router.add_get("/chat/file/{file_id}", self._file)

    def add_action(self, label: str, action: Action) -> None:
        self.actions[label] = action

    def remove_action(self, label: str) -> None:
        self.actions.pop(label, None)

    # ------------------------------------------------------------------ reading

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _state(self, request: web.Request) -> web.Response:
        user = request.query.get("user")
        return web.json_response(self._state_payload(self._user(user) if user else None))

    def _state_payload(self, user: ChatUser | None = None) -> JSON:
        bot = self.double.bot_user
        menu = self.double.menu_button(user.user_id if user else None)
        return {
            "menu_button": menu,
            "bot": {"name": bot["first_name"], "username": bot.get("username")},
            "users": [{"id": u.user_id, "name": u.name} for u in self.users.values()],
            "commands": self.double.commands_for(),
            "actions": list(self.actions),
        }

    async def _events(self, request: web.Request) -> web.StreamResponse:
        chat_id = self._user(request.query.get("user")).user_id
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        seen: dict[int, tuple[int, bool]] = {}

        def changes() -> list[JSON]:
            found = []
            for message, outgoing, deleted, version in self.double.transcript(chat_id):
                key = (version, deleted)
                if seen.get(message["message_id"]) != key:
                    seen[message["message_id"]] = key
                    found.append({"message": message, "bot": outgoing, "deleted": deleted})
            return found

        with contextlib.suppress(ConnectionResetError):  # the page was closed
            while True:
                try:
                    batch = await self.double.wait_until(changes, timeout=KEEPALIVE_SECONDS)
                except AssertionError:  # nothing happened: keep the connection warm
                    await response.write(b": keepalive\n\n")
                    continue
                for item in batch:
                    await response.write(f"data: {json.dumps(item)}\n\n".encode())
        return response

    async def _file(self, request: web.Request) -> web.Response:
        try:
            stored = self.double.file(request.match_info["file_id"])
        except KeyError:
            raise web.HTTPNotFound(text="No such file") from None
        headers = {"Content-Type": stored.mime_type or "application/octet-stream"}
        if request.query.get("download"):
            name = (stored.file_name or stored.file_path.rsplit("/", 1)[-1]).replace('"', "")
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return web.Response(body=stored.data, headers=headers)

    # ------------------------------------------------------------------ the user's actions

    def _user(self, raw: Any) -> ChatUser:
        try:
            return self.users[int(raw)]
        except (TypeError, ValueError, KeyError):
            raise web.HTTPBadRequest(text="Unknown user") from None

    def _phone(self, raw: Any) -> Phone:
        user = self._user(raw)
        return self.double.phone(user.user_id, user.name)

    @staticmethod
    async def _json(request: web.Request) -> JSON:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="JSON expected") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="JSON object expected")
        return body

    def _reply_to(self, phone: Phone, raw: Any) -> int | None:
        """The message being replied to, if it still exists in this chat."""
        if raw in (None, ""):
            return None
        with contextlib.suppress(TypeError, ValueError, KeyError):
            message_id = int(raw)
            if not self.double.is_deleted(phone.chat_id, message_id):
                return message_id
        raise web.HTTPBadRequest(text="That message can't be replied to")

    async def _send(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        phone = self._phone(body.get("user"))
        text = str(body.get("text") or "").strip()
        if not text:
            raise web.HTTPBadRequest(text="Type a message first")
        if len(text) > 4096:
            raise web.HTTPBadRequest(text="A message can be at most 4096 characters")
        await phone.send(text, reply_to=self._reply_to(phone, body.get("reply_to")))
        return web.json_response({"ok": True})

    async def _press(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        phone = self._phone(body.get("user"))
        try:
            message = self.double.message(phone.chat_id, int(body.get("message_id") or 0))
        except (KeyError, ValueError):
            raise web.HTTPBadRequest(text="That message is gone") from None
        label = next(
            (
                button["text"]
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                for button in row
                if button.get("callback_data") == body.get("data")
            ),
            None,
        )
        if label is None:
            raise web.HTTPBadRequest(text="That button is no longer there")
        update = await phone.click(message, label)
        query_id = update["callback_query"]["id"]
        try:
            answer = await self.double.wait_until(
                lambda: self.double.answer_of(query_id), timeout=ANSWER_WAIT_SECONDS
            )
        except AssertionError:  # Telegram stops the button's spinner; so does the page
            answer = None
        return web.json_response(
            {"text": (answer or {}).get("text"), "alert": bool((answer or {}).get("show_alert"))}
        )

    async def _files(self, request: web.Request) -> web.Response:
        form = await request.post()
        phone = self._phone(form.get("user"))
        reply_to = self._reply_to(phone, form.get("reply_to"))
        caption = str(form.get("caption") or "").strip() or None
        files = [f for f in form.getall("file", []) if isinstance(f, web.FileField)]
        if not files:
            raise web.HTTPBadRequest(text="Choose a file first")
        if len(files) > ALBUM_LIMIT:
            raise web.HTTPBadRequest(text=f"An album holds at most {ALBUM_LIMIT} files")
        group = str(secrets.randbits(60)) if len(files) > 1 else None
        for index, upload in enumerate(files):
            data = upload.file.read()
            first = index == 0
            if upload.content_type in IMAGE_TYPES:
                await phone.send_photo(
                    data,
                    caption=caption if first else None,
                    reply_to=reply_to if first else None,
                    media_group_id=group,
                )
            else:
                await phone.send_document(
                    data,
                    upload.filename or "file",
                    upload.content_type or "application/octet-stream",
                    caption=caption if first else None,
                    reply_to=reply_to if first else None,
                    media_group_id=group,
                )
        return web.json_response({"ok": True})

    async def _contact(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        phone = self._phone(body.get("user"))
        name = " ".join(str(body.get("name") or "").split())
        number = str(body.get("phone") or "").strip()
        if not name or not number:
            raise web.HTTPBadRequest(text="A contact needs a name and a phone number")
        first, _, last = name.partition(" ")
        await phone.share_contact(number, first, last or None)
        return web.json_response({"ok": True})

    async def _action(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        user = self._user(body.get("user"))
        action = self.actions.get(str(body.get("label")))
        if action is None:
            raise web.HTTPBadRequest(text="That action is not offered any more")
        await action(user.user_id)
        return web.json_response(self._state_payload(user))

    async def _webapp(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        phone = self._phone(body.get("user"))
        url = body.get("url")
        if not isinstance(url, str) or not self.double.web_app_url_ok({"url": url}):
            raise web.HTTPBadRequest(text="Not a Web App URL the bot gave")
        data = init_data(
            self.double.token,
            phone.user,
            chat_instance=str(abs(hash((self.double.token, phone.chat_id))) % 10**18),
        )
        return web.json_response({"url": launch_url(url, data)})
