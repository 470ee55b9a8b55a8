"""Small pieces every view uses."""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Cb

MAX_MESSAGE = 4096
ELLIPSIS = "…"


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def cut(text: str, limit: int) -> str:
    """Shorten to at most ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def button(label: str, cb: Cb) -> InlineKeyboardButton:
    return InlineKeyboardButton(cut(label, 60), callback_data=cb.encode())


def keyboard(rows: Iterable[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(r) for r in rows if r])


def chunks(buttons: Sequence[InlineKeyboardButton], size: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + size]) for i in range(0, len(buttons), size)]


def money(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"£{value:,.2f}".replace(".00", "")


def day(value: date, today: date) -> str:
    delta = (value - today).days
    label = value.strftime("%a %d %b %Y")
    if delta == 0:
        return f"{label} (today)"
    if delta == 1:
        return f"{label} (tomorrow)"
    if delta < 0:
        return f"{label} — OVERDUE by {-delta} day{'s' if delta != -1 else ''}"
    return label


def when(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%d %b %Y %H:%M")


def split_message(parts: Sequence[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join parts with blank lines into as few messages as fit under ``limit`` characters.
    A single part longer than the limit is split on line breaks (or hard-cut)."""
    return _pack((piece for part in parts for piece in _pieces(part, limit)), "\n\n", limit)


def _pieces(text: str, limit: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    return _pack(_cut_lines(text, limit), "\n", limit)


def _cut_lines(text: str, limit: int) -> Iterator[str]:
    """The lines of ``text``, a line longer than ``limit`` hard-cut into pieces that fit."""
    for line in text.split("\n"):
        while len(line) > limit:
            yield line[:limit]
            line = line[limit:]
        yield line


def _pack(items: Iterable[str], separator: str, limit: int) -> list[str]:
    """Join items (each at most ``limit`` long) with ``separator``, greedily, into as few
    strings of at most ``limit`` characters as they fit in."""
    packed: list[str] = []
    current = ""
    for item in items:
        candidate = f"{current}{separator}{item}" if current else item
        if len(candidate) <= limit:
            current = candidate
        else:
            packed.append(current)
            current = item
    if current:
        packed.append(current)
    return packed


def escaped_pieces(text: str, limit: int) -> list[str]:
    """Escape ``text`` for HTML and cut it into pieces of at most ``limit`` characters each,
    never inside an entity such as ``&amp;``."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        escaped = esc(char)
        if size + len(escaped) > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(escaped)
        size += len(escaped)
    if current or not pieces:
        pieces.append("".join(current))
    return pieces
