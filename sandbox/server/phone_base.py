"""What every action of a :class:`~sandbox.server.Phone` builds on: the user, their private chat
with the bot, a new message from them, and delivering the update it makes."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .records import JSON, now

if TYPE_CHECKING:
    from .app import BotApiDouble


class PhoneBase:
    """A user's Telegram client, without its actions (see :class:`~sandbox.server.Phone`)."""

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
            "date": now(),
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

    def _caption(self, caption: str | None) -> JSON:
        return {"caption": caption} if caption else {}
