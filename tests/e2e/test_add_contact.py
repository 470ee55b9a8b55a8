"""/add from a phone: every step, bad input at each, Skip and /skip, typed follow-ups, the
summary's Edit and Cancel, duplicate warnings, a shared phone contact, and leaving mid-way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.flows import (
    contacts,
    day_label,
    press,
    say,
    seed,
    tap,
)

JSON = dict[str, Any]

Q_NAME = "What's the contact's name?"
Q_TYPE = "What type of contact is this?"
Q_EMAIL = "Their email address?"
Q_PHONE = "Their phone number?"
Q_COMPANY = "Their company"
Q_ADDRESS = "The property address?"
Q_HOW = "How did they find us?"
Q_URGENCY = "How urgent is it?"
Q_FOLLOWUP = "Next follow-up?"
Q_VALUE = "Potential value in £?"
SUMMARY = "New contact — check and save:"


pytestmark = pytest.mark.usefixtures("phone_rules")


def asks(message: JSON, question: str, problem: str | None = None) -> None:
    """``message`` is ``question`` (after ``problem`` when one is given)."""
    text = message["text"]
    assert question in text, text
    if problem is None:
        assert "⚠️" not in text, text
    else:
        assert text.startswith("⚠️"), text
        assert problem in text, text
        assert text.index(problem) < text.index(question)


def summary_lines(message: JSON) -> dict[str, str]:
    text = message["text"]
    assert text.startswith(SUMMARY), text
    return dict(line.split(": ", 1) for line in text.splitlines()[1:])


async def test_every_step_rejects_bad_input_and_keeps_earlier_answers(bot, phone, session_factory):
    q = await say(phone, "/add")
    asks(q, Q_NAME)
    assert "Skip" not in phone.buttons(q)  # the name is required

    q = await say(phone, "N" * 201)
    asks(q, Q_NAME, "Name is too long: 201 characters, the limit is 200.")
    q = await say(phone, "/skip")
    asks(q, Q_NAME, "Name can't be skipped.")
    q = await say(phone, "  Jane   Smith ")
    asks(q, Q_TYPE)
    assert phone.buttons(q) == [
        "Eviction client",
        "Prevention prospect",
        "Referral partner",
        "Cancel",
    ]

    q = await say(phone, "a big one")
    asks(q, Q_TYPE, "Please tap one of the buttons below.")
    q = await press(phone, q, "Eviction client")
    asks(q, Q_EMAIL)

    q = await say(phone, "jane@example")
    asks(q, Q_EMAIL, "That email address doesn't look right")
    q = await say(phone, "jane.example.com")
    asks(q, Q_EMAIL, "missing @")
    q = await say(phone, "Jane@Example.com")
    asks(q, Q_PHONE)

    q = await say(phone, "call me maybe")
    asks(q, Q_PHONE, "That phone number doesn't look right")
    q = await say(phone, "0770")
    asks(q, Q_PHONE, "check the number of digits")
    q = await say(phone, "07700 900123")
    asks(q, Q_COMPANY)

    q = await say(phone, "C" * 201)
    asks(q, Q_COMPANY, "Company is too long: 201 characters, the limit is 200.")
    q = await say(phone, "Acme Lettings")
    asks(q, Q_ADDRESS)

    q = await say(phone, "A" * 501)
    asks(q, Q_ADDRESS, "Property address is too long")
    q = await say(phone, "1 High St, Leeds")
    asks(q, Q_HOW)

    q = await say(phone, "G" * 201)
    asks(q, Q_HOW, "How they found us is too long")
    q = await say(phone, "Google")
    asks(q, Q_URGENCY)

    q = await say(phone, "whenever")
    asks(q, Q_URGENCY, "Please tap one of the buttons below.")
    assert {"Low", "Normal", "High", "Urgent", "Skip", "Cancel"} <= set(phone.buttons(q))
    q = await press(phone, q, "Urgent")
    asks(q, Q_FOLLOWUP)
    assert {"Today", "Tomorrow", "In 3 days", "Next week", "Skip"} <= set(phone.buttons(q))

    q = await say(phone, "when pigs fly")
    asks(q, Q_FOLLOWUP, "I couldn't read that date")
    q = await say(phone, "31/02")
    asks(q, Q_FOLLOWUP, "I couldn't read that date")
    q = await say(phone, "2040-01-01")
    asks(q, Q_FOLLOWUP, "too far away")
    q = await press(phone, q, "Tomorrow")
    asks(q, Q_VALUE)

    q = await say(phone, "-5")
    asks(q, Q_VALUE, "Potential value can't be negative.")
    q = await say(phone, "lots")
    asks(q, Q_VALUE, "must be an amount in pounds")
    q = await say(phone, "£2,500")

    fields = summary_lines(q)
    assert fields == {
        "Name": "Jane Smith",
        "Type": "Eviction client",
        "Email": "jane@example.com",
        "Phone": "+447700900123",
        "Company": "Acme Lettings",
        "Property address": "1 High St, Leeds",
        "How they found us": "Google",
        "Urgency": "urgent",
        "Next follow-up": "Tue 24 Nov 2026 (tomorrow)",
        "Potential value": "£2,500",
    }
    assert phone.buttons(q) == ["✅ Save", "✏️ Edit", "Cancel"]

    old_summary = q
    q = await say(phone, "save it please")  # text where a button is needed: asked again
    asks(q, SUMMARY, "Please tap one of the buttons below.")
    assert phone.buttons(q) == ["✅ Save", "✏️ Edit", "Cancel"]
    answer = await tap(phone, old_summary, "✅ Save")  # only the latest message's buttons act
    assert answer["text"] == "That question is answered already; use the latest message below."
    saved = await press(phone, q, "✅ Save")
    assert saved["text"] == "✅ Saved Jane Smith."
    card = await phone.wait_reply()
    assert card["text"].startswith("Jane Smith\nEviction client")
    assert "📝 Note" in phone.buttons(card)

    [contact] = contacts(session_factory)
    assert (contact.name, contact.email, contact.phone) == (
        "Jane Smith",
        "jane@example.com",
        "+447700900123",
    )
    assert contact.urgency_level == "urgent"
    assert contact.next_followup_date == date(2026, 11, 24)
    assert contact.potential_value == Decimal("2500.00")
    assert contact.property_address == "1 High St, Leeds"
    assert contact.current_stage == "new_inquiry"


async def walk_to_summary(phone, skip) -> JSON:
    """Name and type, then every optional step skipped with ``skip(question)``."""
    q = await say(phone, "/add")
    q = await say(phone, "Skipper")
    q = await press(phone, q, "Prevention prospect")
    for question in (
        Q_EMAIL,
        Q_PHONE,
        Q_COMPANY,
        Q_ADDRESS,
        Q_HOW,
        Q_URGENCY,
        Q_FOLLOWUP,
        Q_VALUE,
    ):
        asks(q, question)
        q = await skip(q)
    return q


async def test_every_optional_step_skipped_with_the_button(bot, phone, session_factory):
    async def skip(q: JSON) -> JSON:
        return await press(phone, q, "Skip")

    summary = await walk_to_summary(phone, skip)
    fields = summary_lines(summary)
    assert fields["Name"] == "Skipper"
    assert all(v == "—" for k, v in fields.items() if k not in ("Name", "Type"))
    await press(phone, summary, "✅ Save")
    [contact] = contacts(session_factory)
    assert (contact.email, contact.phone, contact.potential_value) == (None, None, None)
    assert contact.urgency_level == "normal"
    assert contact.next_followup_date is None


async def test_every_optional_step_skipped_with_slash_skip(bot, phone, session_factory):
    async def skip(q: JSON) -> JSON:
        return await say(phone, "/skip")

    summary = await walk_to_summary(phone, skip)
    assert all(v == "—" for k, v in summary_lines(summary).items() if k not in ("Name", "Type"))
    await press(phone, summary, "✅ Save")
    assert [c.name for c in contacts(session_factory)] == ["Skipper"]


async def test_property_address_only_for_eviction_and_prevention(bot, phone):
    q = await say(phone, "/add")
    q = await say(phone, "Partner Pete")
    q = await press(phone, q, "Referral partner")
    for _ in range(3):  # email, phone, company
        q = await press(phone, q, "Skip")
    asks(q, Q_HOW)  # no property address for a partner
    for _ in range(4):
        q = await press(phone, q, "Skip")
    assert "Property address" not in summary_lines(q)


async def test_typed_follow_ups_and_summary_edit(bot, phone, session_factory):
    """Monday 23 November 2026: each typed form lands on the right day; Edit goes back to
    the summary with the other answers kept."""
    q = await say(phone, "/add")
    q = await say(phone, "Dated Dora")
    q = await press(phone, q, "Eviction client")
    q = await say(phone, "dora@example.com")
    for _ in range(5):  # phone, company, address, how found, urgency
        q = await press(phone, q, "Skip")
    asks(q, Q_FOLLOWUP)
    q = await say(phone, "2026-12-01")
    q = await press(phone, q, "Skip")  # value
    assert summary_lines(q)["Next follow-up"] == "Tue 01 Dec 2026"

    expected = {
        "1/12": date(2026, 12, 1),
        "friday": date(2026, 11, 27),
        "in 2 weeks": date(2026, 12, 7),
    }
    for typed, want in expected.items():
        q = await press(phone, q, "✏️ Edit")
        assert q["text"] == "Which field do you want to change?"
        q = await press(phone, q, "Next follow-up")
        asks(q, Q_FOLLOWUP)
        q = await say(phone, typed)
        fields = summary_lines(q)
        assert fields["Next follow-up"] == day_label(want), typed
        assert fields["Email"] == "dora@example.com"

    # A date in the past is accepted (admins back-fill) and shown as overdue.
    q = await press(phone, q, "✏️ Edit")
    q = await press(phone, q, "Next follow-up")
    q = await say(phone, "20/11")
    assert summary_lines(q)["Next follow-up"] == "Fri 20 Nov 2026 — OVERDUE by 3 days"

    # Edit another field, with a wrong answer first: the reason, the question, then summary.
    q = await press(phone, q, "✏️ Edit")
    q = await press(phone, q, "Potential value")
    q = await say(phone, "-1")
    asks(q, Q_VALUE, "can't be negative")
    q = await say(phone, "1.5k")
    fields = summary_lines(q)
    assert fields["Potential value"] == "£1,500"
    assert fields["Name"] == "Dated Dora"
    await press(phone, q, "✅ Save")
    card = await phone.wait_reply()
    assert "Next follow-up: Fri 20 Nov 2026 — OVERDUE by 3 days" in card["text"]
    [contact] = contacts(session_factory)
    assert contact.next_followup_date == date(2026, 11, 20)
    assert contact.potential_value == Decimal("1500.00")


async def test_summary_edit_of_the_type_and_back_without_a_change(bot, phone, session_factory):
    q = await say(phone, "/add")
    q = await say(phone, "Flip Flop")
    q = await press(phone, q, "Referral partner")
    for _ in range(7):
        q = await press(phone, q, "Skip")
    summary = q
    q = await press(phone, summary, "✏️ Edit")
    assert "Property address" not in phone.buttons(q)
    q = await press(phone, q, "« Back")  # changed my mind: the summary again, as it was
    assert summary_lines(q) == summary_lines(summary)

    q = await press(phone, q, "✏️ Edit")
    q = await press(phone, q, "Type")
    q = await press(phone, q, "Eviction client")
    # An eviction client has a property address: it is asked before the summary.
    asks(q, Q_ADDRESS)
    q = await say(phone, "2 Low Rd")
    fields = summary_lines(q)
    assert fields["Type"] == "Eviction client"
    assert fields["Property address"] == "2 Low Rd"
    await press(phone, q, "✅ Save")
    [contact] = contacts(session_factory)
    assert contact.contact_type == "eviction_client"
    assert contact.property_address == "2 Low Rd"


async def test_summary_cancel_saves_nothing(bot, phone, session_factory):
    q = await say(phone, "/add")
    q = await say(phone, "Never Saved")
    q = await press(phone, q, "Eviction client")
    for _ in range(8):
        q = await press(phone, q, "Skip")
    q = await press(phone, q, "Cancel")
    assert q["text"] == "Cancelled — nothing was saved."
    assert contacts(session_factory) == []
    # The form is gone: text is a search again.
    q = await say(phone, "Never")
    assert q["text"].startswith("No contact matches")


async def test_cancel_button_on_a_question(bot, phone, session_factory):
    q = await say(phone, "/add")
    q = await say(phone, "Half Done")
    q = await press(phone, q, "Cancel")
    assert q["text"] == "Cancelled — nothing was saved."
    assert contacts(session_factory) == []


async def test_slash_cancel_mid_wizard_says_nothing_was_saved(bot, phone, session_factory):
    q = await say(phone, "/add")
    q = await say(phone, "Half Done")
    q = await press(phone, q, "Prevention prospect")
    q = await say(phone, "/cancel")
    assert q["text"] == "Cancelled — nothing was saved."
    assert contacts(session_factory) == []
    q = await say(phone, "/cancel")
    assert q["text"] == "Nothing to cancel."


async def test_a_command_mid_wizard_leaves_it(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Listed Larry")
    q = await say(phone, "/add")
    q = await say(phone, "Half Done")
    await phone.send("/list")
    left = await phone.wait_reply()
    assert left["text"] == "Left the new-contact form; nothing was saved."
    listing = await phone.wait_reply()
    assert "Listed Larry" in listing["text"]
    q = await say(phone, "Larry")  # a search now, not an answer to the form
    assert q["text"].startswith("Listed Larry")
    assert [c.name for c in contacts(session_factory)] == ["Listed Larry"]


async def test_add_again_mid_wizard_starts_afresh(bot, phone):
    q = await say(phone, "/add")
    q = await say(phone, "First Try")
    q = await say(phone, "/add")
    asks(q, Q_NAME)


async def test_menu_button_starts_the_wizard(bot, phone):
    menu = await say(phone, "/start")
    q = await press(phone, menu, "➕ Add contact")
    asks(q, Q_NAME)


# --- duplicates ---------------------------------------------------------------------------


async def test_same_email_offers_to_open_the_existing_contact(bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith", email="jane@example.com")
    q = await say(phone, "/add")
    q = await say(phone, "Janet S")
    q = await press(phone, q, "Eviction client")
    warning = await say(phone, "JANE@example.com")
    assert warning["text"] == (
        "⚠️ This looks like a contact you already have:\n• Jane Smith (same email)"
    )
    assert phone.buttons(warning) == ["Open Jane Smith", "Continue anyway"]
    q = await say(phone, "hmm")  # text where a button is needed: the warning again
    asks(q, "This looks like a contact you already have", "Please tap one of the buttons")
    assert phone.buttons(q) == ["Open Jane Smith", "Continue anyway"]
    card = await press(phone, warning, "Open Jane Smith")  # opening is fine from any message
    assert card["text"].startswith("Jane Smith\n")
    assert f"#{jane}" in card["text"]
    # The form is over: text is a search.
    q = await say(phone, "Janet")
    assert q["text"].startswith("No contact matches")
    assert len(contacts(session_factory)) == 1


async def test_same_phone_written_differently_then_continue_anyway(
    bot, phone, session_factory, alice
):
    seed(session_factory, alice.id, "Phil Phone", phone="07700 900123")
    q = await say(phone, "/add")
    q = await say(phone, "Philip P")
    q = await press(phone, q, "Prevention prospect")
    q = await press(phone, q, "Skip")
    warning = await say(phone, "+44 (0)7700-900-123")
    assert "Phil Phone (same phone)" in warning["text"]
    q = await press(phone, warning, "Continue anyway")
    asks(q, Q_COMPANY)  # the next question: the phone was kept
    q = await say(phone, "Phone Co")  # no second warning about the same contact
    asks(q, Q_ADDRESS)
    for _ in range(5):
        q = await press(phone, q, "Skip")
    assert summary_lines(q)["Phone"] == "+447700900123"
    await press(phone, q, "✅ Save")
    assert [c.phone for c in contacts(session_factory)] == ["+447700900123"] * 2


async def test_similar_name_at_the_same_company(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Jane Smith", company="Acme Lettings")
    q = await say(phone, "/add")
    q = await say(phone, "Jane Smyth")
    q = await press(phone, q, "Eviction client")
    q = await press(phone, q, "Skip")
    q = await press(phone, q, "Skip")
    warning = await say(phone, "acme lettings")
    assert "Jane Smith (similar name at the same company)" in warning["text"]
    q = await press(phone, warning, "Continue anyway")
    asks(q, Q_ADDRESS)


async def test_a_different_person_at_the_same_company_is_not_a_duplicate(
    bot, phone, session_factory, alice
):
    seed(session_factory, alice.id, "Jane Smith", company="Acme Lettings")
    q = await say(phone, "/add")
    q = await say(phone, "Robert Brown")
    q = await press(phone, q, "Eviction client")
    q = await press(phone, q, "Skip")
    q = await press(phone, q, "Skip")
    q = await say(phone, "Acme Lettings")
    asks(q, Q_ADDRESS)


# --- a shared phone contact ---------------------------------------------------------------


async def test_shared_contact_starts_the_wizard_with_name_and_phone(bot, phone, session_factory):
    await phone.share_contact("+44 7700 900456", "Sam", "Jones")
    q = await phone.wait_reply()
    asks(q, Q_TYPE)  # name and phone are known
    q = await press(phone, q, "Eviction client")
    asks(q, Q_EMAIL)
    q = await press(phone, q, "Skip")
    asks(q, Q_COMPANY)  # the phone isn't asked again
    for _ in range(6):
        q = await press(phone, q, "Skip")
    fields = summary_lines(q)
    assert fields["Name"] == "Sam Jones"
    assert fields["Phone"] == "+447700900456"
    await press(phone, q, "✅ Save")
    [contact] = contacts(session_factory)
    assert (contact.name, contact.phone) == ("Sam Jones", "+447700900456")


async def test_shared_contact_of_someone_we_have(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Sam Jones", phone="07700900456")
    await phone.share_contact("447700900456", "Samuel")
    warning = await phone.wait_reply()
    assert "Sam Jones (same phone)" in warning["text"]
    card = await press(phone, warning, "Open Sam Jones")
    assert card["text"].startswith("Sam Jones\n")


async def test_shared_contact_with_a_bad_number_asks_for_it(bot, phone):
    await phone.share_contact("12", "Odd")
    note = await phone.wait_reply()
    assert "didn't look right" in note["text"]
    q = await phone.wait_reply()
    asks(q, Q_TYPE)
    q = await press(phone, q, "Eviction client")
    q = await press(phone, q, "Skip")
    asks(q, Q_PHONE)


async def test_old_question_buttons_do_nothing(bot, phone, session_factory):
    """A thumb on an earlier question's Skip must not skip the question being asked."""
    q = await say(phone, "/add")
    q = await say(phone, "Careful Cara")
    type_question = q
    q = await press(phone, q, "Eviction client")
    email_question = q
    q = await say(phone, "cara@example.com")
    asks(q, Q_PHONE)
    for old, label in [(email_question, "Skip"), (type_question, "Referral partner")]:
        answer = await tap(phone, old, label)
        assert "answered already" in answer["text"]
    await phone.wait_idle()
    assert phone.last_message["message_id"] == q["message_id"]  # nothing new was asked
    q = await say(phone, "07700 900777")
    asks(q, Q_COMPANY)
    for _ in range(6):
        q = await press(phone, q, "Skip")
    fields = summary_lines(q)
    assert (fields["Type"], fields["Phone"]) == ("Eviction client", "+447700900777")


