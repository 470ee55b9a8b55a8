"""The contact field registry: every column accounted for, every consumer derived from it."""

from __future__ import annotations

import pytest

from crm_core import fields
from crm_core.fields import FIELDS, INTERNAL
from crm_core.models import Contact
from crm_core.services.csv_io import COLUMNS


def test_every_contact_column_is_a_field_or_deliberately_internal():
    columns = set(Contact.__table__.c.keys())
    registered = [f.column for f in FIELDS]
    assert len(registered) == len(set(registered)), "a column in two entries"
    assert columns - INTERNAL - set(registered) == set(), "columns in no registry entry"
    assert set(registered) - columns == set(), "entries naming no column"
    assert columns >= INTERNAL, "internal names that are no column"
    assert not INTERNAL & set(registered), "a column both internal and a field"


def test_keys_are_unique_and_csv_positions_dense():
    assert len(fields.BY_KEY) == len(FIELDS)
    positions = sorted(f.csv for f in FIELDS if f.csv is not None)
    assert positions == list(range(len(positions)))


def test_csv_columns_keep_their_documented_order():
    """A new field's column may only come after these (import and old exports rely on it)."""
    documented = (
        "name", "email", "phone", "company", "contact_type", "how_found_us",
        "property_address", "service_type", "urgency_level", "current_stage", "status",
        "next_followup_date", "potential_value", "total_revenue", "total_jobs_referred", "owner",
    )  # fmt: skip
    assert COLUMNS[: len(documented)] == documented


def test_lengths_are_read_from_the_model():
    assert fields.MAX_LENGTHS["name"] == Contact.__table__.c.name.type.length
    assert fields.MAX_LENGTHS["property_address"] == 500
    assert fields.BY_KEY["potential_value"].max_length is None


def test_typed_fields_have_a_cleaner_and_asked_fields_a_question():
    for f in FIELDS:
        if f.ask:
            assert f.question is not None, f.key
            assert f.clean is not None, f.key
        if f.edit:
            assert f.question is not None, f.key


def test_consumers_derive_from_the_registry():
    from bot.conversations.add_contact import FIELDS as ADD
    from bot.views.forms import EDITABLE, LABELS, QUESTIONS
    from crm_core.services.contacts import CONTACT_FIELDS

    assert tuple(f.key for f in FIELDS if f.ask) == ADD
    assert EDITABLE == fields.EDITABLE
    assert set(QUESTIONS) == {f.key for f in FIELDS if f.question}
    assert LABELS is fields.LABELS
    assert CONTACT_FIELDS == fields.CONTACT_FIELDS


def test_property_address_is_not_asked_of_referral_partners():
    assert fields.applies("property_address", None)
    assert fields.applies("property_address", "eviction_client")
    assert not fields.applies("property_address", "referral_partner")
    assert fields.applies("company", "referral_partner")


def test_a_field_is_found_by_its_column_too():
    assert fields.BY_COLUMN["referred_by_id"] is fields.BY_KEY["referred_by"]
    assert fields.applies("referred_by_id", "eviction_client")
    with pytest.raises(KeyError):
        fields.applies("no_such_column", None)
