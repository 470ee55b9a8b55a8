"""Objects in, JSON-ready dicts out: what the Mini App's API answers. Pure, like bot/views.

Money is a string of pounds with two decimals (never a float); dates are ISO ``YYYY-MM-DD``
(the admin's local dates); instants are ISO UTC with a ``Z``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.views.forms import FOLLOWUP_CHOICES
from crm_core.fields import LABELS
from crm_core.models import Contact, File, Note, StageChange, User
from crm_core.services.board import Board, Card
from crm_core.services.cards import ContactCard
from crm_core.services.contacts import CONTACT_FIELDS
from crm_core.services.dashboard import Dashboard
from crm_core.services.duplicates import Duplicate
from crm_core.services.files import CATEGORY_LABELS
from crm_core.stages import (
    CONTACT_TYPE_LABELS,
    NOTE_TYPE_LABELS,
    PIPELINES,
    ContactType,
    FileCategory,
    NoteType,
    Urgency,
    stage_name,
)

JSON = dict[str, Any]

#: The fields the page shows and edits, in the order of the bot's forms (the follow-up has
#: its own action).
EDITABLE = tuple(name for name in CONTACT_FIELDS if name != "next_followup_date")


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def instant(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def catalogue(user: User, today: date) -> JSON:
    """Who the page is for and the lists it offers (types, stages, note types, fields)."""
    return {
        "me": {"id": user.id, "name": user.display_name},
        "today": today.isoformat(),
        "types": [
            {
                "key": ctype.value,
                "label": CONTACT_TYPE_LABELS[ctype],
                "stages": [
                    {"key": s.key, "name": s.name, "status": s.status.value} for s in stages
                ],
            }
            for ctype, stages in PIPELINES.items()
        ],
        "note_types": [{"key": k.value, "label": v} for k, v in NOTE_TYPE_LABELS.items()],
        "file_categories": [{"key": k.value, "label": v} for k, v in CATEGORY_LABELS.items()],
        "fields": [{"name": name, "label": LABELS.get(name, name)} for name in EDITABLE],
        "followup_choices": [{"label": q.label, "days": q.days} for q in FOLLOWUP_CHOICES],
        "urgencies": [u.value for u in Urgency],
    }


def dashboard(d: Dashboard) -> JSON:
    return {
        "view": d.view.value,
        "due_today": d.due_today,
        "overdue": d.overdue,
        "quotes_pending": d.quotes_pending,
        "potential_revenue": money(d.potential_revenue),
    }


def contact_summary(c: Contact, today: date) -> JSON:
    """A contact as a list row (the same keys as a board card)."""
    return card(
        Card(
            c.id,
            c.name,
            c.company,
            c.contact_type,
            c.current_stage,
            c.status,
            c.next_followup_date,
            c.potential_value,
            c.owner.display_name,
        ),
        today,
    )


def note(n: Note) -> JSON:
    return {
        "id": n.id,
        "type": n.note_type,
        "type_label": NOTE_TYPE_LABELS[NoteType(n.note_type)],
        "text": n.content,
        "author": n.author.display_name if n.author else None,
        "created_at": instant(n.created_at),
    }


def file(f: File) -> JSON:
    return {
        "id": f.id,
        "name": f.file_name,
        "mime_type": f.file_type,
        "size": f.file_size,
        "category": f.category,
        "category_label": CATEGORY_LABELS[FileCategory(f.category)],
        "caption": f.caption,
        "created_at": instant(f.created_at),
    }


def stage_change(contact_type: str, s: StageChange, names: dict[int, str]) -> JSON:
    return {
        "from": s.from_stage,
        "from_name": stage_name(contact_type, s.from_stage) if s.from_stage else None,
        "to": s.to_stage,
        "to_name": stage_name(contact_type, s.to_stage),
        "by": names.get(s.changed_by) if s.changed_by is not None else None,
        "at": instant(s.changed_at),
    }


def contact_detail(
    card: ContactCard,
    notes: list[Note],
    files: list[File],
    history: list[StageChange],
    names: dict[int, str],
    today: date,
) -> JSON:
    """Every field, the owner, the stage and when it changed, the follow-up, the notes
    (newest first), the files and the stage history (oldest first)."""
    c = card.contact
    return {
        **contact_summary(c, today),
        "fields": {name: _field(c, name) for name in EDITABLE},
        "next_followup_time": c.next_followup_time.strftime("%H:%M")
        if c.next_followup_time
        else None,
        "stage_changed_at": instant(c.stage_changed_at),
        "owner_id": c.owner_id,
        "referred_by": card.referred_by_name,
        "created_at": instant(c.created_at),
        "updated_at": instant(c.updated_at),
        "note_count": card.note_count,
        "notes": [note(n) for n in notes],
        "files": [file(f) for f in files],
        "stage_history": [stage_change(c.contact_type, s, names) for s in history],
    }


def _field(c: Contact, name: str) -> Any:
    value = getattr(c, name)
    if isinstance(value, Decimal):
        return money(value)
    return value


def duplicates(found: list[Duplicate], today: date) -> list[JSON]:
    return [{**contact_summary(d.contact, today), "reason": d.reason} for d in found]


def card(c: Card, today: date) -> JSON:
    """A board card, or a list row."""
    return {
        "id": c.id,
        "name": c.name,
        "company": c.company,
        "contact_type": c.contact_type,
        "type_label": ContactType(c.contact_type).label,
        "stage": c.stage,
        "stage_name": stage_name(c.contact_type, c.stage),
        "status": c.status,
        "next_followup_date": day(c.next_followup_date),
        "overdue": c.next_followup_date is not None and c.next_followup_date < today,
        "potential_value": money(c.potential_value),
        "owner": c.owner,
    }


def board(b: Board, today: date) -> JSON:
    return {
        "contact_type": b.contact_type.value,
        "view": b.view.value,
        "columns": [
            {
                "stage": col.stage.key,
                "name": col.stage.name,
                "status": col.stage.status.value,
                "count": col.count,
                "value": money(col.value),
                "contacts": [card(c, today) for c in col.cards],
            }
            for col in b.columns
        ],
    }