async def test_slash_skip_at_the_summary_keeps_the_form(bot, phone, session_factory):
    q = await say(phone, "/add")
    q = await say(phone, "Habit Hal")
    q = await press(phone, q, "Eviction client")
    for _ in range(8):
        q = await say(phone, "/skip")
    q = await say(phone, "/skip")  # one too many
    asks(q, SUMMARY, "Please tap one of the buttons below.")
    q = await press(phone, q, "✏️ Edit")
    q = await say(phone, "/skip")
    asks(q, "Which field do you want to change?", "Please tap one of the buttons below.")
    q = await press(phone, q, "« Back")
    await press(phone, q, "✅ Save")
    assert [c.name for c in contacts(session_factory)] == ["Habit Hal"]


async def test_save_tapped_twice_saves_once(bot, phone, session_factory):
    q = await say(phone, "/add")
    q = await say(phone, "Double Tap")
    q = await press(phone, q, "Eviction client")
    for _ in range(8):
        q = await press(phone, q, "Skip")
    first = await phone.click(q, "✅ Save")
    second = await phone.click(q, "✅ Save")
    await phone.wait_answer(first)
    answer = await phone.wait_answer(second)
    assert answer.get("text")  # told, not silently ignored
    assert [c.name for c in contacts(session_factory)] == ["Double Tap"]
