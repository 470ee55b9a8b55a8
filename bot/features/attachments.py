"""Attachments: a photo, document, video, voice note or audio sent or forwarded to the bot lands
on a contact in storage (the card's "Files" button, ``bot.features.file_list``, lists them and
sends them back).

The flow of a file sent to the bot:

1. ``on_media`` notes it as a *pending attachment* in ``user_data`` (JSON: Telegram file id,
   name, MIME type, size), under a short token that the buttons about it carry. The items of an
   album (one ``media_group_id``) join one pending attachment, and a JobQueue job fires
   ``ALBUM_WAIT`` seconds after the last one arrived, so an album is asked about once.
2. The contact: a reply to a contact card (or to any bot message about a contact), else a caption
   that clearly names one contact (``crm_core.services.captions``), else "Attach to which
   contact?" with the contacts the caption may mean first, then the most recently touched,
   "Search…" (``bot.conversations.attach``) and "Cancel".
3. The category: photos are saved as Photo straight away ("Change category" afterwards);
   anything else asks Quote / Contract / Photo / Document.
4. The save runs as a task, so the bot keeps answering everyone meanwhile: each file is streamed
   from Telegram to a temporary file and from there to the store, both in worker threads, and a
   row is written per file ("Saved to NAME"). If storage is down nothing is half-saved, and the
   pending attachment stays with a "Retry" button (the Telegram file id is all a retry needs).

Files over Telegram's 20 MB download limit are refused when they arrive, with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    JobQueue,
    MessageHandler,
    filters,
)

from bot import texts
from bot.callbacks import Cb, pattern
from bot.downloads import DownloadError, FileTooBig, download
from bot.features.cards import contact_id_of
from bot.handling import on_button, reply
from bot.runtime import crm, run_db
from bot.views import files as views
from crm_core.config import DEFAULT_API_BASE_URL
from crm_core.errors import CRMError, NotFound, StorageUnavailable
from crm_core.models import Contact
from crm_core.services.captions import likely_then_recent, match_caption
from crm_core.services.contacts import get_contact
from crm_core.services.files import (
    AttachResult,
    attach_file,
    find_duplicate,
    parse_category,
    set_category,
)
from crm_core.stages import FileCategory

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE

#: Seconds to wait after an album's last item before asking about the album.
ALBUM_WAIT = 1.0
#: getFile's limit on the cloud Bot API.
DOWNLOAD_LIMIT = 20 * 1024 * 1024
#: Pending attachments and finished ones ("Change category") kept per admin.
MAX_KEPT = 20
#: Files moved to storage at the same time by this process (memory and threads stay bounded).
TRANSFER_SLOTS = 2
KEY = "attach"
#: This process's mark on the attachments it is saving (see ``_saving``).
RUN = secrets.token_hex(4)
SLOTS_KEY = "file_transfer_slots"
DONE_STATES = ("saved", "dup", "toobig")
KINDS = ("document", "video", "audio", "voice")
MEDIA = filters.UpdateType.MESSAGE & (
    filters.PHOTO | filters.Document.ALL | filters.VIDEO | filters.VOICE | filters.AUDIO
)
GONE = "That file was already saved or cancelled. Send it again if you need to."

# ----------------------------------------------------------------- pending attachments
#
# user_data["attach"] = {
#     "seq": 7,                       # the last token handed out (tokens are hex counters)
#     "pending": {token: {"items": [item, ...], "caption", "contact_id", "likely" (ids the
#                         caption may mean), "category",
#                         "auto" (photo default), "group" (media_group_id), "chat_id",
#                         "msg" (the question/status message id), "saving", "asked"}},
#     "done": {token: {"contact_id", "contact_name", "category", "file_ids", "outcomes"}},
# }
# item = {"file_id", "unique_id", "kind", "name", "mime", "size", "state", "row_id", ...}

Pending = dict[str, Any]


def _box(context: Ctx) -> dict[str, Any]:
    if context.user_data is None:
        raise RuntimeError("attachments need user_data")
    box: dict[str, Any] = context.user_data.setdefault(KEY, {})
    box.setdefault("seq", 0)
    box.setdefault("pending", {})
    box.setdefault("done", {})
    return box


def _keep(kept: dict[str, Any], token: str, value: Any) -> None:
    """Add ``value``, then forget the oldest entries over ``MAX_KEPT`` - never the one just
    added, nor one being saved right now (its task still needs it)."""
    kept[token] = value
    evictable = [t for t, v in kept.items() if t != token and not _saving(v)]
    for old in evictable[: max(0, len(kept) - MAX_KEPT)]:
        del kept[old]


def _saving(pending: Any) -> bool:
    """Whether this process is saving it. The mark is the process's own ``RUN``, so a save
    cut short by a restart doesn't leave the attachment marked forever (Retry works)."""
    return isinstance(pending, dict) and pending.get("saving") == RUN


