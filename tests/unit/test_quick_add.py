"""The one-line quick-add parser: every shape, the cleaners' verdicts, and nothing lost."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm_core.quick_add import parse_quick_add, split_parts
from crm_core.stages import ContactType

TODAY = date(2026, 11, 23)  # a Monday


def test_the_issue_example():
    got = parse_quick_add("Jane Smith, jane@example.com, 07700 900123, eviction", TODAY)
    assert got.values == {
        "name": "Jane Smith",
        "email": "jane@example.com",
        "phone": "+447700900123",
        "contact_type": ContactType.EVICTION_CLIENT,
    }
    assert got.unplaced == ()


def test_every_field_a_line_can_fill():
    got = parse_quick_add(
        "  Bob  Brown ; BOB@Example.COM; +44 (0)7700-900-456; Prevention prospect; fri; "
        "£1,500; urgent; Acme Lettings Ltd; 12 High St",
        TODAY,
    )
    assert got.values == {
        "name": "Bob Brown",
        "email": "bob@example.com",
        "phone": "+447700900456",
        "contact_type": ContactType.PREVENTION_PROSPECT,
        "next_followup_date": date(2026, 11, 27),
        "potential_value": Decimal("1500.00"),
        "urgency_level": "urgent",
        "company": "Acme Lettings Ltd",
        "property_address": "12 High St",
    }
    assert got.unplaced == ()


@pytest.mark.parametrize(
    ("word", "ctype"),
    [
        ("eviction", ContactType.EVICTION_CLIENT),
        ("Evict", ContactType.EVICTION_CLIENT),
        ("eviction client", ContactType.EVICTION_CLIENT),
        ("eviction_client", ContactType.EVICTION_CLIENT),
        ("prevention", ContactType.PREVENTION_PROSPECT),
        ("CCTV", ContactType.PREVENTION_PROSPECT),
        ("prospect", ContactType.PREVENTION_PROSPECT),
        ("partner", ContactType.REFERRAL_PARTNER),
        ("Referral", ContactType.REFERRAL_PARTNER),
        ("referral-partner", ContactType.REFERRAL_PARTNER),
    ],
)
def test_type_words_and_synonyms(word, ctype):
    assert parse_quick_add(f"Pat, {word}", TODAY).values["contact_type"] is ctype


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("fri", date(2026, 11, 27)),
        ("Friday", date(2026, 11, 27)),
        ("1/12", date(2026, 12, 1)),
        ("2026-12-03", date(2026, 12, 3)),
        ("tomorrow", date(2026, 11, 24)),
        ("in 2 weeks", date(2026, 12, 7)),
        ("next week", date(2026, 11, 30)),
        ("5th dec", date(2026, 12, 5)),
        ("follow up fri", date(2026, 11, 27)),
        ("call back 1/12", date(2026, 12, 1)),
        ("fri 9am", date(2026, 11, 27)),
    ],
)
def test_follow_up_dates(typed, day):
    got = parse_quick_add(f"Pat, {typed}", TODAY)
    assert got.values["next_followup_date"] == day
    assert got.unplaced == ()


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("£1,500", "1500.00"),
        ("£ 250.5", "250.50"),
        ("1.5k", "1500.00"),
        ("£2k", "2000.00"),
        ("£1,234,567", "1234567.00"),
    ],
)
def test_amounts_are_the_potential_value(typed, amount):
    got = parse_quick_add(f"Pat, {typed}, eviction", TODAY)
    assert got.values["potential_value"] == Decimal(amount)
    assert got.unplaced == ()


def test_a_thousands_comma_is_not_a_cut_but_other_commas_are():
    assert split_parts("Pat, £1,500, 1/12,07700 900123\nAcme Ltd;;") == [
        "Pat",
        "£1,500",
        "1/12",
        "07700 900123",
        "Acme Ltd",
    ]


def test_what_it_cannot_place_is_returned_as_typed():
    got = parse_quick_add("Pat Lee, eviction, rang twice, jane@example, 0770, 1500, Leeds", TODAY)
    assert got.values == {"name": "Pat Lee", "contact_type": ContactType.EVICTION_CLIENT}
    # Bad email and a too-short number fail their cleaners; a bare number and a town have no
    # shape: every one is kept.
    assert got.unplaced == ("rang twice", "jane@example", "0770", "1500", "Leeds")


def test_a_second_value_for_a_field_is_kept_not_overwritten():
    got = parse_quick_add(
        "Pat, a@example.com, b@example.com, eviction, partner, 07700 900123, 07700 900124",
        TODAY,
    )
    assert got.values["email"] == "a@example.com"
    assert got.values["contact_type"] is ContactType.EVICTION_CLIENT
    assert got.values["phone"] == "+447700900123"
    assert got.unplaced == ("b@example.com", "partner", "07700 900124")


@pytest.mark.parametrize(
    ("typed", "how"),
    [
        ("via Google", "Google"),
        ("found us on Facebook", "Facebook"),
        ("heard of us from Mr Jones", "Mr Jones"),
        ("Checkatrade", "Checkatrade"),
        ("word of mouth", "word of mouth"),
    ],
)
def test_how_they_found_us(typed, how):
    got = parse_quick_add(f"Pat, {typed}", TODAY)
    assert got.values["how_found_us"] == how
    assert got.unplaced == ()


def test_a_company_by_its_words():
    for company in ("Acme Lettings", "Smith & Co", "Northern Housing Trust", "Keys Estate Agents"):
        got = parse_quick_add(f"Pat, {company}", TODAY)
        assert got.values["company"] == company, company


def test_address_parts_join_and_partners_have_none():
    got = parse_quick_add("Pat, eviction, 12 High Street, LS1 4AB", TODAY)
    assert got.values["property_address"] == "12 High Street, LS1 4AB"
    got = parse_quick_add("Pat, Flat 2, 10 Oak Road, Leeds LS6 1AA", TODAY)
    assert got.values["property_address"] == "Flat 2, 10 Oak Road, Leeds LS6 1AA"
    got = parse_quick_add("Pat, partner, 12 High Street", TODAY)
    assert "property_address" not in got.values
    assert got.unplaced == ("12 High Street",)


def test_the_first_part_is_the_name_even_if_it_reads_as_something_else():
    got = parse_quick_add("May, eviction", TODAY)
    assert got.values["name"] == "May"
    assert "next_followup_date" not in got.values
    got = parse_quick_add("Partner, eviction", TODAY)
    assert (got.values["name"], got.values["contact_type"]) == (
        "Partner",
        ContactType.EVICTION_CLIENT,
    )


def test_a_first_part_that_is_an_email_or_phone_leaves_the_name_missing():
    got = parse_quick_add("jane@example.com, eviction", TODAY)
    assert "name" not in got.values
    assert got.values["email"] == "jane@example.com"
    got = parse_quick_add("07700 900123", TODAY)
    assert got.values == {"phone": "+447700900123"}


def test_a_name_over_the_limit_is_kept_as_typed():
    got = parse_quick_add("N" * 201 + ", eviction", TODAY)
    assert "name" not in got.values
    assert got.unplaced == ("N" * 201,)


def test_an_impossible_date_is_kept():
    got = parse_quick_add("Pat, 31/02, 2040-01-01", TODAY)
    assert "next_followup_date" not in got.values
    assert got.unplaced == ("31/02", "2040-01-01")


def test_empty_and_name_only():
    assert parse_quick_add("  ,, ;", TODAY).values == {}
    assert parse_quick_add("Jane Smith", TODAY).values == {"name": "Jane Smith"}
