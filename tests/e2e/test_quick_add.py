"""Fewer taps from a phone: a contact on one line (after /add or as the first answer), "Save
now" on the add form's optional questions, and "Add as contact" under a forwarded message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.e2e.flows import contacts, notes_of, press, say, seed, tap
from tests.e2e.test_add_contact import Q_EMAIL, Q_NAME, Q_PHONE, Q_TYPE, summary_lines

NOT_RECOGNISED = "Not recognised (kept as a note)"
JANE = {"id": 4242, "is_bot": False, "first_name": "Jane", "last_name": "Smith"}

pytestmark = pytest.mark.usefixtures("phone_rules")


# --- one line ------------------------------------------------------------------------------


async def test_one_line_after_add_and_one_tap_to_save(bot, phone, session_factory):
    q = await say(phone, "/add Jane Smith, jane@example.com, 07700 900123, eviction, fri, £1,500")
    fields = summary_lines(q)
    assert fields == {
        "Name": "Jane Smith",
        "Type": "Eviction client",
        "Email": "jane@example.com",
        "Phone": "+447700900123",
        "Company": "—",
        "Property address": "—",
        "How they found us": "—",
        "Urgency": "—",
        "Next follow-up": "Fri 27 Nov 2026",
        "Potential value": "£1,500",
    }
    assert phone.buttons(q) == ["✅ Save", "✏️ Edit", "Cancel"]
    saved = await press(phone, q, "✅ Save")
    assert saved["text"] == "✅ Saved Jane Smith."
    [contact] = contacts(session_factory)
    assert (contact.name, contact.email, contact.phone, contact.contact_type) == (
        "Jane Smith",
        "jane@example.com",
        "+447700900123",
        "eviction_client",
    )
    assert contact.next_followup_date == date(2026, 11, 27)
    assert contact.potential_value == Decimal("1500.00")
    assert notes_of(session_factory, contact.id) == []  # everything was placed


async def test_without_a_type_word_only_the_type_is_asked(bot, phone, session_factory):
    q = await say(phone, "/add Bob Brown, bob@example.com, Acme Lettings")
    assert Q_TYPE in q["text"]
    q = await press(phone, q, "Referral partner")
    fields = summary_lines(q)  # no optional question in between
    assert (fields["Name"], fields["Company"], fields["Type"]) == (
        "Bob Brown",
        "Acme Lettings",
        "Referral partner",
    )
    await press(phone, q, "✅ Save")
    [contact] = contacts(session_factory)
    assert (contact.company, contact.contact_type) == ("Acme Lettings", "referral_partner")


async def test_the_same_line_after_tapping_add_contact(bot, phone, session_factory):
    menu = await say(phone, "/start")
    q = await press(phone, menu, "➕ Add contact")
    assert Q_NAME in q["text"]
    assert "Or the whole contact on one line: Jane Smith, jane@example.com" in q["text"]
    q = await say(phone, "Jane Smith, jane@example.com, 07700 900123, eviction")
    assert summary_lines(q)["Phone"] == "+447700900123"
    await press(phone, q, "✅ Save")
    assert [c.email for c in contacts(session_factory)] == ["jane@example.com"]


async def test_add_with_just_a_name_asks_the_type_then_sums_up(bot, phone, session_factory):
    q = await say(phone, "/add Jane Smith")
    assert Q_TYPE in q["text"]
    q = await press(phone, q, "Eviction client")
    assert summary_lines(q)["Name"] == "Jane Smith"
    await press(phone, q, "✅ Save")
    assert [c.name for c in contacts(session_factory)] == ["Jane Smith"]


async def test_a_plain_name_still_walks_the_form(bot, phone):
    q = await say(phone, "/add")
    q = await say(phone, "Jane Smith")
    assert Q_TYPE in q["text"]
    q = await press(phone, q, "Eviction client")
    assert Q_EMAIL in q["text"]  # the step-by-step form goes on


async def test_what_is_not_recognised_is_shown_and_kept_as_a_note(bot, phone, session_factory):
    q = await say(phone, "/add Pat Lee, eviction, rang twice <re tenant>, jane@example")
    fields = summary_lines(q)
    assert fields[NOT_RECOGNISED] == "rang twice <re tenant> · jane@example"
    assert fields["Email"] == "—"
    await press(phone, q, "✅ Save")
    [contact] = contacts(session_factory)
    [note] = notes_of(session_factory, contact.id)
    assert note.content == (
        "Typed in the quick add, not recognised: rang twice <re tenant>; jane@example"
    )


async def test_an_address_for_what_turns_out_a_partner_is_kept(bot, phone, session_factory):
    q = await say(phone, "/add Pat Lee, 12 High Street")
    q = await press(phone, q, "Referral partner")
    fields = summary_lines(q)
    assert "Property address" not in fields
    assert fields[NOT_RECOGNISED] == "12 High Street"
    await press(phone, q, "✅ Save")
    [contact] = contacts(session_factory)
    assert [n.content for n in notes_of(session_factory, contact.id)] == [
        "Typed in the quick add, not recognised: 12 High Street"
    ]


async def test_name_missing_is_asked_then_the_type(bot, phone, session_factory):
    q = await say(phone, "/add jane@example.com, 07700 900123")
    assert Q_NAME in q["text"]
    q = await say(phone, "Jane, Smith")  # a name now, not another quick add
    assert Q_TYPE in q["text"]
    q = await press(phone, q, "Prevention prospect")
    assert summary_lines(q)["Name"] == "Jane, Smith"


async def test_edit_from_a_quick_summary_comes_back_to_it(bot, phone, session_factory):
    q = await say(phone, "/add Jane Smith, eviction")
    q = await press(phone, q, "✏️ Edit")
    q = await press(phone, q, "Phone")
    assert Q_PHONE in q["text"]
    assert "✅ Save now" not in phone.buttons(q)  # an edit goes back to the summary anyway
    q = await say(phone, "0770")
    assert "check the number of digits" in q["text"]
    q = await say(phone, "07700 900999")
    fields = summary_lines(q)
    assert (fields["Name"], fields["Phone"]) == ("Jane Smith", "+447700900999")


async def test_a_quick_add_of_someone_we_have_warns_first(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Jane Smith", email="jane@example.com")
    warning = await say(phone, "/add Janet S, JANE@example.com, eviction")
    assert "Jane Smith (same email)" in warning["text"]
    q = await press(phone, warning, "Continue anyway")
    assert summary_lines(q)["Name"] == "Janet S"
    await press(phone, q, "✅ Save")
    assert len(contacts(session_factory)) == 2


# --- Save now ------------------------------------------------------------------------------


async def test_save_now_once_name_and_type_are_in(bot, phone, session_factory):
    q = await say(phone, "/add")
    assert "✅ Save now" not in phone.buttons(q)
    q = await say(phone, "Jane Smith")
    assert "✅ Save now" not in phone.buttons(q)  # the type is required
    q = await press(phone, q, "Eviction client")
    assert phone.buttons(q) == ["Skip", "✅ Save now", "Cancel"]
    q = await say(phone, "jane@example.com")
    assert Q_PHONE in q["text"]
    saved = await press(phone, q, "✅ Save now")
    assert saved["text"] == "✅ Saved Jane Smith."
    card = await phone.wait_reply()
    assert card["text"].startswith("Jane Smith\nEviction client")
    [contact] = contacts(session_factory)
    assert (contact.email, contact.phone, contact.urgency_level) == (
        "jane@example.com",
        None,
        "normal",
    )
    q = await say(phone, "Jane")  # the form is over: text is a search
    assert q["text"].startswith("Jane Smith")


async def test_save_now_still_stops_at_a_duplicate(bot, phone, session_factory, alice):
    q = await say(phone, "/add")
    q = await say(phone, "Jane Smith")
    q = await press(phone, q, "Eviction client")
    q = await say(phone, "jane@example.com")
    # Meanwhile another admin adds her.
    seed(session_factory, alice.id, "Jane S", email="jane@example.com")
    warning = await press(phone, q, "✅ Save now")
    assert "Jane S (same email)" in warning["text"]
    assert len(contacts(session_factory)) == 1
    saved = await press(phone, warning, "Continue anyway")
    assert saved["text"] == "✅ Saved Jane Smith."
    assert len(contacts(session_factory)) == 2


async def test_save_now_on_an_old_question_does_nothing(bot, phone, session_factory):
    q = await say(phone, "/add")
    q = await say(phone, "Jane Smith")
    q = await press(phone, q, "Eviction client")
    old = q
    q = await say(phone, "jane@example.com")
    answer = await tap(phone, old, "✅ Save now")
    assert "answered already" in answer["text"]
    await phone.wait_idle()
    assert contacts(session_factory) == []


# --- a forwarded message -------------------------------------------------------------------


async def test_a_forward_from_a_person_offers_add_as_contact(bot, phone, session_factory):
    await phone.forward("Hi, we need help with a tenant", from_user=JANE)
    offer = await phone.wait_reply()
    assert offer["text"] == "↪️ Forwarded from Jane Smith."
    await phone.wait_idle()
    assert phone.last_message["message_id"] == offer["message_id"]  # not searched as well
    q = await press(phone, offer, "➕ Add as contact")
    assert Q_TYPE in q["text"]  # the name is filled in
    q = await press(phone, q, "Eviction client")
    q = await say(phone, "jane@example.com")
    await press(phone, q, "✅ Save now")
    [contact] = contacts(session_factory)
    assert (contact.name, contact.email) == ("Jane Smith", "jane@example.com")


async def test_a_forward_from_a_hidden_user_uses_the_name_shown(bot, phone, session_factory):
    await phone.forward("call me back", sender_name="Sam <Landlord>")
    offer = await phone.wait_reply()
    assert offer["text"] == "↪️ Forwarded from Sam <Landlord>."
    q = await press(phone, offer, "➕ Add as contact")
    q = await press(phone, q, "Referral partner")
    q = await press(phone, q, "Skip")  # email
    q = await press(phone, q, "✅ Save now")
    assert q["text"] == "✅ Saved Sam <Landlord>."
    [contact] = contacts(session_factory)
    assert contact.name == "Sam <Landlord>"


async def test_a_forwarded_text_is_an_answer_while_a_form_is_open(bot, phone):
    await say(phone, "/add")
    await phone.forward("Paula Price", from_user=JANE)
    q = await phone.wait_reply()
    assert Q_TYPE in q["text"]  # taken as the name, no offer
    q = await press(phone, q, "Eviction client")
    q = await say(phone, "/cancel")


async def test_a_forward_replying_to_a_card_is_a_note(bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    card = await say(phone, "/find Jane Smith")
    await phone.forward("Tenant left on Friday", from_user=JANE, reply_to=card)
    said = await phone.wait_reply()
    assert "Forwarded from" not in said["text"]
    await phone.wait_idle()
    assert [n.content for n in notes_of(session_factory, jane)] == ["Tenant left on Friday"]


async def test_an_old_offer_is_out_of_date(bot, phone, session_factory):
    await phone.forward("first", from_user=JANE)
    first = await phone.wait_reply()
    for i in range(10):
        await phone.forward(f"more {i}", sender_name=f"Person {i}")
        await phone.wait_reply()
    answer = await tap(phone, first, "➕ Add as contact")
    assert answer["text"] == "That button is out of date. Send /start for the menu."
