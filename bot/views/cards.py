"""The contact card and the menus hanging off it."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.actions import (
    DELETE,
    DELETE_YES,
    EDIT_CONTACT,
    EMAILS,
    FILES,
    FOLLOWUP,
    JOBS,
    NOTE,
    NOTES,
    OPEN,
    STAGE_LOST,
    STAGE_MENU,
    STAGE_SET,
    UNDO,
)
from bot.callbacks import Cb
from bot.views import jobs as job_views
from bot.views import referrals as referral_views
from bot.views.common import (
    button,
    chunks,
    cut,
    day,
    esc,
    escaped_pieces,
    keyboard,
    money,
    split_message,
    when,
)
from crm_core.fields import CARD_FIELDS, Field, Kind
from crm_core.models import Contact, Note
from crm_core.services.cards import ContactCard
from crm_core.services.trash import TRASH_DAYS
from crm_core.stages import (
    NOTE_TYPE_LABELS,
    PIPELINES,
    ContactType,
    NoteType,
    Status,
    stage_name,
)

NOTE_PREVIEW = 300


def type_label(contact: Contact) -> str:
    return ContactType(contact.contact_type).label


def contact_line(contact: Contact) -> str:
    """One-line summary for buttons: name · type · stage."""
    return (
        f"{contact.name} · {type_label(contact)} · "
        f"{stage_name(contact.contact_type, contact.current_stage)}"
    )


def note_header(note: Note, tz: ZoneInfo) -> str:
    kind = NOTE_TYPE_LABELS[NoteType(note.note_type)]
    author = f" by {esc(note.author.display_name)}" if note.author else ""
    return f"<i>{when(note.created_at, tz)} · {kind}{author}</i>"


def note_line(note: Note, tz: ZoneInfo, limit: int = NOTE_PREVIEW) -> str:
    return f"{note_header(note, tz)}\n{esc(cut(note.content, limit))}"


def field_line(field: Field, card: ContactCard) -> str | None:
    """A field's line on the card; None when it is empty or at its column's default."""
    value: Any = (
        card.referred_by_name
        if field.kind is Kind.CONTACT
        else getattr(card.contact, field.column)
    )
    if value is None or value == "" or value == field.default:
        return None
    if field.kind is Kind.MONEY:
        shown = money(value)
    elif field.kind is Kind.CHOICE:
        shown = str(value).upper()
    else:
        shown = str(value)
    return f"{field.card}: {esc(shown)}"


def render_card(
    card: ContactCard, today: date, tz: ZoneInfo, email_line: str | None = None
) -> str:
    c = card.contact
    lines = [f"<b>{esc(c.name)}</b>", f"{type_label(c)} · #{c.id}"]
    stage = stage_name(c.contact_type, c.current_stage)
    since = f" (since {when(c.stage_changed_at, tz)})" if c.stage_changed_at else ""
    lines.append(f"Stage: <b>{esc(stage)}</b>{since} · {c.status}")
    if c.next_followup_date:
        at = f" at {c.next_followup_time:%H:%M}" if c.next_followup_time else ""  # reminder
        lines.append(f"Next follow-up: {day(c.next_followup_date, today)}{at}")
    else:
        lines.append("Next follow-up: none set")
    jobs_block = job_views.card_lines(card.jobs)  # issue 12: revenue from jobs, once any
    for field in CARD_FIELDS:
        if field.key == "total_revenue" and jobs_block:
            lines += jobs_block  # paid jobs say what revenue is, not a typed total
            continue
        if field.key == "total_jobs_referred":  # a partner's referrals (issue 12)
            lines += referral_views.card_lines(card.referrals, tz)
        line = field_line(field, card)
        if line:
            lines.append(line)
    lines.append(f"Owner: {esc(c.owner.display_name)}")
    lines.append(f"Files: {card.file_count}")
    if email_line:  # "Last email: 3 days ago ← Re: CCTV quote" (bot.views.email)
        lines.append(email_line)
    if card.recent_notes:
        lines.append(f"\n<b>Notes</b> ({card.note_count})")
        lines += [note_line(n, tz) for n in card.recent_notes]
    else:
        lines.append("\nNo notes yet — reply to this card to add one.")
    return "\n".join(lines)


def app_keyboard(url: str, label: str = "Open the CRM") -> InlineKeyboardMarkup:
    """One button opening the Mini App at ``url``."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, web_app=WebAppInfo(url))]])


