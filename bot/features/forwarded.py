"""A message forwarded from a person offers "Add as contact", with the sender's name filled in
(as sharing a phone contact does).

Telegram says who wrote a forwarded message in ``forward_origin`` (Bot API 7+): a
MessageOriginUser carries the sender's user (first and last name); a MessageOriginHiddenUser
(someone who hides their account in forwards) only ``sender_user_name``. Forwards from chats
and channels are not people: they go on to the plain-text search like any text.

The name waits in ``user_data`` under the forwarded message's id, which the button carries;
the button starts the add form (``bot.conversations.add_contact``).
"""

from __future__ import annotations

from typing import Any

from telegram import MessageOrigin, MessageOriginHiddenUser, MessageOriginUser, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, MessageHandler, filters

from bot.handling import Ctx, reply
from bot.views.forwarded import forward_offer

__all__ = ["forwarded_name", "handler"]

KEY = "forwarded"
#: Offers whose names are kept (older buttons say they are out of date).
KEPT = 10


def sender_name(origin: MessageOrigin | None) -> str | None:
    """The person's name a forward origin carries, if it is a person's."""
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        return " ".join(p for p in (user.first_name, user.last_name) if p).strip() or None
    if isinstance(origin, MessageOriginHiddenUser):
        return origin.sender_user_name.strip() or None
    return None


def _kept(context: Ctx) -> dict[str, Any]:
    kept: dict[str, Any] = context.user_state.setdefault(KEY, {})
    return kept


def forwarded_name(context: Ctx, message_id: int) -> str | None:
    """The sender's name of the forwarded message ``message_id``, if still kept."""
    name = _kept(context).get(str(message_id))
    return name if isinstance(name, str) else None


async def forward_received(update: Update, context: Ctx) -> None:
    """Offer to add the person a forwarded text is from."""
    message = update.effective_message
    assert message is not None
    name = sender_name(message.forward_origin)
    if name is None:
        return  # a chat's or channel's post: searched like any text
    kept = _kept(context)
    kept[str(message.message_id)] = name
    for old in list(kept)[:-KEPT]:
        del kept[old]
    await reply(update, *forward_offer(name, message.message_id))
    raise ApplicationHandlerStop


def handler() -> BaseHandler[Update, Ctx, None]:
    # A forward that replies to a card is a note on it (``bot.features.cards``), not a person.
    return MessageHandler(
        filters.FORWARDED & filters.TEXT & ~filters.COMMAND & ~filters.REPLY, forward_received
    )
