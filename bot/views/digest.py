"""The morning digest and timed reminders, as pure text and keyboards (/settings is in
``bot.views.settings``).

A digest is a checklist: each follow-up is a few lines of text and two keyboard rows, one that
opens the card ("📇 3. Jane Smith") and one of actions (Done, snooze +1d/+3d/+1w). Items go ten
to a message (50 buttons, well under Telegram's ~100, and under 4096 characters), so a phone
user scrolls a few messages rather than sixty. Acting on an item rewrites only that item's
action row in place (``replace_item_rows``): Done -> outcomes -> next follow-up -> a closing
"✅ Done · next Mon 30 Nov" row, so the digest shows at a glance what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.actions import BACK, DONE, ITEM_ACTIONS, NEXT, OPEN, OUTCOME, SNOOZE
from bot.callbacks import Cb, StaleButton
from bot.views.common import MAX_MESSAGE, button, cut, esc, keyboard, money
from crm_core.schedule import quick_dates
from crm_core.services.digests import Digest, DigestItem
from crm_core.stages import ContactType, NoteType, stage_name

ITEMS_PER_MESSAGE = 10
NOTE_LINE = 100

# Callback actions (the codec allows [a-z0-9_]{1,12}).

SNOOZES = quick_dates("tomorrow", "3d", "1w")


def short_day(value: date) -> str:
    return value.strftime("%a %d %b")


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _due(item: DigestItem) -> str:
    at = f" {hhmm(item.followup_time)}" if item.followup_time else ""
    if item.days_overdue > 0:
        days = f"{item.days_overdue} day{'s' if item.days_overdue != 1 else ''}"
        return f"⚠️ {days} overdue ({short_day(item.followup_date)}{at})"
    if item.days_overdue == 0:
        return f"📅 today{at}"
    return f"📅 {short_day(item.followup_date)}{at}"


def item_text(item: DigestItem, number: int | None = None) -> str:
    kind = ContactType(item.contact_type).label
    stage = stage_name(item.contact_type, item.stage)
    head = f"{number}. " if number is not None else ""
    lines = [f"<b>{head}{esc(item.name)}</b> · {kind} · {esc(stage)}", _due(item)]
    if item.last_note:
        lines.append(f"<i>{esc(cut(item.last_note, NOTE_LINE))}</i>")
    return "\n".join(lines)


def action_row(contact_id: int) -> list[InlineKeyboardButton]:
    return [
        button("✅ Done", Cb(DONE, contact_id)),
        *(
            button(("💤 " if i == 0 else "") + q.short, Cb(SNOOZE, contact_id, str(q.days)))
            for i, q in enumerate(SNOOZES)
        ),
    ]


def item_rows(item: DigestItem, number: int | None = None) -> list[list[InlineKeyboardButton]]:
    label = f"📇 {number}. {item.name}" if number is not None else "📇 Open"
    return [[button(label, Cb(OPEN, item.contact_id))], action_row(item.contact_id)]


def digest_header(digest: Digest, *, late_due: datetime | None = None) -> str:
    lines = [f"📋 <b>Your follow-ups — {short_day(digest.local_date)}</b>"]
    today = digest.due_total - digest.overdue_total
    lines.append(f"{digest.due_total} due: {digest.overdue_total} overdue, {today} today.")
    if late_due is not None:
        lines.append(f"<i>Sent late: it was due at {late_due.strftime('%H:%M')}.</i>")
    return "\n".join(lines)


def team_line(digest: Digest) -> str:
    quotes = f"{digest.quotes_pending} quote{'s' if digest.quotes_pending != 1 else ''} pending"
    return f"👥 Team: {quotes} · {money(digest.potential_revenue)} potential revenue"


def empty_digest_text(digest: Digest, *, late_due: datetime | None = None) -> str:
    quotes = f"{digest.quotes_pending} quote{'s' if digest.quotes_pending != 1 else ''} pending"
    text = f"☀️ Nothing due today — {quotes}."
    if late_due is not None:
        text += f"\n<i>Sent late: it was due at {late_due.strftime('%H:%M')}.</i>"
    return text


Message = tuple[str, InlineKeyboardMarkup | None]


def digest_messages(
    digest: Digest,
    *,
    late_due: datetime | None = None,
    per_message: int = ITEMS_PER_MESSAGE,
    limit: int = MAX_MESSAGE,
) -> list[Message]:
    """The digest as messages, each under ``limit`` characters and ``per_message`` items, every
    item with its buttons; the header opens the first, the team figures close the last."""
    if digest.empty:
        return [(empty_digest_text(digest, late_due=late_due), None)]
    header = digest_header(digest, late_due=late_due)
    footer = team_line(digest)
    if digest.more:
        footer = f"…and {digest.more} more — see /today.\n\n{footer}"
    messages: list[Message] = []
    parts: list[str] = [header]
    rows: list[list[InlineKeyboardButton]] = []
    count = 0

    def flush() -> None:
        nonlocal parts, rows, count
        messages.append(("\n\n".join(parts), keyboard(rows) if rows else None))
        parts, rows, count = [], [], 0

    for number, item in enumerate(digest.items, start=1):
        text = item_text(item, number)
        size = len("\n\n".join([*parts, text]))
        if count and (count >= per_message or size > limit):
            flush()
        parts.append(text)
        rows.extend(item_rows(item, number))
        count += 1
    if len("\n\n".join([*parts, footer])) > limit:
        flush()
    parts.append(footer)
    flush()
    return messages


def reminder_message(
    item: DigestItem, due_at: datetime, tz: ZoneInfo, *, late: bool = False
) -> Message:
    local = due_at.astimezone(tz)
    head = f"⏰ <b>Reminder — {local.strftime('%H:%M')}</b>"
    if late:
        head += f"\n<i>Sent late: it was due {short_day(local.date())} at {local:%H:%M}.</i>"
    return f"{head}\n{item_text(item)}", keyboard(item_rows(item))


# --------------------------------------------------------------------------- acting on items


@dataclass(frozen=True, slots=True)
class Outcome:
    """A "Done" answer: its button, and the note it writes."""

    key: str
    label: str
    note_type: NoteType | None
    note: str | None


#: "Done" answers: each writes a note of its type (Skip writes none).
OUTCOMES: tuple[Outcome, ...] = (
    Outcome("call", "Called", NoteType.CALL, "Called."),
    Outcome("email", "Emailed", NoteType.EMAIL, "Emailed."),
    Outcome("met", "Met", NoteType.MEETING, "Met."),
    Outcome("noans", "No answer", NoteType.CALL, "Called — no answer."),
    Outcome("skip", "Skip", None, None),
)
OUTCOMES_BY_KEY = {o.key: o for o in OUTCOMES}

#: "Next follow-up?" after Done: quick dates, then ``NO_NEXT`` (clear it).
NEXT_CHOICES = quick_dates("tomorrow", "3d", "1w", "2w")
NEXT_BY_KEY = {q.key: q for q in NEXT_CHOICES}
NO_NEXT = "0"


def outcome_rows(contact_id: int) -> list[list[InlineKeyboardButton]]:
    buttons = [button(o.label, Cb(OUTCOME, contact_id, o.key)) for o in OUTCOMES]
    back = button("« Back", Cb(BACK, contact_id))
    return [buttons[:3], [*buttons[3:], back]]


def next_rows(contact_id: int, outcome: str = "") -> list[list[InlineKeyboardButton]]:
    """ "Next follow-up?" buttons; the outcome rides along for the closing label."""
    buttons = [
        *(button(q.label, Cb(NEXT, contact_id, f"{q.key}:{outcome}")) for q in NEXT_CHOICES),
        button("None", Cb(NEXT, contact_id, f"{NO_NEXT}:{outcome}")),
    ]
    return [buttons[:3], buttons[3:]]


def status_rows(contact_id: int, label: str) -> list[list[InlineKeyboardButton]]:
    """The closing row of a handled item: its state, opening the card."""
    return [[button(label, Cb(OPEN, contact_id))]]


def done_label(outcome: str, next_date: date | None) -> str:
    labels = {o.key: o.label for o in OUTCOMES if o.note}
    done = f"✅ {labels[outcome]}" if outcome in labels else "✅ Done"
    return f"{done} · next {short_day(next_date)}" if next_date else f"{done} · no follow-up"


def snoozed_label(new_date: date, at: time | None) -> str:
    return f"💤 Snoozed to {short_day(new_date)}" + (f" {hhmm(at)}" if at else "")


def snoozed_answer(new_date: date, at: time | None) -> str:
    return f"Snoozed: next follow-up {new_date:%a %d %b %Y}" + (f" at {hhmm(at)}" if at else "")


def _is_item_row(row: Sequence[InlineKeyboardButton], contact_id: int) -> bool:
    if not row:
        return False
    for btn in row:
        try:
            cb = Cb.decode(str(btn.callback_data))
        except StaleButton:
            return False
        if cb.action not in ITEM_ACTIONS or cb.id != contact_id:
            return False
    return True


def replace_item_rows(
    markup: InlineKeyboardMarkup | None,
    contact_id: int,
    new_rows: list[list[InlineKeyboardButton]],
) -> InlineKeyboardMarkup | None:
    """``markup`` with the action rows of ``contact_id`` replaced by ``new_rows`` (other items
    untouched); None if the message has no such rows (nothing to redraw)."""
    if markup is None:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    replaced = False
    for row in markup.inline_keyboard:
        if _is_item_row(row, contact_id):
            if not replaced:
                rows.extend(new_rows)
                replaced = True
            continue
        rows.append(list(row))
    return InlineKeyboardMarkup(rows) if replaced else None
