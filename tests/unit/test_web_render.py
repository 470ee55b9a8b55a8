"""The API's JSON renderers: objects in, plain data out (no server, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from bot.views.forms import FOLLOWUP_CHOICES
from crm_core.models import Contact, File, Note, StageChange, User
from crm_core.services.board import Board, Card, Column
from crm_core.services.cards import ContactCard
from crm_core.services.dashboard import Dashboard
from crm_core.services.duplicates import Duplicate
from crm_core.services.listing import View
from crm_core.stages import PIPELINES, ContactType
from web import render

TODAY = date(2026, 11, 23)
WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ALICE = User(id=1, telegram_user_id=1001, display_name="Alice")


def contact(**fields: object) -> Contact:
    values: dict[str, object] = {
        "id": 7,
        "name": "<b>Priya</b> & Co",
        "contact_type": "prevention_prospect",
        "current_stage": "quote_sent",
        "status": "active",
        "owner": ALICE,
        "owner_id": 1,
        "urgency_level": "normal",
        "total_revenue": Decimal(0),
        "total_jobs_referred": 0,
        "stage_changed_at": WHEN,
        "created_at": WHEN,
        "updated_at": WHEN,
    }
    values.update(fields)
    return Contact(**values)


def test_money_dates_and_instants() -> None:
    assert render.money(Decimal("1500")) == "1500.00"
    assert render.money(Decimal("0.5")) == "0.50"
    assert render.money(None) is None
    assert render.instant(WHEN) == "2026-11-20T09:30:00Z"
    assert render.day(TODAY) == "2026-11-23"


def test_summary_marks_overdue_and_keeps_text_as_text() -> None:
    late = render.contact_summary(contact(next_followup_date=date(2026, 11, 22)), TODAY)
    assert late["overdue"] is True
    assert late["name"] == "<b>Priya</b> & Co"  # the page sets it with textContent
    assert (late["stage_name"], late["type_label"]) == ("Quote Sent", "Prevention prospect")
    assert render.contact_summary(contact(next_followup_date=TODAY), TODAY)["overdue"] is False
    assert render.contact_summary(contact(), TODAY)["overdue"] is False


def test_detail_has_every_field_notes_files_and_history() -> None:
    c = contact(
        potential_value=Decimal("950"),
        email="p@example.com",
        next_followup_date=TODAY,
        next_followup_time=time(14, 0),
    )
    notes = [
        Note(id=2, note_type="call", content="newer", author=ALICE, created_at=WHEN),
        Note(id=1, note_type="quote_sent", content="older", author=None, created_at=WHEN),
    ]
    files = [
        File(
            id=3,
            file_name="q.pdf",
            file_type="application/pdf",
            file_size=10,
            category="quote",
            created_at=WHEN,
        )
    ]
    history = [
        StageChange(from_stage=None, to_stage="prospect", changed_by=1, changed_at=WHEN),
        StageChange(from_stage="prospect", to_stage="quote_sent", changed_by=9, changed_at=WHEN),
    ]
    card = ContactCard(contact=c, recent_notes=[], note_count=2, file_count=1)
    got = render.contact_detail(card, notes, files, history, {1: "Alice"}, TODAY)
    assert set(got["fields"]) == set(render.EDITABLE)
    assert got["fields"]["potential_value"] == "950.00"
    assert got["next_followup_time"] == "14:00"
    assert [n["text"] for n in got["notes"]] == ["newer", "older"]
    assert (got["notes"][0]["author"], got["notes"][1]["type_label"]) == ("Alice", "Quote sent")
    assert got["files"][0]["category_label"] == "Quote"
    assert [(h["from_name"], h["to_name"], h["by"]) for h in got["stage_history"]] == [
        (None, "Prospect", "Alice"),
        ("Prospect", "Quote Sent", None),
    ]


def test_dashboard_board_duplicates_and_catalogue() -> None:
    d = Dashboard(View.TEAM, 1, 2, 3, Decimal("2300.00"))
    assert render.dashboard(d) == {
        "view": "team",
        "due_today": 1,
        "overdue": 2,
        "quotes_pending": 3,
        "potential_revenue": "2300.00",
    }
    stages = PIPELINES[ContactType.PREVENTION_PROSPECT]
    card = Card(
        9,
        "<i>Rex</i>",
        None,
        "prevention_prospect",
        "won",
        "won",
        date(2026, 11, 1),
        Decimal("800"),
        "Bob",
    )
    b = Board(
        ContactType.PREVENTION_PROSPECT,
        View.MINE,
        [Column(s, int(s.key == "won"), Decimal(0), [card] * (s.key == "won")) for s in stages],
    )
    columns = render.board(b, TODAY)["columns"]
    assert [c["name"] for c in columns] == [s.name for s in stages]
    [won] = [c for c in columns if c["stage"] == "won"]
    assert won["contacts"] == [
        {
            "id": 9,
            "name": "<i>Rex</i>",
            "company": None,
            "contact_type": "prevention_prospect",
            "type_label": "Prevention prospect",
            "stage": "won",
            "stage_name": "Won",
            "status": "won",
            "next_followup_date": "2026-11-01",
            "overdue": True,
            "potential_value": "800.00",
            "owner": "Bob",
        }
    ]
    dup = render.duplicates([Duplicate(contact(), "same email")], TODAY)
    assert (dup[0]["id"], dup[0]["reason"]) == (7, "same email")
    cat = render.catalogue(ALICE, TODAY)
    assert cat["me"] == {"id": 1, "name": "Alice"}
    assert [q["days"] for q in cat["followup_choices"]] == [q.days for q in FOLLOWUP_CHOICES]
    assert [t["key"] for t in cat["types"]] == [t.value for t in ContactType]
