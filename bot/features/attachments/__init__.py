"""Attachments: a photo, document, video, voice note or audio sent or forwarded to the bot lands
on a contact in storage (the card's "Files" button, ``bot.features.file_list``, lists them and
sends them back).

The flow of a file sent to the bot:

1. ``receiving.on_media`` notes it as a *pending attachment* in ``user_data`` (a
   ``state.Pending``: Telegram file id, name, MIME type, size), under a short token that the
   buttons about it carry. The items of an album (one ``media_group_id``) join one pending
   attachment, and a JobQueue job fires ``ALBUM_WAIT`` seconds after the last one arrived, so
   an album is asked about once.
2. The contact: a reply to a contact card (or to any bot message about a contact), else a caption
   that clearly names one contact (``crm_core.services.captions``), else "Attach to which
   contact?" with the contacts the caption may mean first, then the most recently touched,
   "Search…" (``bot.conversations.attach``) and "Cancel".
3. The category: photos are saved as Photo straight away ("Change category" afterwards);
   anything else asks Quote / Contract / Photo / Document.
4. The save (``saving``) runs as a task, so the bot keeps answering everyone meanwhile: each
   file is streamed from Telegram to a temporary file and from there to the store, both in
   worker threads, and a row is written per file ("Saved to NAME"). If storage is down nothing
   is half-saved, and the pending attachment stays with a "Retry" button (the Telegram file id
   is all a retry needs).

Files over Telegram's 20 MB download limit are refused when they arrive, with the reason. The
answers are ``buttons``; ``resuming`` carries on at start with what a stop left pending.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler

from bot.actions import (
    ATTACH_CANCEL,
    ATTACH_CATEGORY,
    ATTACH_CHANGE,
    ATTACH_CONTACT,
    ATTACH_RETRY,
    ATTACH_SET,
)
from bot.callbacks import pattern
from bot.features.attachments import buttons
from bot.features.attachments.receiving import MEDIA, on_media
from bot.handling import Ctx


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [
        MessageHandler(MEDIA, on_media),
        CallbackQueryHandler(buttons.contact_chosen, pattern=pattern(ATTACH_CONTACT)),
        CallbackQueryHandler(buttons.category_chosen, pattern=pattern(ATTACH_CATEGORY)),
        CallbackQueryHandler(buttons.cancel_button, pattern=pattern(ATTACH_CANCEL)),
        CallbackQueryHandler(buttons.retry_button, pattern=pattern(ATTACH_RETRY)),
        CallbackQueryHandler(buttons.change_category_button, pattern=pattern(ATTACH_CHANGE)),
        CallbackQueryHandler(buttons.saved_category_chosen, pattern=pattern(ATTACH_SET)),
    ]
