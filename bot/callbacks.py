"""The one callback-data codec. Every inline button's data is a ``Cb`` encoded as
``action:id:arg`` (always under Telegram's 64-byte limit); the actions and their arguments'
shapes are declared in ``bot.actions``, and decoding checks both."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.actions import REGISTRY, StaleButton
from bot.arguments import ID_DIGITS, MAX_ID

__all__ = ["MAX_BYTES", "MAX_ID", "Cb", "StaleButton", "pattern"]

MAX_BYTES = 64


@dataclass(frozen=True, slots=True)
class Cb:
    action: str
    id: int = 0
    arg: str = ""

    def encode(self) -> str:
        action = REGISTRY.get(self.action)
        if action is None:
            raise ValueError(f"unregistered callback action {self.action!r}")
        action.parse(self.arg)  # a button must read back: ValueError if its arg doesn't fit
        data = f"{self.action}:{self.id}:{self.arg}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def decode(cls, data: str | None) -> Cb:
        """The button, checked: ``StaleButton`` for an unknown action, an id that isn't one or
        an argument that doesn't fit the action's shape."""
        code, sep1, rest = (data or "").partition(":")
        ident, sep2, arg = rest.partition(":")
        action = REGISTRY.get(code)
        if not (sep1 and sep2 and action is not None and ID_DIGITS.fullmatch(ident)):
            raise StaleButton(data)
        if int(ident) > MAX_ID:
            raise StaleButton(data)
        try:
            action.parse(arg)
        except ValueError as err:
            raise StaleButton(data) from err
        return cls(action, int(ident), arg)


def pattern(*actions: str) -> re.Pattern[str]:
    """A ``CallbackQueryHandler`` pattern matching buttons of these actions."""
    return re.compile(rf"^(?:{'|'.join(map(re.escape, actions))}):\d+:")
