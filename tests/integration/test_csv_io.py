"""Contacts CSV: export -> import -> export is identical; bad rows are reported, never
half-written."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from crm_core.models import Contact, StageChange, User
from crm_core.services.contacts import create_contact
from crm_core.services.csv_io import (
    COLUMNS,
    CSVImportError,
    RowError,
    export_contacts,
    import_contacts,
)
from crm_core.services.listing import ContactFilter, View, iter_filtered

HEADER = ",".join(COLUMNS)


def csv_of(*lines: str, header: str = HEADER) -> io.StringIO:
    return io.StringIO("\r\n".join([header, *lines]) + "\r\n")


def export_all(session_factory) -> str:
    out = io.StringIO(newline="")
    with session_factory() as s:
        export_contacts(s, out, iter_filtered(s, 0, ContactFilter(view=View.TEAM)))
    return out.getvalue()


def count_contacts(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(Contact)) or 0


def imported(session_factory) -> dict[str, Contact]:
    with session_factory() as s:
        return {c.name: c for c in s.scalars(select(Contact))}


def run_import(session_factory, source, today, **kwargs):
    with session_factory.begin() as s:
        return import_contacts(s, source, today=today, **kwargs)


def seed_varied(session_factory, alice, bob, today) -> None:
    rows = [
        (
            alice,
            {
                "name": "Jane Smith",
                "contact_type": "prevention_prospect",
                "email": "Jane.Smith@Example.co.uk",
                "phone": "07700 900123",
                "company": "Smith Lettings",
                "how_found_us": "Google",
                "property_address": "1 High St, Leeds LS1 1AA",
                "service_type": "CCTV",
                "urgency_level": "high",
                "current_stage": "quote_sent",
                "next_followup_date": today + timedelta(days=3),
                "potential_value": "1,250.5",
                "total_revenue": "0",
            },
        ),
        (
            bob,
            {
                "name": "Omar Patel",
                "contact_type": "eviction_client",
                "phone": "+1 415 555 2671",
                "current_stage": "paid",
                "total_revenue": "980",
                "next_followup_date": today - timedelta(days=10),
            },
        ),
        (
            bob,
            {
                "name": 'Gemma O\'Neil, "Gem"',
                "contact_type": "referral_partner",
                "company": 'Comma, Quote "and" Co',
                "total_jobs_referred": "12",
                "current_stage": "inactive",
            },
        ),
        (
            alice,
            {
                "name": "Zoë Ångström",
                "contact_type": "eviction_client",
                "email": "zoe@example.com",
                "status": "dormant",
            },
        ),
        # Same name and date: the order between them must survive the round trip.
        (
            alice,
            {
                "name": "Twin",
                "contact_type": "eviction_client",
                "email": "a@example.com",
                "next_followup_date": today,
            },
        ),
        (
            bob,
            {
                "name": "Twin",
                "contact_type": "eviction_client",
                "email": "b@example.com",
                "next_followup_date": today,
            },
        ),
    ]
    with session_factory.begin() as s:
        for owner, data in rows:
            create_contact(s, owner.id, data, today=today)


def test_export_writes_keys_and_canonical_forms(session_factory, alice, bob, today):
    seed_varied(session_factory, alice, bob, today)
    lines = export_all(session_factory).splitlines()
    assert lines[0] == HEADER
    jane = next(line for line in lines if line.startswith("Jane Smith"))
    assert jane == (
        "Jane Smith,jane.smith@example.co.uk,+447700900123,Smith Lettings,prevention_prospect,"
        'Google,"1 High St, Leeds LS1 1AA",CCTV,high,quote_sent,active,'
        f"{(today + timedelta(days=3)).isoformat()},1250.50,0.00,0,{alice.telegram_user_id}"
    )


def test_round_trip_is_identical(session_factory, alice, bob, today):
    seed_varied(session_factory, alice, bob, today)
    first = export_all(session_factory)
    with session_factory.begin() as s:
        s.execute(delete(Contact))
    result = run_import(session_factory, io.StringIO(first, newline=""), today)
    assert result.imported == 6
    assert result.skipped == []
    assert export_all(session_factory) == first


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(session_factory, alice, today):
    source = csv_of(
        "Good One,,,,eviction_client,,,,,,,,,,,",
        "Bad Email,janex.com,,,eviction_client,,,,,,,,,,,",
        "Good Two,,,,eviction_client,,,,,,,,,,,",
        "Bad Date,,,,eviction_client,,,,,,,01/12/2026,,,,",
        "Bad Stage,,,,referral_partner,,,,,won,,,,,,",
        "Bad Money,,,,eviction_client,,,,,,,,-5,,,",
    )
    with pytest.raises(CSVImportError) as caught:
        run_import(session_factory, source, today)
    assert caught.value.errors == [
        RowError(3, "That email address doesn't look right: missing @."),
        RowError(5, "The follow-up date '01/12/2026' must be written as YYYY-MM-DD."),
        RowError(6, "'won' is not a stage for Referral partners."),
        RowError(7, "Potential value can't be negative."),
    ]
    first_error = str(caught.value.errors[0])
    assert first_error == "line 3: That email address doesn't look right: missing @."
    assert count_contacts(session_factory) == 0
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(StageChange)) == 0


def test_skip_bad_imports_the_good_rows(session_factory, alice, today):
    source = csv_of(
        "Good One,,,,eviction_client,,,,,,,,,,,",
        "Bad Email,janex.com,,,eviction_client,,,,,,,,,,,",
        "Good Two,,,,eviction_client,,,,,,,,,,,",
        ",,,,eviction_client,,,,,,,,,,,",
    )
    result = run_import(session_factory, source, today, skip_bad=True)
    assert result.imported == 2
    assert [e.line for e in result.skipped] == [3, 5]
    assert result.skipped[1].message == "Name can't be empty."
    assert sorted(imported(session_factory)) == ["Good One", "Good Two"]


def test_display_names_for_type_and_stage(session_factory, alice, today):
    source = csv_of(
        "A,,,,Prevention prospect,,,,,Thinking About It,,,,,,",
        "B,,,,eviction client,,,,,job in progress,,,,,,",
        "C,,,,Referral partner,,,,,Inactive,,,,,,",
    )
    run_import(session_factory, source, today)
    got = imported(session_factory)
    assert (got["A"].contact_type, got["A"].current_stage) == (
        "prevention_prospect",
        "thinking_about_it",
    )
    assert (got["B"].contact_type, got["B"].current_stage) == (
        "eviction_client",
        "job_in_progress",
    )
    assert (got["C"].current_stage, got["C"].status) == ("inactive", "dormant")


def test_stage_implies_status_unless_given(session_factory, alice, today):
    source = csv_of(
        "Won,,,,prevention_prospect,,,,,Won,,,,,,",
        "Parked,,,,eviction_client,,,,,,dormant,,,,,",
    )
    run_import(session_factory, source, today)
    got = imported(session_factory)
    assert got["Won"].status == "won"
    assert (got["Parked"].current_stage, got["Parked"].status) == ("new_inquiry", "dormant")


def test_owner_by_telegram_id_by_name_and_default(session_factory, alice, bob, today):
    source = csv_of(
        f"By Id,,,,eviction_client,,,,,,,,,,,{bob.telegram_user_id}",
        "By Name,,,,eviction_client,,,,,,,,,,,bob",
        "Default,,,,eviction_client,,,,,,,,,,,",
    )
    run_import(session_factory, source, today)
    got = imported(session_factory)
    assert got["By Id"].owner_id == bob.id
    assert got["By Name"].owner_id == bob.id
    assert got["Default"].owner_id == alice.id  # the first admin


def test_default_owner_can_be_chosen(session_factory, alice, bob, today):
    run_import(
        session_factory,
        csv_of("Default,,,,eviction_client,,,,,,,,,,,"),
        today,
        default_owner_id=bob.id,
    )
    assert imported(session_factory)["Default"].owner_id == bob.id


def test_unknown_or_inactive_owner_is_a_bad_row(session_factory, alice, bob, today):
    with session_factory.begin() as s:
        s.get(User, bob.id).active = False
    source = csv_of(
        "Nobody,,,,eviction_client,,,,,,,,,,,Zed",
        "Unknown Id,,,,eviction_client,,,,,,,,,,,999",
        f"Former,,,,eviction_client,,,,,,,,,,,{bob.telegram_user_id}",
    )
    with pytest.raises(CSVImportError) as caught:
        run_import(session_factory, source, today)
    assert caught.value.errors == [
        RowError(2, "No admin called 'Zed'."),
        RowError(3, "No admin called '999'."),
        RowError(4, f"The admin '{bob.telegram_user_id}' is no longer active."),
    ]


def test_fewer_columns_any_order_and_a_byte_order_mark(session_factory, alice, today):
    source = io.StringIO(
        "\ufeffcontact_type,Name,next_followup_date\r\neviction_client,Solo,2026-12-25\r\n\r\n"
    )
    result = run_import(session_factory, source, today)
    assert result.imported == 1
    assert imported(session_factory)["Solo"].next_followup_date == date(2026, 12, 25)


def test_line_numbers_count_multiline_cells(session_factory, alice, today):
    source = io.StringIO(
        "name,property_address,contact_type,email\r\n"
        'A,"Flat 1\r\n2 Long Road\r\nLeeds",eviction_client,\r\n'
        "B,,eviction_client,nope\r\n"
    )
    with pytest.raises(CSVImportError) as caught:
        run_import(session_factory, source, today)
    assert [e.line for e in caught.value.errors] == [5]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty: it needs a header row."),
        ("name,contact_type,colour\r\n", "Unknown column 'colour'"),
        ("email,phone\r\n", "The header has no 'name' column."),
        ("name,contact_type,name\r\n", "The column 'name' appears twice."),
    ],
)
def test_header_problems(session_factory, alice, today, text, message):
    with pytest.raises(CSVImportError) as caught:
        run_import(session_factory, io.StringIO(text), today)
    [error] = caught.value.errors
    assert error.line == 1
    assert error.message.startswith(message)


def test_wrong_number_of_values(session_factory, alice, today):
    source = io.StringIO("name,contact_type\r\nA,eviction_client,extra\r\n")
    with pytest.raises(CSVImportError) as caught:
        run_import(session_factory, source, today)
    assert caught.value.errors == [
        RowError(2, "This row has 3 values but the header has 2 columns.")
    ]


def test_impossible_date_and_money_forms(session_factory, alice, today):
    def source() -> io.StringIO:
        return csv_of(
            "A,,,,eviction_client,,,,,,,2026-02-30,,,,",
            "B,,,,eviction_client,,,,,,,,£1.2k,,,",
        )

    with pytest.raises(CSVImportError) as caught:
        run_import(session_factory, source(), today)
    assert caught.value.errors == [
        RowError(2, "The follow-up date '2026-02-30' doesn't exist."),
    ]
    result = run_import(session_factory, source(), today, skip_bad=True)
    assert result.imported == 1
    assert imported(session_factory)["B"].potential_value == Decimal("1200.00")


def test_formula_like_text_is_neutralised_and_round_trips(session_factory, alice, today):
    """A name typed as "=HYPERLINK(...)" must not run when the export is opened in a
    spreadsheet, and must come back exactly as typed on import."""
    with session_factory.begin() as s:
        create_contact(
            s,
            alice.id,
            {
                "name": '=HYPERLINK("http://x","y")',
                "contact_type": "eviction_client",
                "company": "+Plus Ltd",
                "how_found_us": "@twitter",
                "phone": "+447700900123",
            },
            today=today,
        )
    first = export_all(session_factory)
    row = first.splitlines()[1]
    assert row.startswith("\"'=HYPERLINK(")
    assert ",'+Plus Ltd," in row
    assert ",'@twitter," in row
    assert ",+447700900123," in row  # a validated phone number is left as it is
    with session_factory.begin() as s:
        s.execute(delete(Contact))
    run_import(session_factory, io.StringIO(first, newline=""), today)
    assert set(imported(session_factory)) == {'=HYPERLINK("http://x","y")'}
    assert imported(session_factory)['=HYPERLINK("http://x","y")'].company == "+Plus Ltd"
    assert export_all(session_factory) == first
