"""Screens of many contacts, from a phone: /list with its filters and pages (edited in place),
/today, /dashboard, /export of the current filter, and the main menu's buttons."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from crm_core.services.contacts import create_contact, update_contact
from crm_core.services.csv_io import COLUMNS
from crm_core.services.trash import delete_contact
from tests.e2e.flows import (
    NOW,
    TODAY,
    day_label,
    press,
    press_edit,
    say,
    seed,
    tap,
)

JSON = dict[str, Any]


pytestmark = pytest.mark.usefixtures("phone_rules")


def listed(message: JSON) -> list[str]:
    """The names on a /list page, in order."""
    return [line[2:].split(" — ")[0] for line in message["text"].splitlines() if line[:2] == "• "]


def header(message: JSON) -> str:
    return message["text"].splitlines()[0]


# --- /list --------------------------------------------------------------------------------


async def test_list_pages_in_place_soonest_follow_up_first(bot, phone, session_factory, alice):
    # 23 contacts: follow-ups from 5 days ago onwards, seeded in a shuffled order, and three
    # with none (listed last, by name).
    order = [7, 3, 12, 0, 19, 5, 1, 16, 9, 14, 2, 18, 11, 6, 17, 4, 13, 8, 15, 10]
    for i in order:
        seed(session_factory, alice.id, f"C{i:02}", next_followup_date=TODAY + timedelta(i - 5))
    for name in ("Zoe None", "Amy None", "Max None"):
        seed(session_factory, alice.id, name)

    page = await say(phone, "/list")
    assert header(page) == "Team · all types · any status"
    assert page["text"].splitlines()[1] == ("23 contacts, page 1 of 3, soonest follow-up first:")
    assert listed(page) == [f"C{i:02}" for i in range(10)]
    assert f"• C00 — {day_label(TODAY - timedelta(5))} — OVERDUE by 5 days" in page["text"]
    assert f"• C05 — {day_label(TODAY)} (today)" in page["text"]
    buttons = phone.buttons(page)
    assert buttons[:9] == [
        "• All",
        "Eviction",
        "Prevention",
        "Partner",
        "• All",
        "Active",
        "Won",
        "Lost",
        "Dormant",
    ]
    assert "C00 · Eviction client · New Inquiry" in buttons
    assert buttons[-2:] == ["👤 My contacts", "Next »"]

    page = await press_edit(phone, page, "Next »")
    assert "page 2 of 3" in page["text"]
    assert listed(page) == [f"C{i:02}" for i in range(10, 20)]
    assert phone.buttons(page)[-3:] == ["« Prev", "👤 My contacts", "Next »"]

    page = await press_edit(phone, page, "Next »")
    assert listed(page) == ["Amy None", "Max None", "Zoe None"]
    assert "• Amy None — no follow-up" in page["text"]
    assert phone.buttons(page)[-2:] == ["« Prev", "👤 My contacts"]

    page = await press_edit(phone, page, "« Prev")
    assert "page 2 of 3" in page["text"]
    assert len(phone.messages) == 1  # one message, edited in place all along

    card = await press(phone, page, "C12 · Eviction client · New Inquiry")
    assert card["text"].startswith("C12\n")


async def test_next_continues_after_the_last_contact_shown_when_others_edit_meanwhile(
    bot, phone, session_factory, alice, bob
):
    ids = [
        seed(session_factory, alice.id, f"C{i:02}", next_followup_date=TODAY + timedelta(i))
        for i in range(25)
    ]
    page = await say(phone, "/list")
    assert listed(page) == [f"C{i:02}" for i in range(10)]
    # Another admin puts C03 off by a month and trashes C12 while this list is on screen. By
    # page number, page 2 would now start at C11 and C10 would never be seen.
    with session_factory.begin() as session:
        update_contact(
            session,
            ids[3],
            {"next_followup_date": TODAY + timedelta(40)},
            by_user_id=bob.id,
            today=TODAY,
        )
        delete_contact(session, ids[12])
    page = await press_edit(phone, page, "Next »")
    assert listed(page) == ["C10", "C11"] + [f"C{i:02}" for i in range(13, 21)]
    assert "24 contacts, page 2 of 3" in page["text"]
    page = await press_edit(phone, page, "Next »")
    assert listed(page) == [f"C{i:02}" for i in range(21, 25)] + ["C03"]
    assert phone.buttons(page)[-2:] == ["« Prev", "👤 My contacts"]
    page = await press_edit(phone, page, "« Prev")
    assert listed(page) == ["C10", "C11"] + [f"C{i:02}" for i in range(13, 21)]
    page = await press_edit(phone, page, "« Prev")
    assert listed(page) == ["C00", "C01", "C02"] + [f"C{i:02}" for i in range(4, 11)]
    assert "page 1 of 3" in page["text"]


@pytest.mark.parametrize(
    "data",
    ["lp:2:", "lp:2:x7", "lp:2:a", "lp:2:a999999999", "lp:2:a2147483648", "lp:2:b" + "9" * 20],
)
async def test_a_page_button_without_a_readable_edge_contact_shows_that_page_by_number(
    bot, phone, session_factory, alice, data
):
    """A button drawn before Next carried its edge contact, or one tampered with."""
    for i in range(15):
        seed(session_factory, alice.id, f"C{i:02}", next_followup_date=TODAY + timedelta(i))
    page = await say(phone, "/list")
    update = await phone.send_raw_update(
        {
            "callback_query": {
                "id": f"old-{data}",
                "from": dict(phone.user),
                "message": page,
                "chat_instance": "1",
                "data": data,
            }
        }
    )
    await phone.wait_answer(update)
    page = await phone.wait_edit(page)
    assert listed(page) == [f"C{i:02}" for i in range(10, 15)]
    assert "page 2 of 2" in page["text"]


async def test_list_filters_by_type_status_and_owner(
    bot, phone, bob_phone, session_factory, alice, bob
):
    seed(session_factory, alice.id, "Evie Eviction")
    seed(session_factory, alice.id, "Paul Prevention", "prevention_prospect")
    seed(session_factory, alice.id, "Wendy Won", "prevention_prospect", current_stage="won")
    seed(session_factory, bob.id, "Bob Prevention", "prevention_prospect")
    seed(session_factory, bob.id, "Pat Partner", "referral_partner")
    seed(session_factory, bob.id, "Dora Dormant", "referral_partner", current_stage="inactive")

    page = await say(phone, "/list")
    assert sorted(listed(page)) == sorted(
        [
            "Evie Eviction",
            "Paul Prevention",
            "Wendy Won",
            "Bob Prevention",
            "Pat Partner",
            "Dora Dormant",
        ]
    )

    page = await press_edit(phone, page, "Prevention")
    assert header(page) == "Team · Prevention prospects · any status"
    assert sorted(listed(page)) == ["Bob Prevention", "Paul Prevention", "Wendy Won"]
    assert "• Prevention" in phone.buttons(page)

    page = await press_edit(phone, page, "Won")
    assert header(page) == "Team · Prevention prospects · won"
    assert listed(page) == ["Wendy Won"]

    page = await press_edit(phone, page, "Active")
    assert sorted(listed(page)) == ["Bob Prevention", "Paul Prevention"]

    page = await press_edit(phone, page, "👤 My contacts")
    assert header(page) == "My contacts · Prevention prospects · active"
    assert listed(page) == ["Paul Prevention"]
    assert "👥 Show team" in phone.buttons(page)

    page = await press_edit(phone, page, "Partner")
    assert "No contacts match." in page["text"]
    page = await press_edit(phone, page, "👥 Show team")
    assert listed(page) == ["Pat Partner"]
    page = await press_edit(phone, page, "Dormant")
    assert listed(page) == ["Dora Dormant"]

    # Tapping the filter already chosen changes nothing and still answers.
    await tap(phone, page, "• Dormant")

    # The filters are remembered for the next /list.
    again = await say(phone, "/list")
    assert header(again) == "Team · Referral partners · dormant"

    # Bob has his own filters and his own contacts.
    bobs = await say(bob_phone, "/list")
    assert header(bobs) == "Team · all types · any status"
    mine = await press_edit(bob_phone, bobs, "👤 My contacts")
    assert sorted(listed(mine)) == ["Bob Prevention", "Dora Dormant", "Pat Partner"]


async def test_list_hides_deleted_contacts(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Kept")
    seed(session_factory, alice.id, "Binned")
    card = await say(phone, "/find Binned")
    prompt = await press_edit(phone, card, "🗑 Delete")
    await press_edit(phone, prompt, "Yes, delete")
    page = await say(phone, "/list")
    assert listed(page) == ["Kept"]


async def test_empty_list(bot, phone):
    page = await say(phone, "/list")
    assert "No contacts match. Change the filters or /add one." in page["text"]


# --- /today -------------------------------------------------------------------------------


async def test_today_lists_due_and_overdue_oldest_first(bot, phone, session_factory, alice, bob):
    seed(session_factory, alice.id, "Due Today", next_followup_date=TODAY)
    seed(session_factory, alice.id, "Week Late", next_followup_date=TODAY - timedelta(7))
    seed(session_factory, alice.id, "Day Late", next_followup_date=TODAY - timedelta(1))
    seed(session_factory, alice.id, "Tomorrow", next_followup_date=TODAY + timedelta(1))
    seed(session_factory, alice.id, "No Date")
    seed(session_factory, bob.id, "Bobs Today", next_followup_date=TODAY)

    today = await say(phone, "/today")
    lines = today["text"].splitlines()
    assert lines[0] == "Follow-ups — 1 due today, 2 overdue"
    assert lines[1:] == [
        f"• Week Late — {day_label(TODAY - timedelta(7))} — OVERDUE by 7 days",
        f"• Day Late — {day_label(TODAY - timedelta(1))} — OVERDUE by 1 day",
        f"• Due Today — {day_label(TODAY)} (today)",
    ]
    assert phone.buttons(today) == [
        "Week Late · Eviction client · New Inquiry",
        "Day Late · Eviction client · New Inquiry",
        "Due Today · Eviction client · New Inquiry",
    ]
    card = await press(phone, today, "Day Late · Eviction client · New Inquiry")
    assert card["text"].startswith("Day Late\n")
    assert "OVERDUE by 1 day" in card["text"]


async def test_today_with_nothing_due(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Later", next_followup_date=TODAY + timedelta(2))
    today = await say(phone, "/today")
    assert today["text"] == "Nothing due today. 🎉"


async def test_today_with_a_long_backlog_fits_one_message(bot, phone, session_factory, alice):
    for i in range(45):
        name = f"{i:02} " + "Backlogged Lettings Partnership " * 6
        seed(session_factory, alice.id, name[:200], next_followup_date=TODAY - timedelta(45 - i))
    today = await say(phone, "/today")
    lines = today["text"].splitlines()
    assert lines[0] == "Follow-ups — 0 due today, 45 overdue"
    assert lines[1].startswith("• 00 Backlogged")
    assert "OVERDUE by 45 days" in lines[1]
    assert lines[-1] == "…and 15 more, oldest first above."
    assert len(phone.buttons(today)) == 30


async def test_trash_with_many_long_names_fits_one_message(bot, phone, session_factory, alice):
    with session_factory.begin() as s:
        for i in range(35):
            name = (f"{i:02} " + "Binned Property Management " * 8)[:200]
            data = {"name": name, "contact_type": "eviction_client"}
            contact = create_contact(s, alice.id, data, today=TODAY)
            delete_contact(s, contact.id, now=NOW - timedelta(minutes=i))
    trash = await say(phone, "/trash")
    lines = trash["text"].splitlines()
    assert lines[1] == "35 contacts, page 1 of 4, most recently deleted first:"
    assert lines[2].startswith("• 00 Binned Property")
    assert lines[2].endswith("30 days left")
    assert len([line for line in lines if line.startswith("• ")]) == 10
    assert lines[-1] == "Search it: /trash and part of a name, email, company or phone."
    assert phone.buttons(trash)[-1] == "Next »"  # the rest a page away (issue 9)


# --- /dashboard ---------------------------------------------------------------------------


async def test_dashboard_mine_and_team(bot, phone, bob_phone, session_factory, alice, bob):
    seed(session_factory, alice.id, "A today", next_followup_date=TODAY, potential_value="500")
    seed(session_factory, alice.id, "A late 1", next_followup_date=TODAY - timedelta(1))
    seed(session_factory, alice.id, "A late 2", next_followup_date=TODAY - timedelta(9))
    seed(
        session_factory,
        alice.id,
        "A quote",
        "prevention_prospect",
        current_stage="quote_sent",
        potential_value="1000",
    )
    seed(session_factory, bob.id, "B today", next_followup_date=TODAY)
    seed(
        session_factory,
        bob.id,
        "B thinking",
        "prevention_prospect",
        current_stage="thinking_about_it",
        potential_value="2000.50",
    )
    seed(
        session_factory,
        bob.id,
        "B won",
        "prevention_prospect",
        current_stage="won",
        potential_value="9999",
    )
    board = await say(phone, "/dashboard")
    assert board["text"] == (
        "Mine\n"
        "Follow-ups today: 1\n"
        "Overdue: 2\n"
        "Quotes pending: 1\n"
        "Potential revenue: £1,500\n"
        "\n"
        "Team\n"
        "Follow-ups today: 2\n"
        "Overdue: 2\n"
        "Quotes pending: 2\n"
        "Potential revenue: £3,500.50\n"
        "\n"
        "Forecast (team)\n"
        "Weighted pipeline: £1,450.25\n"  # 500 × 10% + 1,000 × 40% + 2,000.50 × 50%
        "Paid this month: £0"
    )
    bobs = await say(bob_phone, "/dashboard")
    assert bobs["text"].startswith(
        "Mine\nFollow-ups today: 1\nOverdue: 0\nQuotes pending: 1\nPotential revenue: £2,000.50"
    )


# --- /export ------------------------------------------------------------------------------


def exported(double, phone) -> tuple[list[str], list[dict[str, str]], JSON]:
    [sent] = double.sent_documents(phone.chat_id)
    rows = list(csv.reader(io.StringIO(sent.data.decode("utf-8"))))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]], sent.message


async def test_export_sends_the_current_filter_as_csv(
    bot, phone, double, session_factory, alice, bob
):
    seed(
        session_factory,
        alice.id,
        'Paul, "the" Prospect',
        "prevention_prospect",
        email="paul@example.com",
        next_followup_date=TODAY + timedelta(3),
        potential_value="1500",
        property_address="Flat 1\n2 High St",
    )
    seed(
        session_factory,
        alice.id,
        "Early Prospect",
        "prevention_prospect",
        next_followup_date=TODAY,
    )
    seed(session_factory, alice.id, "Evie Eviction")
    seed(session_factory, bob.id, "Bobs Prospect", "prevention_prospect")

    page = await say(phone, "/list")
    page = await press_edit(phone, page, "Prevention")
    page = await press_edit(phone, page, "👤 My contacts")
    await phone.send("/export")
    document = await phone.wait_reply()
    head, rows, message = exported(double, phone)
    assert message["message_id"] == document["message_id"]
    assert document["caption"] == "2 contacts from your current /list filter."
    assert document["document"]["file_name"].endswith(".csv")
    assert head == list(COLUMNS)
    assert [r["name"] for r in rows] == ["Early Prospect", 'Paul, "the" Prospect']
    paul = rows[1]
    assert paul["email"] == "paul@example.com"
    assert paul["contact_type"] == "prevention_prospect"
    assert paul["next_followup_date"] == (TODAY + timedelta(3)).isoformat()
    assert paul["potential_value"] == "1500.00"
    assert paul["property_address"] == "Flat 1\n2 High St"
    assert paul["owner"] == str(alice.telegram_user_id)


async def test_export_of_the_whole_team_by_default(
    bot, phone, double, session_factory, alice, bob
):
    seed(session_factory, alice.id, "One")
    seed(session_factory, bob.id, "Two", "referral_partner")
    await phone.send("/export")
    document = await phone.wait_reply()
    assert document["caption"] == "2 contacts from your current /list filter."
    _, rows, _ = exported(double, phone)
    assert sorted(r["name"] for r in rows) == ["One", "Two"]


# --- the main menu ------------------------------------------------------------------------


async def test_main_menu_buttons(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Menu Mo", next_followup_date=TODAY)
    menu = await say(phone, "/start")
    assert phone.buttons(menu) == [
        "➕ Add contact",
        "🔎 Find",
        "📋 List",
        "📅 Today",
        "📊 Dashboard",
        "🗑 Trash",
    ]
    listing = await press(phone, menu, "📋 List")
    assert listed(listing) == ["Menu Mo"]
    today = await press(phone, menu, "📅 Today")
    assert "1 due today" in today["text"]
    board = await press(phone, menu, "📊 Dashboard")
    assert board["text"].startswith("Mine\nFollow-ups today: 1")
    trash = await press(phone, menu, "🗑 Trash")
    assert trash["text"] == "The trash is empty."
    helped = await say(phone, "/help")
    assert "/add" in helped["text"]
