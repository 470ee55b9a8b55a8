"""Notes on a contact: call logs, emails, meetings, internal remarks, quotes sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.errors import NotFound, ValidationError
from crm_core.models import Note, utcnow
from crm_core.services.contacts import get_contact
from crm_core.stages import NoteType
from crm_core.validation import NOTE_MAX_LENGTH, visible_text


def add_note(
    session: Session,
    contact_id: int,
    author_id: int | None,
    note_type: NoteType | str,
    content: str,
    *,
    now: datetime | None = None,
) -> Note:
    now = now or utcnow()
    contact = get_contact(session, contact_id)
    try:
        kind = NoteType(str(note_type).strip().lower().replace(" ", "_"))  # key or label
    except ValueError:
        raise ValidationError(
            "note_type", "Note type must be call, email, meeting, internal or quote sent."
        ) from None
    text = visible_text(content)
    if not text:
        raise ValidationError("content", "A note can't be empty.")
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(
            "content", f"That note is {len(text)} characters; the limit is {NOTE_MAX_LENGTH}."
        )
    note = Note(
        contact_id=contact_id,
        note_type=kind.value,
        content=text,
        created_by=author_id,
        created_at=now,
    )
    session.add(note)
    contact.updated_at = now
    session.flush()
    return note


def list_notes(
    session: Session, contact_id: int, *, limit: int = 10, offset: int = 0
) -> tuple[list[Note], int]:
    """A page of notes, newest first, and how many there are in all."""
    get_contact(session, contact_id)
    total = session.scalar(select(func.count()).where(Note.contact_id == contact_id)) or 0
    notes = list(
        session.scalars(
            select(Note)
            .where(Note.contact_id == contact_id)
            .order_by(Note.created_at.desc(), Note.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return notes, total


def delete_note(session: Session, note_id: int, *, contact_id: int | None = None) -> None:
    """Delete a note (``contact_id``, if given, must be its live contact)."""
    note = session.get(Note, note_id)
    if note is None or (contact_id is not None and note.contact_id != contact_id):
        raise NotFound("That note no longer exists.")
    if contact_id is not None:
        get_contact(session, contact_id)
    session.delete(note)
    session.flush()
