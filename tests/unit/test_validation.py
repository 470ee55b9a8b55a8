"""The cleaners of what people type: each returns the stored form or a sentence for a phone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm_core.errors import ValidationError
from crm_core.stages import ContactType
from crm_core.validation import (
    clean_contact_type,
    clean_count,
    clean_email,
    clean_field,
    clean_followup,
    clean_followup_at,
    clean_money,
    clean_name,
    clean_phone,
    clean_text,
    clean_urgency,
    parse_date,
)

TODAY = date(2026, 11, 23)  # a Monday


# --- names and text -------------------------------------------------------------------------


def test_names_are_trimmed_and_inner_spaces_collapsed():
    assert clean_name("  Jane \t  Smith \n") == "Jane Smith"


@pytest.mark.parametrize("raw", ["", "   ", None, "\x00\x07"])
def test_empty_names_are_rejected(raw):
    with pytest.raises(ValidationError) as info:
        clean_name(raw)
    assert info.value.field == "name"
    assert "can't be empty" in str(info.value)


def test_control_characters_are_dropped():
    assert clean_name("Jane\x00 Doe\x1b") == "Jane Doe"


@pytest.mark.parametrize(
    ("field", "limit"),
    [("name", 200), ("company", 200), ("property_address", 500), ("service_type", 200)],
)
def test_over_long_text_is_rejected_with_the_limit(field, limit):
    assert clean_field(field, "x" * limit) == "x" * limit
    with pytest.raises(ValidationError) as info:
        clean_field(field, "x" * (limit + 1))
    assert info.value.field == field
    assert str(limit) in str(info.value)
    assert str(limit + 1) in str(info.value)


def test_optional_text_blank_becomes_none():
    assert clean_text("company", "   ") is None
    assert clean_text("company", None) is None
    assert clean_text("company", "  Acme Ltd ") == "Acme Ltd"


# --- email ----------------------------------------------------------------------------------


def test_good_email_is_normalised_to_lower_case():
    assert clean_email("  Jane.Smith@Example.CO.UK ") == "jane.smith@example.co.uk"


def test_blank_email_is_none():
    assert clean_email("") is None
    assert clean_email(None) is None


def test_email_without_at_says_missing_at():
    with pytest.raises(ValidationError) as info:
        clean_email("jane.example.com")
    assert info.value.field == "email"
    assert str(info.value) == "That email address doesn't look right: missing @."


@pytest.mark.parametrize("raw", ["jane@", "jane@example", "ja ne@example.com", "a@b@c.com"])
def test_bad_emails_are_rejected_with_a_reason(raw):
    with pytest.raises(ValidationError) as info:
        clean_email(raw)
    assert str(info.value).startswith("That email address doesn't look right: ")


def test_email_too_long_is_rejected():
    with pytest.raises(ValidationError, match="too long"):
        clean_email("a" * 250 + "@example.com")


def test_email_check_makes_no_dns_lookup(monkeypatch):
    import socket

    import dns.resolver

    def no_network(*args, **kwargs):
        raise AssertionError("a DNS lookup was made")

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    assert clean_email("someone@no-such-domain-zz9-plural-z-alpha.co.uk") == (
        "someone@no-such-domain-zz9-plural-z-alpha.co.uk"
    )


# --- phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07700 900123", "+447700900123"),
        ("07700900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("(020) 7946 0958", "+442079460958"),
        ("+1 212 555 0100", "+12125550100"),
    ],
)
def test_phones_are_normalised_to_e164_with_gb_default(raw, expected):
    assert clean_phone(raw) == expected


def test_phone_region_can_be_changed():
    assert clean_phone("(212) 555-0100", region="US") == "+12125550100"


@pytest.mark.parametrize("raw", ["12", "abc", "0770"])
def test_bad_phones_are_rejected(raw):
    with pytest.raises(ValidationError) as info:
        clean_phone(raw)
    assert info.value.field == "phone"
    assert "phone number doesn't look right" in str(info.value)


def test_blank_phone_is_none():
    assert clean_phone("  ") is None


# --- money ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("£1,250.50", Decimal("1250.50")),
        ("1250", Decimal("1250.00")),
        ("1.2k", Decimal("1200.00")),
        ("GBP 99.9", Decimal("99.90")),
        (Decimal("12.5"), Decimal("12.50")),
        (300, Decimal("300.00")),
        ("0", Decimal("0.00")),
        ("10.125", Decimal("10.13")),  # pounds and pence round half up
        ("10.005", Decimal("10.01")),
        ("1500", Decimal("1500.00")),
        ("£1,500.50", Decimal("1500.50")),
        ("1.5k", Decimal("1500.00")),
        ("£2.25K", Decimal("2250.00")),
        ("1.2m", Decimal("1200000.00")),
        ("1 500", Decimal("1500.00")),
        ("£ 12,345", Decimal("12345.00")),
        ("300 pounds", Decimal("300.00")),
        ("750 GBP", Decimal("750.00")),
    ],
)
def test_money_is_gbp_with_two_decimals(raw, expected):
    value = clean_money("potential_value", raw)
    assert value == expected
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize("raw", ["-5", "-0.01", "£-1,000"])
def test_negative_money_is_rejected(raw):
    with pytest.raises(ValidationError) as info:
        clean_money("potential_value", raw)
    assert info.value.field == "potential_value"
    assert "negative" in str(info.value)


@pytest.mark.parametrize("raw", ["abc", "£", "NaN", "Infinity", "1.2.3", "1.5kk", "k", "15 00"])
def test_non_amounts_are_rejected(raw):
    with pytest.raises(ValidationError, match="amount in pounds"):
        clean_money("potential_value", raw)


@pytest.mark.parametrize("raw", ["1,50", "12,34,567", "1,5"])
def test_commas_out_of_thousands_are_explained(raw):
    with pytest.raises(ValidationError, match="comma I can't read"):
        clean_money("potential_value", raw)


@pytest.mark.parametrize("raw", ["10000000000", "9999999999.995", "1e12"])
def test_money_too_large_for_the_column_is_rejected(raw):
    with pytest.raises(ValidationError, match="too large"):
        clean_money("total_revenue", raw)


def test_blank_money():
    assert clean_money("potential_value", "") is None
    assert clean_money("potential_value", None) is None
    assert clean_field("total_revenue", None) == Decimal(0)


# --- counts, types, urgency -----------------------------------------------------------------


def test_counts_are_whole_and_not_negative():
    assert clean_count("total_jobs_referred", "12") == 12
    assert clean_count("total_jobs_referred", "") == 0
    for raw in ("-1", "1.5", "many"):
        with pytest.raises(ValidationError, match="whole number"):
            clean_count("total_jobs_referred", raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("eviction_client", ContactType.EVICTION_CLIENT),
        ("Prevention prospect", ContactType.PREVENTION_PROSPECT),
        ("referral-partner", ContactType.REFERRAL_PARTNER),
        (ContactType.REFERRAL_PARTNER, ContactType.REFERRAL_PARTNER),
    ],
)
def test_contact_type_by_key_or_label(raw, expected):
    assert clean_contact_type(raw) is expected


def test_unknown_contact_type_is_rejected():
    with pytest.raises(ValidationError) as info:
        clean_contact_type("plumber")
    assert info.value.field == "contact_type"


def test_urgency():
    assert clean_urgency("") == "normal"
    assert clean_urgency(" URGENT ") == "urgent"
    with pytest.raises(ValidationError, match="low, normal, high or urgent"):
        clean_urgency("asap")


def test_unknown_field_is_rejected():
    with pytest.raises(ValidationError) as info:
        clean_field("id", 5)
    assert info.value.field == "id"


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("1/12", date(2026, 12, 1)),  # UK order: day/month
        ("25/12/2026", date(2026, 12, 25)),
        ("3.1.27", date(2027, 1, 3)),
        ("today", TODAY),
        (" Tomorrow ", date(2026, 11, 24)),
        ("friday", date(2026, 11, 27)),
        ("Fri", date(2026, 11, 27)),
        ("in 2 weeks", date(2026, 12, 7)),
        ("in 3 days", date(2026, 11, 26)),
        ("1st December", date(2026, 12, 1)),
        ("2026-01-05", date(2026, 1, 5)),  # in the past: back-filling is allowed
        ("yesterday", date(2026, 11, 22)),
    ],
)
def test_dates_people_type(raw, expected):
    assert parse_date(raw, TODAY) == expected
    assert clean_followup(raw, TODAY) == expected


def test_a_date_object_and_blank_pass_through():
    assert parse_date(date(2027, 2, 3), TODAY) == date(2027, 2, 3)
    assert parse_date("", TODAY) is None
    assert parse_date(None, TODAY) is None


@pytest.mark.parametrize("raw", ["asdf qwe", "31/2", "32/1", "2026-13-01", "soonish"])
def test_garbage_dates_are_rejected_with_a_clear_sentence(raw):
    with pytest.raises(ValidationError) as info:
        clean_followup(raw, TODAY)
    assert info.value.field == "next_followup_date"
    assert str(info.value).startswith("I couldn't read that date.")
    assert "1/12 (day/month)" in str(info.value)


@pytest.mark.parametrize("raw", ["1999-12-31", "2040-01-01"])
def test_dates_far_away_are_rejected(raw):
    with pytest.raises(ValidationError, match="too far away"):
        clean_followup(raw, TODAY)


def test_clean_field_uses_the_given_today():
    assert clean_field("next_followup_date", "tomorrow", today=date(2030, 1, 31)) == date(
        2030, 2, 1
    )


def test_day_month_without_year_rolls_to_next_year_when_long_past() -> None:
    from crm_core.validation import parse_date

    assert parse_date("5/1", date(2026, 12, 28)) == date(2027, 1, 5)
    assert parse_date("1/11", date(2026, 11, 23)) == date(2026, 11, 1)  # a recent back-fill
    assert parse_date("5/1/2026", date(2026, 12, 28)) == date(2026, 1, 5)  # a year is kept


# --- issue 9: ambiguous commas, 29 February, invisible names ---------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,500", Decimal("1500.00")),
        ("£12,345,678.90", Decimal("12345678.90")),
        ("1,000k", Decimal("1000000.00")),
    ],
)
def test_commas_in_groups_of_three_are_thousands(raw, expected):
    assert clean_money("potential_value", raw) == expected


@pytest.mark.parametrize("raw", ["1,5", "1,50", "12,5000", ",500", "1,,500", "1,500,00", "1,5k"])
def test_a_comma_that_is_not_a_thousands_separator_is_asked_about(raw):
    """ "1,5" is one and a half in much of Europe and fifteen to nobody: never £15."""
    with pytest.raises(ValidationError) as info:
        clean_money("potential_value", raw)
    assert info.value.field == "potential_value"
    assert "comma" in str(info.value)
    assert "1.5" in str(info.value)  # says how to write it


@pytest.mark.parametrize(
    ("raw", "today", "expected"),
    [
        ("29/02", date(2026, 11, 23), date(2028, 2, 29)),  # 2027 has none: the next one
        ("29/2", date(2027, 1, 10), date(2028, 2, 29)),
        ("29.02", date(2028, 1, 10), date(2028, 2, 29)),  # this year's
        ("29/02", date(2028, 3, 10), date(2028, 2, 29)),  # a recent one: a back-fill
        ("29/02", date(2028, 11, 1), date(2032, 2, 29)),
        ("29/02 14:00", date(2026, 11, 23), date(2028, 2, 29)),
    ],
)
def test_day_month_without_year_is_the_next_such_date(raw, today, expected):
    assert clean_followup_at(raw, today)[0] == expected


@pytest.mark.parametrize("raw", ["30/02", "31/04", "29/02/2027"])
def test_a_day_that_never_comes_is_still_refused(raw):
    with pytest.raises(ValidationError, match="couldn't read that date"):
        clean_followup(raw, TODAY)


INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d\u2060\ufeff",  # zero-width (non-)joiner, word joiner, BOM
    "\u00ad",  # soft hyphen
    "\u202e\u202d",  # bidi overrides
    "\u3000\u00a0\u2028",  # ideographic space, no-break space, line separator
    "\u0301",  # a combining accent with nothing to sit on
    "\U000e0041",  # a tag character
]


@pytest.mark.parametrize("raw", INVISIBLE)
def test_a_name_needs_a_visible_character(raw):
    with pytest.raises(ValidationError, match="can't be empty"):
        clean_name(raw)
    with pytest.raises(ValidationError, match="can't be empty"):
        clean_name(f" {raw} ")


@pytest.mark.parametrize("raw", INVISIBLE)
def test_other_text_made_of_invisible_characters_is_blank(raw):
    assert clean_text("company", raw) is None


def test_invisible_characters_are_stripped_at_the_ends_only():
    assert clean_name("\u200bJane Smith\ufeff\u200d") == "Jane Smith"
    assert clean_text("company", "\u2060 Acme \u200b") == "Acme"
    # Inside a name they may be meaningful (Persian and Indic scripts join with them), and a
    # combining accent at the end belongs to the letter before it.
    assert clean_name("Mehr\u200cdad") == "Mehr\u200cdad"
    assert clean_name("Jose\u0301") == "José"  # NFC
    assert clean_name("Zoe\u0308\u200b") == "Zoë"
    assert clean_name("👩\u200d💻 Ada") == "👩\u200d💻 Ada"


def test_email_and_phone_lose_invisible_characters_at_the_ends():
    """Pasted from a web page or a chat, they often carry a zero-width space or a BOM."""
    assert clean_email("\u200bjane@example.com\ufeff") == "jane@example.com"
    assert clean_phone("\u2060 07700 900123\u200b") == "+447700900123"
    assert clean_email("\u200b") is None  # blank, not "doesn't look right"
    assert clean_phone("\u200b\u00a0") is None