def pending_of(context: Ctx, token: str) -> Pending:
    """The pending attachment a button is about; ``NotFound`` once it is saved or cancelled."""
    pending = _box(context)["pending"].get(token)
    if pending is None:
        raise NotFound(GONE)
    return cast(Pending, pending)


def _new_pending(context: Ctx, chat_id: int, group: str | None) -> str:
    box = _box(context)
    box["seq"] = int(box["seq"]) + 1
    token = f"{box['seq']:x}"
    _keep(
        box["pending"],
        token,
        {
            "items": [],
            "caption": None,
            "contact_id": None,
            "category": None,
            "auto": False,
            "group": group,
            "chat_id": chat_id,
            "msg": None,
            "saving": None,
            "asked": False,
        },
    )
    return token


def _album_token(context: Ctx, group: str) -> str | None:
    for token, pending in _box(context)["pending"].items():
        if pending.get("group") == group and not pending.get("asked"):
            return str(token)
    return None


def item_of(message: Message) -> dict[str, Any] | None:
    """The file of a message: the largest photo size, or the document/video/audio/voice."""
    if message.photo:
        photo = message.photo[-1]
        return {
            "file_id": photo.file_id,
            "unique_id": photo.file_unique_id,
            "kind": "photo",
            "name": None,
            "mime": "image/jpeg",
            "size": photo.file_size,
        }
    for kind in KINDS:
        media = getattr(message, kind, None)
        if media is not None:
            return {
                "file_id": media.file_id,
                "unique_id": media.file_unique_id,
                "kind": kind,
                "name": getattr(media, "file_name", None),
                "mime": media.mime_type,
                "size": media.file_size,
            }
    return None


def _what(pending: Pending) -> str:
    """How questions name the pending files: "invoice.pdf", "this photo", "these 3 photos"."""
    items = pending["items"]
    if len(items) == 1:
        item = items[0]
        if item.get("name"):
            return str(item["name"])
        return {"photo": "this photo", "voice": "this voice note", "video": "this video"}.get(
            item["kind"], "this file"
        )
    noun = "photos" if all(i["kind"] == "photo" for i in items) else "files"
    return f"these {len(items)} {noun}"


# ----------------------------------------------------------------- receiving a file


async def on_media(update: Update, context: Ctx) -> None:
    """A file arrived: note it, find its contact, and move on (or wait for the album's rest)."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    item = item_of(message)
    if item is None:
        return
    if await _too_big(context, item):
        name = item["name"] or _what({"items": [item]})
        await message.reply_text(
            views.too_big_text(name, item["size"], DOWNLOAD_LIMIT), parse_mode=ParseMode.HTML
        )
        return
    group = message.media_group_id
    token = (_album_token(context, group) if group else None) or _new_pending(
        context, chat.id, group
    )
    pending = pending_of(context, token)
    pending["items"].append(item)
    if message.caption and not pending["caption"]:
        pending["caption"] = message.caption
    if pending["contact_id"] is None:
        pending["contact_id"], likely = await _contact_for(context, message)
        pending["likely"] = pending.get("likely") or likely
    if group:
        _wait_for_album(context, token, chat.id, user.id)
        return
    await proceed(context, token, user.id, update=update)


async def _too_big(context: Ctx, item: dict[str, Any]) -> bool:
    """Over 20 MB: refused by the cloud Bot API. A self-hosted server (another base URL) may
    allow it, so ask it (getFile) rather than guess."""
    size = item.get("size")
    if size is None or size <= DOWNLOAD_LIMIT:
        return False
    if crm(context).settings.telegram_api_base_url == DEFAULT_API_BASE_URL:
        return True
    try:
        await context.bot.get_file(item["file_id"])
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
            return (await run_db(context, get_contact, contact_id)).id, []
        except NotFound:
            return None, []
    if not (message.caption or "").strip():
        return None, []
    match = await run_db(context, match_caption, message.caption or "")
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
    (``bot.features.pending_files``) for what the last run left pending."""
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
    job = context.job
    if job is None or job.user_id is None or not isinstance(job.data, str):
        return
    if job.data in _box(context)["pending"]:
        await proceed(context, job.data, job.user_id)


