"""The double's records: errors it answers with, the calls it logged, files and messages it
holds, and the wake-up signal its waits share."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

JSON = dict[str, Any]


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
class StoredMessage:
    """A message of a chat as Telegram holds it, with its earlier versions."""

    message: JSON
    outgoing: bool  # sent by the bot
    history: list[JSON] = field(default_factory=list)
    deleted: bool = False


@dataclass
class CallbackQuery:
    """A button press, answerable once within the double's ``callback_query_ttl``."""

    id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    created: float
    answer: JSON | None = None


class Pulse:
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


def now() -> int:
    """The Unix time Telegram stamps on messages and updates."""
    return int(time.time())
