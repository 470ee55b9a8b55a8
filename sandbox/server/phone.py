"""The phone: a user's Telegram client that tests drive - it sends texts, presses buttons, edits
its messages, and waits (event-driven) for what the bot does in response."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from typing import Any

from .markup import buttons
from .phone_media import PhoneMedia
from .records import JSON, BotEvent, now
from .rules import command_entities


class Phone(PhoneMedia):
    """A user's Telegram client: sends updates to the bot and watches what it does.

    Every action returns the update it produced.  ``wait_reply`` / ``wait_edit`` only look at
    what the bot did after the phone's last action.  The ``wait_*`` methods take a ``timeout``
    (hence the ASYNC109 noqa): a failed wait reports what the bot did instead, which an outer
    ``asyncio.timeout`` could not.
    """

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
        edited["edit_date"] = now()
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
            "date": now(),
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
