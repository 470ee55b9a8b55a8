"""Notes, follow-ups and the dashboard figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm_core.errors import NotFound, ValidationError
from crm_core.models import Note
from crm_core.services.contacts import create_contact, get_contact
from crm_core.services.dashboard import dashboard
from crm_core.services.followups import clear_followup, due_followups, set_followup
from crm_core.services.listing import View
from crm_core.services.notes import NOTE_MAX_LENGTH, add_note, delete_note, list_notes
from crm_core.services.trash import delete_contact
from crm_core.stages import NoteType


@pytest.fixture
def make(session, alice, today, now):
    def make(name: str, owner=None, **fields):
        data = {"name": name, "contact_type": "prevention_prospect", **fields}
        return create_contact(session, (owner or alice).id, data, today=today, now=now)

    return make


# --- notes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("call", "call"),
        (NoteType.EMAIL, "email"),
        ("meeting", "meeting"),
        ("internal", "internal"),
        ("quote_sent", "quote_sent"),
        ("Quote sent", "quote_sent"),  # the label the error message itself suggests
        (" CALL ", "call"),
    ],
)
def test_add_note_of_each_type(session, make, alice, now, given, stored):
    contact = make("Noted")
    note = add_note(session, contact.id, alice.id, given, "  Rang, no answer  ", now=now)
    assert note.note_type == stored
    assert note.content == "Rang, no answer"
    assert note.created_by == alice.id
    assert note.created_at == now
    assert get_contact(session, contact.id).updated_at == now


def test_unknown_note_type_is_rejected(session, make, alice):
    contact = make("Noted")
    with pytest.raises(ValidationError) as info:
        add_note(session, contact.id, alice.id, "fax", "hello")
    assert info.value.field == "note_type"


@pytest.mark.parametrize("content", ["", "   \n ", None])
def test_empty_note_is_rejected(session, make, alice, content):
    contact = make("Noted")
    with pytest.raises(ValidationError) as info:
        add_note(session, contact.id, alice.id, "call", content)
    assert info.value.field == "content"
    assert session.scalar(select(func.count()).select_from(Note)) == 0


def test_note_length_is_capped_at_telegrams_limit(session, make, alice):
    assert NOTE_MAX_LENGTH == 4096
    contact = make("Noted")
    note = add_note(session, contact.id, alice.id, "internal", "x" * 4096)
    session.expire(note)
    assert len(note.content) == 4096  # read back whole: no shorter cap in the schema
    with pytest.raises(ValidationError) as info:
        add_note(session, contact.id, alice.id, "internal", "x" * 4097)
    assert "4096" in str(info.value)
    assert "4097" in str(info.value)


def test_note_on_a_trashed_or_unknown_contact_is_not_found(session, make, alice, now):
    contact = make("Gone")
    delete_contact(session, contact.id, now=now)
    with pytest.raises(NotFound):
        add_note(session, contact.id, alice.id, "call", "hello")
    with pytest.raises(NotFound):
        add_note(session, 424242, alice.id, "call", "hello")


def test_list_notes_newest_first_with_paging_and_total(session, make, alice, bob, now):
    contact = make("Chatty")
    other = make("Quiet")
    for i in range(7):
        add_note(session, contact.id, alice.id, "call", f"note {i}", now=now + timedelta(hours=i))
    add_note(session, other.id, bob.id, "call", "elsewhere", now=now)
    # Two notes in the same instant: the later one added comes first.
    add_note(session, contact.id, bob.id, "email", "same time A", now=now + timedelta(hours=9))
    add_note(session, contact.id, bob.id, "email", "same time B", now=now + timedelta(hours=9))

    notes, total = list_notes(session, contact.id, limit=4)
    assert total == 9
    assert [n.content for n in notes] == ["same time B", "same time A", "note 6", "note 5"]
    notes, total = list_notes(session, contact.id, limit=4, offset=8)
    assert total == 9
    assert [n.content for n in notes] == ["note 0"]
    assert notes[0].author.display_name == "Alice"


def test_delete_note(session, make, alice):
    contact = make("Noted")
    keep = add_note(session, contact.id, alice.id, "call", "keep")
    drop = add_note(session, contact.id, alice.id, "call", "drop")
    delete_note(session, drop.id)
    notes, total = list_notes(session, contact.id)
    assert (total, [n.id for n in notes]) == (1, [keep.id])
    with pytest.raises(NotFound):
        delete_note(session, drop.id)


# --- follow-ups -----------------------------------------------------------------------------


def test_set_and_clear_follow_up(session, make, today, now):
    contact = make("Follow")
    set_followup(session, contact.id, "tomorrow", today=today, now=now)
    assert get_contact(session, contact.id).next_followup_date == date(2026, 11, 24)
    set_followup(session, contact.id, date(2026, 11, 1), today=today)  # back-filled: overdue
    assert get_contact(session, contact.id).next_followup_date == date(2026, 11, 1)
    clear_followup(session, contact.id, now=now)
    assert get_contact(session, contact.id).next_followup_date is None
    set_followup(session, contact.id, "friday", today=today)
    set_followup(session, contact.id, None, today=today)
    assert get_contact(session, contact.id).next_followup_date is None


def test_bad_follow_up_is_rejected_and_keeps_the_old_date(session, make, today):
    contact = make("Follow", next_followup_date="2026-12-01")
    with pytest.raises(ValidationError) as info:
        set_followup(session, contact.id, "whenever", today=today)
    assert info.value.field == "next_followup_date"
    assert get_contact(session, contact.id).next_followup_date == date(2026, 12, 1)


def test_due_followups_oldest_first_with_days_overdue_only_the_owners(
    session, make, alice, bob, today, now
):
    make("Today B", next_followup_date="today")
    make("Week Ago", next_followup_date="2026-11-16")
    make("Today A", next_followup_date="today")
    make("Yesterday", next_followup_date="yesterday")
    make("Tomorrow", next_followup_date="tomorrow")
    make("No Date")
    make("Bobs", owner=bob, next_followup_date="yesterday")
    trashed = make("Trashed", next_followup_date="yesterday")
    delete_contact(session, trashed.id, now=now)

    due = due_followups(session, alice.id, today)
    assert [(d.contact.name, d.days_overdue) for d in due] == [
        ("Week Ago", 7),
        ("Yesterday", 1),
        ("Today A", 0),
        ("Today B", 0),
    ]
    assert [d.contact.name for d in due_followups(session, bob.id, today)] == ["Bobs"]
    assert [d.contact.name for d in due_followups(session, alice.id, date(2026, 11, 24))][-1] == (
        "Tomorrow"
    )


# --- dashboard ------------------------------------------------------------------------------


def test_dashboard_mine_and_team(session, make, alice, bob, today, now):
    make("A due today", next_followup_date="today", potential_value="0.10")
    make(
        "A overdue",
        next_followup_date="2026-11-01",
        potential_value="0.20",
        current_stage="quote_sent",
    )
    make("A thinking", current_stage="Thinking About It", potential_value="1234567.89")
    make("A won", current_stage="won", potential_value="5000")  # not active: no revenue
    make("A lost quote", current_stage="quote_sent", status="dormant", potential_value="70")
    make("A eviction", contact_type="eviction_client", potential_value="300")
    make("A future", next_followup_date="2026-12-25")
    make(
        "B due today",
        owner=bob,
        next_followup_date="today",
        potential_value="1000",
        current_stage="quote_sent",
    )
    make("B overdue", owner=bob, next_followup_date="yesterday")
    trashed = make(
        "A trashed", next_followup_date="today", potential_value="999", current_stage="quote_sent"
    )
    delete_contact(session, trashed.id, now=now)

    mine = dashboard(session, alice.id, View.MINE, today)
    assert mine.view is View.MINE
    assert (mine.due_today, mine.overdue, mine.quotes_pending) == (1, 1, 2)
    assert mine.potential_revenue == Decimal("1234868.19")
    assert isinstance(mine.potential_revenue, Decimal)

    team = dashboard(session, alice.id, View.TEAM, today)
    assert (team.due_today, team.overdue, team.quotes_pending) == (2, 2, 3)
    assert team.potential_revenue == Decimal("1235868.19")

    bobs = dashboard(session, bob.id, View.MINE, today)
    assert (bobs.due_today, bobs.overdue, bobs.quotes_pending) == (1, 1, 1)
    assert bobs.potential_revenue == Decimal("1000.00")

    tomorrow = dashboard(session, alice.id, View.MINE, today + timedelta(days=1))
    assert (tomorrow.due_today, tomorrow.overdue) == (0, 2)


def test_empty_dashboard_is_zero(session, alice, today):
    board = dashboard(session, alice.id, View.TEAM, today)
    assert (board.due_today, board.overdue, board.quotes_pending) == (0, 0, 0)
    assert board.potential_revenue == Decimal("0.00")
    assert isinstance(board.potential_revenue, Decimal)
