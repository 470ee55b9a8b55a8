"""The offer under a message forwarded from a person: add them as a contact."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.actions import ADD_FORWARDED
from bot.callbacks import Cb
from bot.views.common import button, esc, keyboard

#: Start /add with a forwarded message's sender as the name (id: the forwarded message).


def forward_offer(name: str, message_id: int) -> tuple[str, InlineKeyboardMarkup]:
    text = f"↪️ Forwarded from <b>{esc(name)}</b>."
    return text, keyboard([[button("➕ Add as contact", Cb(ADD_FORWARDED, message_id))]])
