"""Attachments: the questions asked about a file sent to the bot, the confirmations, a
contact's file list and what goes with a file sent back. Pure: data in, HTML and keyboards out.

Button convention (so that replying to any of these messages with a file finds the contact,
see ``bot.features.cards.contact_id_of``): a button's ``id`` is always the contact's id, or 0
on messages that are not about one contact yet (the "which contact?" question); what else a
button needs (the pending attachment's token, a file id, a category) goes in ``arg``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.actions import (
    ATTACH_CANCEL,
    ATTACH_CATEGORY,
    ATTACH_CHANGE,
    ATTACH_CONTACT,
    ATTACH_RETRY,
    ATTACH_SEARCH,
    ATTACH_SET,
    FILE_DELETE,
    FILE_DELETE_YES,
    FILE_GET,
    FILES,
    OPEN,
)
from bot.callbacks import Cb
from bot.views.cards import contact_line
from bot.views.common import button, chunks, cut, esc, keyboard, when
from crm_core.models import Contact, File
from crm_core.services.files import CATEGORY_LABELS
from crm_core.stages import FileCategory

FILES_PAGE = 8
CAPTION_LIMIT = 1024

ICONS: dict[str, str] = {
    FileCategory.QUOTE.value: "💷",
    FileCategory.CONTRACT.value: "📝",
    FileCategory.PHOTO.value: "🖼",
    FileCategory.DOCUMENT.value: "📄",
}

STORAGE_DOWN = "Couldn't save the file: storage unavailable"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one file of a pending attachment (for the confirmation)."""

    name: str
    size: int | None
    state: str  # saved | dup | toobig
    saved_at: datetime | None = None


def human_size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def category_label(category: str) -> str:
    try:
        return CATEGORY_LABELS[FileCategory(category)]
    except ValueError:
        return category


# ---------------------------------------------------------------------- questions