# ----------------------------------------------------------------- asking, then saving


async def proceed(
    context: Ctx,
    token: str,
    tg_user_id: int,
    *,
    update: Update | None = None,
    edit: int | None = None,
) -> None:
    """Ask what is still unknown about a pending attachment, or save it.

    ``edit`` is the id of the bot message to turn into the next question (a tapped question);
    without it a new message is sent. ``update`` is the update being handled, if any: the save
    then runs as a task tied to it; from a job it is awaited.
    """
    pending = pending_of(context, token)
    pending["asked"] = True
    what = _what(pending)
    if pending["contact_id"] is None:
        contacts = await run_db(context, likely_then_recent, pending.get("likely") or [])
        text, markup = views.contact_question(what, contacts, token)
        pending["msg"] = await _show(context, pending["chat_id"], text, markup, edit)
        return
    try:
        contact = await run_db(context, get_contact, pending["contact_id"])
    except NotFound:
        await _drop(context, token, views.contact_gone_text(), edit)
        return
    if pending["category"] is None:
        if all(item["kind"] == "photo" for item in pending["items"]):
            pending["category"] = FileCategory.PHOTO.value
            pending["auto"] = True
        else:
            text, markup = views.category_question(what, contact, token)
            pending["msg"] = await _show(context, pending["chat_id"], text, markup, edit)
            return
    await _start_save(context, token, tg_user_id, contact, update=update, edit=edit)


async def _start_save(
    context: Ctx,
    token: str,
    tg_user_id: int,
    contact: Contact,
    *,
    update: Update | None,
    edit: int | None,
) -> None:
    pending = pending_of(context, token)
    if _saving(pending):
        raise CRMError("Already saving — one moment.")
    pending["saving"] = RUN
    if edit is not None:
        text = views.saving_text(_what(pending), contact.name)
        try:
            pending["msg"] = await _show(context, pending["chat_id"], text, None, edit)
        except BaseException:
            pending["saving"] = None
            raise
    work = _save(context, token, pending, tg_user_id, contact)
    if update is None:
        await work
    else:
        context.application.create_task(work, update=update, name=f"attach:{token}")


def _slots(context: Ctx) -> asyncio.Semaphore:
    slots = context.application.bot_data.get(SLOTS_KEY)
    if slots is None:
        slots = context.application.bot_data[SLOTS_KEY] = asyncio.Semaphore(TRANSFER_SLOTS)
    return cast(asyncio.Semaphore, slots)


