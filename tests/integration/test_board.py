"""The pipeline board service on both databases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from crm_core.models import User
from crm_core.services.board import board
from crm_core.services.contacts import create_contact
from crm_core.services.listing import View
from crm_core.services.trash import delete_contact
from crm_core.stages import PIPELINES, ContactType
from tests.conftest import TODAY

PROSPECT = ContactType.PREVENTION_PROSPECT


def add(session: Session, owner: User, name: str, stage: str, **fields: object) -> int:
    data = {"name": name, "contact_type": PROSPECT.value, "current_stage": stage, **fields}
    return create_contact(session, owner.id, data, today=TODAY).id


def test_columns_in_pipeline_order_with_counts_values_and_list_order(
    session: Session, alice: User, bob: User
) -> None:
    add(session, alice, "zed undated", "quote_sent", potential_value="100")
    add(session, bob, "Amy undated", "quote_sent", potential_value="0.5")
    add(session, alice, "late", "quote_sent", next_followup_date=TODAY + timedelta(days=9))
    add(session, alice, "soon", "quote_sent", next_followup_date=TODAY)
    gone = add(session, alice, "trashed", "quote_sent", potential_value="999")
    delete_contact(session, gone)
    add(session, alice, "other pipeline", "new_inquiry", contact_type="eviction_client")
    result = board(session, alice.id, PROSPECT)
    assert [c.stage.key for c in result.columns] == [s.key for s in PIPELINES[PROSPECT]]
    quote = next(c for c in result.columns if c.stage.key == "quote_sent")
    assert (quote.count, quote.value) == (4, Decimal("100.50"))
    assert [c.name for c in quote.cards] == ["soon", "late", "Amy undated", "zed undated"]
    empty = next(c for c in result.columns if c.stage.key == "won")
    assert (empty.count, empty.value, empty.cards) == (0, Decimal("0.00"), [])
    mine = board(session, alice.id, PROSPECT, view=View.MINE)
    quote = next(c for c in mine.columns if c.stage.key == "quote_sent")
    assert (quote.count, [c.name for c in quote.cards][-1]) == (3, "zed undated")
    assert {c.owner for c in quote.cards} == {"Alice"}


def test_a_column_shows_its_first_contacts_and_counts_them_all(
    session: Session, alice: User
) -> None:
    for i in range(7):
        add(session, alice, f"dated {i}", "prospect", next_followup_date=TODAY + timedelta(i))
        add(session, alice, f"undated {i}", "prospect")
    column = board(session, alice.id, PROSPECT, limit=9).columns[0]
    assert column.count == 14
    assert [c.name for c in column.cards] == [f"dated {i}" for i in range(7)] + [
        "undated 0",
        "undated 1",
    ]


def test_a_columns_totals_add_up_its_contacts_of_every_status(
    session: Session, alice: User
) -> None:
    add(session, alice, "active", "quote_sent", potential_value="10")
    add(session, alice, "dormant", "quote_sent", status="dormant", potential_value="2.5")
    add(session, alice, "lost", "quote_sent", status="lost")
    for view in View:
        column = next(
            c
            for c in board(session, alice.id, PROSPECT, view=view).columns
            if c.stage.key == "quote_sent"
        )
        assert (column.count, column.value, len(column.cards)) == (3, Decimal("12.50"), 3)
