"""What the cleaners let through is what the database stores (cleaners alone:
tests/unit/test_validation.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm_core.errors import ValidationError
from crm_core.services.contacts import create_contact
from crm_core.services.notes import add_note


@pytest.fixture
def make_contact(session, alice, today):
    def make(**fields):
        data = {"name": "Money", "contact_type": "eviction_client", **fields}
        return create_contact(session, alice.id, data, today=today)

    return make


def test_the_largest_amount_fits_the_column(session, make_contact):
    contact = make_contact(potential_value="9999999999.99", total_revenue="£9,999,999,999.99")
    session.expire(contact)
    assert contact.potential_value == Decimal("9999999999.99")
    assert contact.total_revenue == Decimal("9999999999.99")


def test_a_note_needs_a_visible_character(session, make_contact):
    contact = make_contact()
    with pytest.raises(ValidationError, match="can't be empty"):
        add_note(session, contact.id, None, "internal", "\u200b\u2060")
    note = add_note(session, contact.id, None, "internal", "\ufeffCalled\u200b")
    assert note.content == "Called"