async def _save(
    context: Ctx, token: str, pending: Pending, tg_user_id: int, contact: Contact
) -> None:
    """Save every not-yet-saved item, then confirm; on failure offer Retry."""
    services = crm(context)
    failure: str | None = None
    try:
        async with _slots(context):
            for item in pending["items"]:
                if item.get("state") in DONE_STATES:
                    continue
                try:
                    result = await _save_item(context, pending, item, services.user_id(tg_user_id))
                except FileTooBig:
                    item["state"] = "toobig"
                    continue
                except StorageUnavailable as err:
                    log.warning("Storage unavailable while attaching: %s", err.detail)
                    failure = "storage"
                    break
                except (DownloadError, NetworkError) as err:  # BadRequest is a NetworkError
                    log.warning("Couldn't download a file from Telegram: %s", err)
                    failure = "download"
                    break
                except NotFound:
                    await _drop(context, token, views.contact_gone_text(), pending["msg"])
                    return
                row = result.file
                item.update(
                    state="dup" if result.duplicate else "saved",
                    row_id=row.id,
                    stored_name=row.file_name,
                    stored_size=row.file_size,
                    saved_at=row.created_at.isoformat(),
                )
    finally:
        pending["saving"] = None
    if failure is not None:
        saved = sum(1 for i in pending["items"] if i.get("state") in ("saved", "dup"))
        text = (
            views.storage_down_text(saved, len(pending["items"]))
            if failure == "storage"
            else views.download_failed_text()
        )
        markup = views.retry_keyboard(contact.id, token)
        pending["msg"] = await _show(context, pending["chat_id"], text, markup, pending["msg"])
        return
    await _confirm(context, token, pending, tg_user_id, contact)


async def _save_item(
    context: Ctx, pending: Pending, item: dict[str, Any], user_id: int
) -> AttachResult:
    """One file: skip it if the contact has it already, else Telegram -> temp file -> store."""
    contact_id = int(pending["contact_id"])
    duplicate = await run_db(context, find_duplicate, contact_id, item["unique_id"])
    if duplicate is not None:
        return AttachResult(duplicate, duplicate=True)
    store = crm(context).file_store()
    path = await asyncio.to_thread(_temp_path)
    try:
        await download(context.bot, item["file_id"], path)
        return await run_db(
            context,
            attach_file,
            store,
            contact_id,
            path,
            file_name=item["name"],
            mime_type=item["mime"],
            category=pending["category"],
            uploaded_by=user_id,
            caption=pending["caption"],
            telegram_file_id=item["file_id"],
            telegram_file_unique_id=item["unique_id"],
            telegram_kind=item["kind"],
            now=crm(context).clock(),
        )
    finally:
        await asyncio.to_thread(path.unlink, True)


def _temp_path() -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="crm-attach-", delete=False)  # noqa: SIM115
    handle.close()
    return Path(handle.name)


async def _confirm(
    context: Ctx, token: str, pending: Pending, tg_user_id: int, contact: Contact
) -> None:
    box = _box(context)
    box["pending"].pop(token, None)
    outcomes = [
        [
            item.get("stored_name") or item.get("name") or _what({"items": [item]}),
            item.get("stored_size", item.get("size")),
            item.get("state", "toobig"),
            item.get("saved_at"),
        ]
        for item in pending["items"]
    ]
    done = {
        "contact_id": contact.id,
        "contact_name": contact.name,
        "category": pending["category"],
        "file_ids": [i["row_id"] for i in pending["items"] if i.get("state") == "saved"],
        "outcomes": outcomes,
        "auto": pending["auto"],
    }
    if done["file_ids"]:
        _keep(box["done"], token, done)
    text, markup = _confirmation(context, token, tg_user_id, done)
    await _show(context, pending["chat_id"], text, markup, pending["msg"])


def _confirmation(
    context: Ctx, token: str, tg_user_id: int, done: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    outcomes = [
        views.Outcome(name, size, state, datetime.fromisoformat(at) if at else None)
        for name, size, state, at in done["outcomes"]
    ]
    text = views.saved_text(
        done["contact_name"], done["category"], outcomes, crm(context).tz(tg_user_id)
    )
    markup = views.saved_keyboard(
        done["contact_id"], token, can_change=bool(done["auto"] and done["file_ids"])
    )
    return text, markup


async def _drop(context: Ctx, token: str, text: str, edit: int | None) -> None:
    pending = _box(context)["pending"].pop(token, None)
    if pending is not None:
        await _show(context, pending["chat_id"], text, None, edit)


async def _show(
    context: Ctx,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None,
    edit: int | None,
) -> int:
    """Edit message ``edit`` (if given and still there), else send; return the message id."""
    if edit is not None:
        try:
            await context.bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=edit,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            return edit
        except BadRequest as err:
            if "not modified" in err.message.lower():
                return edit
            log.info("Couldn't edit message %s (%s); sending a new one", edit, err.message)
    sent = await context.bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )
    return sent.message_id


