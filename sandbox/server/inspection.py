"""What tests and the chat page read from the double: calls, messages as they stand, their
history, button answers, files, the reply keyboard."""

from __future__ import annotations

import copy

from .records import JSON, SentFile, StoredFile
from .state import TelegramState


class Inspection(TelegramState):
    """Read-only views of Telegram's state."""

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

    def reply_keyboard(self, chat_id: int) -> list[list[str]] | None:
        """Texts of the reply keyboard currently shown in ``chat_id``, or None."""
        markup = self._reply_keyboards.get(chat_id)
        if markup is None:
            return None
        return [
            [b if isinstance(b, str) else b["text"] for b in row] for row in markup["keyboard"]
        ]