def contact_question(
    what: str, contacts: Sequence[Contact], token: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The question "Attach to which contact?": recently touched contacts, Search…, Cancel."""
    rows = [[button(contact_line(c), Cb(ATTACH_CONTACT, 0, f"{token}:{c.id}"))] for c in contacts]
    rows.append(
        [
            button("🔎 Search…", Cb(ATTACH_SEARCH, 0, token)),
            button("Cancel", Cb(ATTACH_CANCEL, 0, token)),
        ]
    )
    return f"Attach {esc(what)} to which contact?", keyboard(rows)


def search_prompt() -> str:
    return "Type part of the contact's name, email, company or phone (or /cancel)."


def search_results(
    query: str, contacts: Sequence[Contact], token: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not contacts:
        return (
            f"No contact matches “{esc(query)}”. Type another search, or /cancel.",
            None,
        )
    rows = [[button(contact_line(c), Cb(ATTACH_CONTACT, 0, f"{token}:{c.id}"))] for c in contacts]
    rows.append(
        [
            button("🔎 Search again", Cb(ATTACH_SEARCH, 0, token)),
            button("Cancel", Cb(ATTACH_CANCEL, 0, token)),
        ]
    )
    return f"Attach to which of these matches for “{esc(query)}”?", keyboard(rows)


def category_buttons(action: str, contact_id: int, token: str) -> list[list[InlineKeyboardButton]]:
    return chunks(
        [
            button(label, Cb(action, contact_id, f"{token}:{category.value}"))
            for category, label in CATEGORY_LABELS.items()
        ],
        2,
    )


def category_question(what: str, contact: Contact, token: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        *category_buttons(ATTACH_CATEGORY, contact.id, token),
        [button("Cancel", Cb(ATTACH_CANCEL, contact.id, token))],
    ]
    return f"What is {esc(what)} for <b>{esc(contact.name)}</b>?", keyboard(rows)


def saving_text(what: str, contact_name: str) -> str:
    return f"⏳ Saving {esc(what)} to <b>{esc(contact_name)}</b>…"


# ---------------------------------------------------------------------- outcomes


def saved_text(contact_name: str, category: str, outcomes: Sequence[Outcome], tz: ZoneInfo) -> str:
    """The confirmation ("Saved to NAME") with each file's name and size; duplicates and
    refusals said plainly."""
    saved = [o for o in outcomes if o.state == "saved"]
    dups = [o for o in outcomes if o.state == "dup"]
    big = [o for o in outcomes if o.state == "toobig"]
    name = f"<b>{esc(contact_name)}</b>"
    lines: list[str] = []
    if len(saved) == 1 and len(outcomes) == 1:
        o = saved[0]
        lines.append(
            f"✅ Saved to {name}: {esc(o.name)} ({human_size(o.size)}) · "
            f"{category_label(category)}"
        )
    elif saved:
        total = sum(o.size or 0 for o in saved)
        lines.append(
            f"✅ Saved {len(saved)} file{'s' if len(saved) != 1 else ''} to {name} "
            f"({human_size(total)}) · {category_label(category)}:"
        )
        lines += [f"• {esc(o.name)} ({human_size(o.size)})" for o in saved]
    if dups:
        if not saved and len(dups) == 1:
            o = dups[0]
            on = f" on {when(o.saved_at, tz)}" if o.saved_at else ""
            lines.append(f"Already saved to {name}{on}: {esc(o.name)} — not stored again.")
        else:
            lines.append(f"Already on {name}, not stored again:")
            lines += [f"• {esc(o.name)}" for o in dups]
    if big:
        lines.append("Not saved, over Telegram's 20 MB download limit:")
        lines += [f"• {esc(o.name)} ({human_size(o.size)})" for o in big]
    return "\n".join(lines)


def saved_keyboard(contact_id: int, token: str, *, can_change: bool) -> InlineKeyboardMarkup:
    rows = []
    if can_change:
        rows.append([button("🏷 Change category", Cb(ATTACH_CHANGE, contact_id, token))])
    rows.append(
        [button("📎 Files", Cb(FILES, contact_id)), button("« Card", Cb(OPEN, contact_id))]
    )
    return keyboard(rows)


def change_keyboard(contact_id: int, token: str) -> InlineKeyboardMarkup:
    rows = [*category_buttons(ATTACH_SET, contact_id, token)]
    rows.append([button("« Back", Cb(ATTACH_SET, contact_id, f"{token}:"))])
    return keyboard(rows)


def storage_down_text(saved: int, total: int) -> str:
    done = (
        f"{saved} of {total} files were saved; the others were not."
        if saved
        else "Nothing was saved."
    )
    return f"⚠️ {STORAGE_DOWN}.\n{done} Tap Retry once storage is back."


def download_failed_text() -> str:
    return (
        "⚠️ Couldn't download the file from Telegram just now; nothing was saved.\n"
        "Tap Retry to try again."
    )


def retry_keyboard(contact_id: int, token: str) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                button("🔁 Retry", Cb(ATTACH_RETRY, contact_id, token)),
                button("Cancel", Cb(ATTACH_CANCEL, contact_id, token)),
            ]
        ]
    )


def too_big_text(name: str, size: int | None, limit: int) -> str:
    return (
        f"⚠️ {esc(name)} is {human_size(size)}, and Telegram lets bots download files of up to "
        f"{limit // (1024 * 1024)} MB, so it was not saved.\n"
        "A self-hosted Bot API server (set TELEGRAM_API_BASE_URL and TELEGRAM_FILE_BASE_URL) "
        "lifts this limit."
    )


def contact_gone_text() -> str:
    return (
        "That contact no longer exists; nothing was saved. Send the file again to choose another."
    )


# ---------------------------------------------------------------------- the file list


def file_button_label(f: File, tz: ZoneInfo) -> str:
    icon = ICONS.get(f.category, "📄")
    return (
        f"{icon} {cut(f.file_name, 24)} · {category_label(f.category)} · "
        f"{human_size(f.file_size)} · {f.created_at.astimezone(tz):%d %b}"
    )


def render_files(
    contact: Contact,
    files: Sequence[File],
    tz: ZoneInfo,
    page: int = 1,
    *,
    notice: str = "",
    page_size: int = FILES_PAGE,
) -> tuple[str, InlineKeyboardMarkup]:
    """A contact's files, newest first, a page at a time: tap one to get it back, 🗑 to delete."""
    head = (f"{notice}\n\n" if notice else "") + f"<b>Files of {esc(contact.name)}</b>"
    back = [button("« Card", Cb(OPEN, contact.id))]
    if not files:
        return (
            head + "\n\nNo files yet. Send or forward a photo or document as a reply to the "
            "contact's card to attach it.",
            keyboard([back]),
        )
    pages = max(1, -(-len(files) // page_size))
    page = min(max(1, page), pages)
    shown = files[(page - 1) * page_size : page * page_size]
    count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
    lines = [head + f" — {count}" + (f", page {page} of {pages}" if pages > 1 else "")]
    lines.append("Tap a file to get it back here.")
    for f in shown:
        lines.append(
            f"• {esc(f.file_name)} — {category_label(f.category)} · {human_size(f.file_size)} · "
            f"{when(f.created_at, tz)}"
        )
        if f.caption:
            lines.append(f"  <i>{esc(cut(f.caption, 100))}</i>")
    rows = [
        [
            button(file_button_label(f, tz), Cb(FILE_GET, contact.id, str(f.id))),
            button("🗑", Cb(FILE_DELETE, contact.id, str(f.id))),
        ]
        for f in shown
    ]
    nav = []
    if page > 1:
        nav.append(button("« Newer", Cb(FILES, contact.id, f"p{page - 1}")))
    if page < pages:
        nav.append(button("Older »", Cb(FILES, contact.id, f"p{page + 1}")))
    return "\n".join(lines), keyboard([*rows, nav, back])


def delete_prompt(contact: Contact, f: File) -> tuple[str, InlineKeyboardMarkup]:
    return (
        f"Delete <b>{esc(f.file_name)}</b> ({category_label(f.category)}, "
        f"{human_size(f.file_size)}) from <b>{esc(contact.name)}</b>?\n"
        "It is removed from storage too; this can't be undone.",
        keyboard(
            [
                [
                    button("Yes, delete", Cb(FILE_DELETE_YES, contact.id, str(f.id))),
                    button("No", Cb(FILES, contact.id, "p1")),
                ]
            ]
        ),
    )


def deleted_notice(f: File) -> str:
    return f"🗑 Deleted {esc(f.file_name)}."


def sent_caption(contact: Contact, f: File) -> str:
    """The caption of a file sent back: what it is, whose, and the caption it came with."""
    head = (
        f"{esc(f.file_name)}\n{category_label(f.category)} · {human_size(f.file_size)} · "
        f"<b>{esc(contact.name)}</b>"
    )
    if not f.caption:
        return head
    # Telegram counts the caption's visible characters (1024 at most); the head is short.
    return f"{head}\n{esc(cut(f.caption, 600))}"


def sent_keyboard(contact_id: int) -> InlineKeyboardMarkup:
    return keyboard(
        [[button("📎 Files", Cb(FILES, contact_id)), button("« Card", Cb(OPEN, contact_id))]]
    )