# ----------------------------------------------------------------- the question buttons


def _message_id(update: Update) -> int | None:
    query = update.callback_query
    return query.message.message_id if query and query.message else None


def _tg_user(update: Update) -> int:
    if update.effective_user is None:
        raise RuntimeError("a button press without a user")
    return update.effective_user.id


def _split(arg: str) -> tuple[str, str]:
    token, _, rest = arg.partition(":")
    return token, rest


@on_button
async def chose_contact(update: Update, context: Ctx, cb: Cb) -> None:
    """The answer to "Attach to which contact?"."""
    token, contact_id = _split(cb.arg)
    pending = pending_of(context, token)
    if not contact_id.isdecimal():
        raise NotFound(texts.STALE_BUTTON)
    contact = await run_db(context, get_contact, int(contact_id))
    if _saving(pending):
        raise CRMError("Already saving — one moment.")
    pending["contact_id"] = contact.id
    await proceed(context, token, _tg_user(update), update=update, edit=_message_id(update))


@on_button
async def chose_category(update: Update, context: Ctx, cb: Cb) -> None:
    token, category = _split(cb.arg)
    pending = pending_of(context, token)
    pending["category"] = parse_category(category).value
    pending["auto"] = False
    await proceed(context, token, _tg_user(update), update=update, edit=_message_id(update))


@on_button
async def cancel(update: Update, context: Ctx, cb: Cb) -> None:
    pending = pending_of(context, cb.arg)
    if _saving(pending):
        raise CRMError("Already saving — one moment.")
    await _drop(context, cb.arg, texts.CANCELLED, _message_id(update))


@on_button
async def retry(update: Update, context: Ctx, cb: Cb) -> None:
    """Storage (or Telegram) is back: save what wasn't saved, with the kept file ids."""
    pending = pending_of(context, cb.arg)
    if pending["contact_id"] is None or pending["category"] is None:
        await proceed(context, cb.arg, _tg_user(update), update=update, edit=_message_id(update))
        return
    try:
        contact = await run_db(context, get_contact, int(pending["contact_id"]))
    except NotFound:
        await _drop(context, cb.arg, views.contact_gone_text(), _message_id(update))
        return
    await _start_save(
        context, cb.arg, _tg_user(update), contact, update=update, edit=_message_id(update)
    )


def _done_of(context: Ctx, token: str) -> dict[str, Any]:
    done = _box(context)["done"].get(token)
    if done is None:
        raise NotFound("That's too long ago to change here: open the contact's Files instead.")
    return cast(dict[str, Any], done)


@on_button
async def change_category(update: Update, context: Ctx, cb: Cb) -> None:
    """Photos were saved as Photo: show the categories to pick another."""
    done = _done_of(context, cb.arg)
    query = update.callback_query
    if query is not None:
        await query.edit_message_reply_markup(views.change_keyboard(done["contact_id"], cb.arg))


@on_button
async def set_saved_category(update: Update, context: Ctx, cb: Cb) -> None:
    token, category = _split(cb.arg)
    done = _done_of(context, token)
    if category:
        rows = await run_db(context, set_category, done["file_ids"], category)
        done["category"] = rows[0].category
        done["auto"] = True  # keep the "Change category" button
    text, markup = _confirmation(context, token, _tg_user(update), done)
    await reply(update, text, markup, edit=True)


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [
        MessageHandler(MEDIA, on_media),
        CallbackQueryHandler(chose_contact, pattern=pattern("atc")),
        CallbackQueryHandler(chose_category, pattern=pattern("atk")),
        CallbackQueryHandler(cancel, pattern=pattern("atx")),
        CallbackQueryHandler(retry, pattern=pattern("atr")),
        CallbackQueryHandler(change_category, pattern=pattern("atchg")),
        CallbackQueryHandler(set_saved_category, pattern=pattern("atset")),
    ]
