"""The stage catalogue: the three pipelines, the status each stage implies, lookups."""

from __future__ import annotations

import pytest

from crm_core.stages import (
    PIPELINES,
    QUOTE_PENDING_STAGES,
    ContactType,
    Status,
    find_contact_type,
    find_stage,
    first_stage,
    get_stage,
    stage_name,
)


def names(ctype: ContactType) -> list[str]:
    return [s.name for s in PIPELINES[ctype]]


def test_eviction_pipeline():
    assert names(ContactType.EVICTION_CLIENT) == [
        "New Inquiry",
        "Client Pack Sent",
        "Awaiting Instruction",
        "Job Booked",
        "Job In Progress",
        "Invoiced",
        "Paid",
    ]


def test_prevention_pipeline():
    assert names(ContactType.PREVENTION_PROSPECT) == [
        "Prospect",
        "First Contact Made",
        "In Discussion",
        "Quote Sent",
        "Thinking About It",
        "Won",
        "Lost",
    ]


def test_referral_pipeline():
    assert names(ContactType.REFERRAL_PARTNER) == ["Active Partner", "Inactive"]


def test_every_contact_type_has_a_pipeline_with_unique_keys():
    assert set(PIPELINES) == set(ContactType)
    for stages in PIPELINES.values():
        keys = [s.key for s in stages]
        assert len(keys) == len(set(keys))
        assert all(len(k) <= 64 for k in keys)  # fits crm_contacts.current_stage


@pytest.mark.parametrize(
    ("ctype", "key", "status"),
    [
        (ContactType.EVICTION_CLIENT, "paid", Status.WON),
        (ContactType.PREVENTION_PROSPECT, "won", Status.WON),
        (ContactType.PREVENTION_PROSPECT, "lost", Status.LOST),
        (ContactType.REFERRAL_PARTNER, "inactive", Status.DORMANT),
    ],
)
def test_final_stages_imply_their_status(ctype, key, status):
    stage = get_stage(ctype, key)
    assert stage is not None
    assert stage.status is status


def test_every_other_stage_is_active():
    finals = {"paid", "won", "lost", "inactive"}
    others = [s for stages in PIPELINES.values() for s in stages if s.key not in finals]
    assert len(others) == 12
    assert all(s.status is Status.ACTIVE for s in others)


def test_first_stages():
    assert first_stage(ContactType.EVICTION_CLIENT).key == "new_inquiry"
    assert first_stage(ContactType.PREVENTION_PROSPECT).key == "prospect"
    assert first_stage(ContactType.REFERRAL_PARTNER).key == "active_partner"


@pytest.mark.parametrize("text", ["quote_sent", "Quote Sent", "  quote sent ", "QUOTE SENT"])
def test_find_stage_by_key_or_name(text):
    stage = find_stage(ContactType.PREVENTION_PROSPECT, text)
    assert stage is not None
    assert stage.key == "quote_sent"


def test_find_stage_only_within_the_pipeline():
    assert find_stage(ContactType.EVICTION_CLIENT, "Quote Sent") is None
    assert find_stage(ContactType.REFERRAL_PARTNER, "paid") is None
    assert get_stage(ContactType.EVICTION_CLIENT, "won") is None
    assert find_stage(ContactType.EVICTION_CLIENT, "") is None


def test_quote_pending_stages_are_prevention_stages():
    for key in QUOTE_PENDING_STAGES:
        assert get_stage(ContactType.PREVENTION_PROSPECT, key) is not None
    assert set(QUOTE_PENDING_STAGES) == {"quote_sent", "thinking_about_it"}


def test_stage_name_falls_back_to_the_key():
    assert stage_name("eviction_client", "job_booked") == "Job Booked"
    assert stage_name(ContactType.EVICTION_CLIENT, "gone") == "gone"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eviction_client", ContactType.EVICTION_CLIENT),
        ("Eviction client", ContactType.EVICTION_CLIENT),
        ("prevention prospect", ContactType.PREVENTION_PROSPECT),
        ("Referral-Partner", ContactType.REFERRAL_PARTNER),
        ("landlord", None),
    ],
)
def test_find_contact_type(text, expected):
    assert find_contact_type(text) is expected
    if expected is not None:
        assert expected.label in {"Eviction client", "Prevention prospect", "Referral partner"}