def card_keyboard(
    contact_id: int,
    note_count: int = 0,
    email_count: int | None = None,
    *,
    app_url: str | None = None,
) -> InlineKeyboardMarkup:
    rows = [
        [button("📝 Note", Cb(NOTE, contact_id)), button("📶 Stage", Cb(STAGE_MENU, contact_id))],
        [
            button("📅 Follow-up", Cb(FOLLOWUP, contact_id)),
            button("📎 Files", Cb(FILES, contact_id)),
        ],
        [
            button("✏️ Edit", Cb(EDIT_CONTACT, contact_id)),
            button("🗑 Delete", Cb(DELETE, contact_id)),
        ],
        [button("💷 Jobs", Cb(JOBS, contact_id))],  # issue 12
    ]
    if note_count:  # also the way to read a long note the card cuts short
        rows.append([button(f"All notes ({note_count})", Cb(NOTES, contact_id, "0"))])
    if email_count is not None:  # email history (bot.views.email): always with its number
        rows.append([button(f"✉️ Emails ({email_count})", Cb(EMAILS, contact_id, "1"))])
    markup = keyboard(rows)
    if app_url is None:
        return markup
    # A web_app button carries no callback data: it opens the page on this contact.
    opener = InlineKeyboardButton("📱 Open in app", web_app=WebAppInfo(app_url))
    return InlineKeyboardMarkup([*markup.inline_keyboard, [opener]])


def stage_keyboard(contact: Contact) -> InlineKeyboardMarkup:
    stages = PIPELINES[ContactType(contact.contact_type)]
    buttons = [
        button(
            ("✅ " if s.key == contact.current_stage else "") + s.name,
            # A lost stage asks why after the move (issue 12).
            Cb(STAGE_LOST if s.status is Status.LOST else STAGE_SET, contact.id, s.key),
        )
        for s in stages
    ]
    return keyboard([*chunks(buttons, 2), [button("« Back", Cb(OPEN, contact.id, "e"))]])


def delete_prompt(card: ContactCard) -> str:
    c = card.contact
    n, m = card.note_count, card.file_count
    return (
        f"Delete <b>{esc(c.name)}</b> and its {n} note{'s' if n != 1 else ''} "
        f"and {m} file{'s' if m != 1 else ''}?\n"
        f"It goes to the trash for {TRASH_DAYS} days and can be restored."
    )


def delete_keyboard(contact_id: int) -> InlineKeyboardMarkup:
    yes = button("Yes, delete", Cb(DELETE_YES, contact_id))
    return keyboard([[yes, button("No", Cb(OPEN, contact_id, "e"))]])


def deleted_text(contact: Contact) -> str:
    return f"🗑 Deleted <b>{esc(contact.name)}</b>. It stays in /trash for {TRASH_DAYS} days."


def undo_keyboard(contact_id: int) -> InlineKeyboardMarkup:
    return keyboard([[button("↩️ Undo", Cb(UNDO, contact_id))]])


def notes_page(
    contact: Contact, notes: list[Note], total: int, offset: int, tz: ZoneInfo, page_size: int
) -> tuple[list[str], InlineKeyboardMarkup]:
    """Full notes, newest first; a long note is split across messages rather than cut."""
    head = f"<b>Notes on {esc(contact.name)}</b> ({offset + 1}-{offset + len(notes)} of {total})"
    parts = [head]
    for note in notes:
        first, *rest = escaped_pieces(note.content, 3500)
        parts.append(f"{note_header(note, tz)}\n{first}")
        parts += rest
    nav = []
    if offset > 0:
        nav.append(button("« Newer", Cb(NOTES, contact.id, str(max(0, offset - page_size)))))
    if offset + len(notes) < total:
        nav.append(button("Older »", Cb(NOTES, contact.id, str(offset + page_size))))
    return split_message(parts), keyboard([nav, [button("« Card", Cb(OPEN, contact.id))]])
