"""A local double of the Telegram Bot API, strict about Telegram's rules.

The real python-telegram-bot ``Application`` talks to it over real HTTP (``base_url`` /
``base_file_url``), so serialisation, multipart uploads, long polling, retries and error handling
are all exercised.  The double answers the way Telegram does - same status codes, same
``description`` wording where known - and refuses what Telegram refuses (HTML it cannot parse,
over-long texts, bad ``callback_data``, edits that change nothing, stale callback queries, unknown
chats, blocked users...), because the point is to catch bot bugs before Telegram does.

Tests play the user through :class:`Phone` (``double.phone(...)``): it builds realistic updates,
queues them for ``getUpdates`` (or POSTs them to a webhook) and waits, event-driven, for what the
bot does in response.

The package, one concern a module: ``records`` (errors, logged calls, stored files and
messages), ``rules`` (limits, error wordings, parameter decoding, text and caption checks),
``markup`` (keyboards), ``state`` (Telegram's state and the lookups every handler shares),
``files``, ``updates`` (the queue, long polling, the webhook), the method handlers by area
(``messages``, ``media``, ``bot_profile``), ``inspection`` (what tests read), ``app`` (the HTTP
server and test controls), and the phone (``phone``, ``phone_media``, ``phone_base``).
"""

from .app import BotApiDouble
from .markup import button_data, buttons, keyboard
from .phone import Phone
from .records import ApiError, ApiFailure, ApiRequest, BotEvent, SentFile, StoredFile, Upload
from .rules import command_entities

__all__ = [
    "ApiError",
    "ApiFailure",
    "ApiRequest",
    "BotApiDouble",
    "BotEvent",
    "Phone",
    "SentFile",
    "StoredFile",
    "Upload",
    "button_data",
    "buttons",
    "command_entities",
    "keyboard",
]
