"""The one-line quick add of /add: when a line is a whole contact, the summary's line for what
it could not place, and saving those parts as the new contact's first note.

The parsing itself is ``crm_core.quick_add``; the form (``add_contact``) keeps the draft.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Message

from bot import texts
from bot.views.common import cut, esc
from crm_core.models import Contact
from crm_core.quick_add import QuickAdd, parse_quick_add, split_parts
from crm_core.services.contacts import create_contact
from crm_core.services.notes import add_note
from crm_core.stages import NoteType

#: Characters of unplaced text shown on the summary (all of it goes into the note).
SHOWN = 1000


def after_command(message: Message | None) -> str | None:
    """The text typed after the command ("/add Jane Smith, …"), if any."""
    words = (message.text or "").split(maxsplit=1) if message else []
    return words[1] if len(words) == 2 else None


def as_quick_add(answer: str, today: date) -> QuickAdd | None:
    """The answer to the name question read as a whole contact, if it is one: several parts,
    or one part that is plainly not a name (an email, a phone number). A lone name (even one
    too long) is left to the name question, which says what is wrong with it."""
    parsed = parse_quick_add(answer, today)
    if len(split_parts(answer)) > 1 or parsed.values.keys() - {"name"}:
        return parsed
    return None


def unplaced_line(unplaced: list[str]) -> str | None:
    """The summary's line listing what the line had that fits no field."""
    if not unplaced:
        return None
    return f"{texts.NOT_RECOGNISED}: " + esc(cut(" · ".join(unplaced), SHOWN))


def create_with_leftovers(
    session: Any, user_id: int, values: dict[str, Any], today: date, unplaced: list[str]
) -> Contact:
    """The contact, with what the quick-add line could not place as its first note."""
    contact = create_contact(session, user_id, values, today=today)
    if unplaced:
        note = f"{texts.QUICK_ADD_NOTE}: " + "; ".join(unplaced)
        add_note(session, contact.id, user_id, NoteType.INTERNAL, note)
    return contact
