"""Receiving a file: note it as a pending attachment, find its contact, and wait for the rest
of an album before asking about it once."""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import JobQueue, filters

from bot.features.attachments.saving import proceed
from bot.features.attachments.state import (
    Item,
    Pending,
    describe,
    files_of,
    keep,
    pending_of,
)
from bot.features.cards import contact_id_of
from bot.handling import Ctx
from bot.views import files as views
from crm_core.config import DEFAULT_API_BASE_URL
from crm_core.errors import NotFound
from crm_core.services.captions import match_caption
from crm_core.services.contacts import get_contact

#: Seconds to wait after an album's last item before asking about the album.
ALBUM_WAIT = 1.0
#: getFile's limit on the cloud Bot API.
DOWNLOAD_LIMIT = 20 * 1024 * 1024
KINDS = ("document", "video", "audio", "voice")
MEDIA = filters.UpdateType.MESSAGE & (
    filters.PHOTO | filters.Document.ALL | filters.VIDEO | filters.VOICE | filters.AUDIO
)


def _new_pending(context: Ctx, chat_id: int, group: str | None) -> str:
    box = files_of(context.user_state)
    token = box.new_token()
    keep(box.pending, token, Pending(chat_id=chat_id, group=group))
    return token


def _album_token(context: Ctx, group: str) -> str | None:
    for token, pending in files_of(context.user_state).pending.items():
        if pending.group == group and not pending.asked:
            return token
    return None


def item_of(message: Message) -> Item | None:
    """The file of a message: the largest photo size, or the document/video/audio/voice."""
    if message.photo:
        photo = message.photo[-1]
        return Item(
            file_id=photo.file_id,
            unique_id=photo.file_unique_id,
            kind="photo",
            name=None,
            mime="image/jpeg",
            size=photo.file_size,
        )
    for kind in KINDS:
        media = getattr(message, kind, None)
        if media is not None:
            return Item(
                file_id=media.file_id,
                unique_id=media.file_unique_id,
                kind=kind,
                name=getattr(media, "file_name", None),
                mime=media.mime_type,
                size=media.file_size,
            )
    return None


async def on_media(update: Update, context: Ctx) -> None:
    """Note the file, find its contact, and move on (or wait for the album's rest)."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    item = item_of(message)
    if item is None:
        return
    if await _too_big(context, item):
        name = item.name or describe([item])
        await message.reply_text(
            views.too_big_text(name, item.size, DOWNLOAD_LIMIT), parse_mode=ParseMode.HTML
        )
        return
    group = message.media_group_id
    token = (_album_token(context, group) if group else None) or _new_pending(
        context, chat.id, group
    )
    pending = pending_of(context, token)
    pending.items.append(item)
    if message.caption and not pending.caption:
        pending.caption = message.caption
    if pending.contact_id is None:
        pending.contact_id, likely = await _contact_for(context, message)
        pending.likely = pending.likely or likely
    if group:
        _wait_for_album(context, token, chat.id, user.id)
        return
    await proceed(context, token, update=update)


async def _too_big(context: Ctx, item: Item) -> bool:
    """Over 20 MB: refused by the cloud Bot API. A self-hosted server (another base URL) may
    allow it, so ask it (getFile) rather than guess."""
    if item.size is None or item.size <= DOWNLOAD_LIMIT:
        return False
    if context.crm.settings.telegram_api_base_url == DEFAULT_API_BASE_URL:
        return True
    try:
        await context.bot.get_file(item.file_id)
    except BadRequest as err:
        if "too big" in err.message.lower():
            return True
        raise
    return False


async def _contact_for(context: Ctx, message: Message) -> tuple[int | None, list[int]]:
    """The contact a file is for: the card (or bot message about a contact) it replies to,
    else the one contact its caption clearly names (``match_caption``); else None, and the
    ids of the contacts the caption may mean, likeliest first (offered first)."""
    contact_id = contact_id_of(message.reply_to_message)
    if contact_id is not None:
        try:
            return (await context.run_db(get_contact, contact_id)).id, []
        except NotFound:
            return None, []
    if not (message.caption or "").strip():
        return None, []
    match = await context.run_db(match_caption, message.caption or "")
    if match.contact is not None:
        return match.contact.id, []
    return None, [c.id for c in match.likely]


def _wait_for_album(context: Ctx, token: str, chat_id: int, user_id: int) -> None:
    """(Re)start the album timer: it fires ALBUM_WAIT s after the album's last item."""
    if context.job_queue is None:
        raise RuntimeError("albums need the JobQueue (python-telegram-bot[job-queue])")
    go_on_later(context.job_queue, token, chat_id, user_id)


# JobQueue[Any]: PTB types ``CallbackContext.job_queue`` with a type variable left unbound.
def go_on_later(queue: JobQueue[Any], token: str, chat_id: int, user_id: int) -> None:
    """``proceed`` with a pending attachment ALBUM_WAIT s from now, unless an item of its
    album arrives first (then the wait starts again). Also used at start
    (``bot.features.attachments.resuming``) for what the last run left pending."""
    name = f"album:{user_id}:{token}"
    for job in queue.get_jobs_by_name(name):
        job.schedule_removal()
    queue.run_once(
        _album_ready,
        ALBUM_WAIT,
        data=token,
        name=name,
        chat_id=chat_id,
        user_id=user_id,
        # APScheduler skips a job that starts over 1 s late by default: on a busy bot the
        # album would never be asked about.
        job_kwargs={"misfire_grace_time": 60},
    )


async def _album_ready(context: Ctx) -> None:
    """Ask about (or save) an album whose last item arrived ALBUM_WAIT s ago."""
    job = context.job
    if job is None or job.user_id is None or not isinstance(job.data, str):
        return
    if job.data in files_of(context.user_state).pending:
        await proceed(context, job.data)
