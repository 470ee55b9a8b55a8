"""Finding contacts and everything on a contact card, from a phone: /find and plain-text
search, the card's fields and notes, Note, Stage, Follow-up, Edit, Delete with Undo, /trash,
and old buttons of contacts that are gone."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from crm_core.models import Contact, File, Note, StageChange
from crm_core.services.trash import delete_contact, restore_contact
from tests.e2e.flows import (
    TODAY,
    add_file_row,
    contacts,
    count,
    notes_of,
    press,
    press_edit,
    say,
    seed,
    tap,
)

JSON = dict[str, Any]

HOSTILE = '<b>Bob & "Co"</b>'
MARKDOWNY = "_*[x]"
CARD_BUTTONS = ["📝 Note", "📶 Stage", "📅 Follow-up", "📎 Files", "✏️ Edit", "🗑 Delete"]


pytestmark = pytest.mark.usefixtures("phone_rules")


async def open_card(phone, name: str) -> JSON:
    """/find a contact whose name is unique: its card opens directly."""
    card = await say(phone, f"/find {name}")
    assert card["text"].startswith(name + "\n"), card["text"]
    return card


# --- finding ------------------------------------------------------------------------------


async def test_find_with_no_match(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Jane Smith")
    reply = await say(phone, "/find zebra")
    assert reply["text"].startswith("No contact matches “zebra”.")
    assert phone.buttons(reply) == []


async def test_find_with_no_text_explains(bot, phone):
    reply = await say(phone, "/find")
    assert "part of a name" in reply["text"]


async def test_find_with_one_match_opens_the_card(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Jane Smith", phone="07700 900123")
    seed(session_factory, alice.id, "Other Person")
    card = await open_card(phone, "Jane Smith")
    assert phone.buttons(card)[:6] == CARD_BUTTONS
    # By phone number, however it is written.
    card = await say(phone, "/find 07700900123")
    assert card["text"].startswith("Jane Smith\n")


async def test_find_many_best_match_first_and_open_one(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Blacksmith Joe")
    seed(session_factory, alice.id, "Ann Smithers", "prevention_prospect")
    seed(session_factory, alice.id, "Smithson Ltd", "referral_partner")
    seed(session_factory, alice.id, "Smith")
    seed(session_factory, alice.id, "Zed", email="smith@example.com")
    seed(session_factory, alice.id, "Nobody Else")
    results = await say(phone, "/find smith")
    assert results["text"] == "5 matches for “smith”:"
    assert phone.buttons(results) == [
        "Smith · Eviction client · New Inquiry",
        "Smithson Ltd · Referral partner · Active Partner",
        "Ann Smithers · Prevention prospect · Prospect",
        "Blacksmith Joe · Eviction client · New Inquiry",
        "Zed · Eviction client · New Inquiry",
    ]
    card = await press(phone, results, "Ann Smithers · Prevention prospect · Prospect")
    assert card["text"].startswith("Ann Smithers\nPrevention prospect")


async def test_find_with_too_many_matches_says_so(bot, phone, session_factory, alice):
    for i in range(25):
        seed(session_factory, alice.id, f"Common Name {i:02}")
    results = await say(phone, "common")
    assert results["text"].startswith("The best 20 matches for “common” (there are more")
    assert len(phone.buttons(results)) == 20


async def test_a_long_pasted_text_outside_a_form(bot, phone):
    """Pasted text that isn't a reply to a card is a search; the answer still fits."""
    reply = await say(phone, "<Dear Sir & Madam> " * 215)
    assert reply["text"].startswith("No contact matches “<Dear Sir & Madam> <Dear")
    assert len(reply["text"]) < 300


async def test_plain_text_is_a_search(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Jane Smith")
    seed(session_factory, alice.id, "Jane Doe")
    results = await say(phone, "jane")
    assert results["text"] == "2 matches for “jane”:"
    card = await say(phone, "doe")
    assert card["text"].startswith("Jane Doe\n")


async def test_menu_find_button_prompts_for_text(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Jane Smith")
    menu = await say(phone, "/start")
    prompt = await press(phone, menu, "🔎 Find")
    assert "Type part of a name" in prompt["text"]
    card = await say(phone, "smith")
    assert card["text"].startswith("Jane Smith\n")


# --- the card -----------------------------------------------------------------------------


async def test_card_shows_every_field_that_is_set(bot, phone, session_factory, alice):
    partner = seed(session_factory, alice.id, "Letting Partner", "referral_partner")
    seed(
        session_factory,
        alice.id,
        "Full Fiona",
        "prevention_prospect",
        email="fiona@example.com",
        phone="07700 900123",
        company="Fiona Lettings",
        property_address="1 High St, Leeds",
        service_type="CCTV",
        how_found_us="Google",
        urgency_level="high",
        next_followup_date=date(2026, 11, 30),
        potential_value="2500",
        total_revenue="1200.50",
        total_jobs_referred="3",
        referred_by_id=partner,
    )
    card = await open_card(phone, "Full Fiona")
    lines = card["text"].splitlines()
    assert lines[1].startswith("Prevention prospect · #")
    assert lines[2].startswith("Stage: Prospect (since ")
    assert lines[2].endswith("· active")
    for line in (
        "Next follow-up: Mon 30 Nov 2026",
        "Email: fiona@example.com",
        "Phone: +447700900123",
        "Company: Fiona Lettings",
        "Property: 1 High St, Leeds",
        "Service: CCTV",
        "Found us via: Google",
        "Referred by: Letting Partner",
        "Urgency: HIGH",
        "Potential value: £2,500",
        "Revenue so far: £1,200.50",
        "Jobs referred: 3",
        "Owner: Alice",
        "Files: 0",
    ):
        assert line in lines, (line, lines)
    assert "No notes yet — reply to this card to add one." in card["text"]


async def test_card_leaves_out_what_is_not_set(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Bare Bones")
    card = await open_card(phone, "Bare Bones")
    for absent in ("Email:", "Phone:", "Company:", "Property:", "Urgency:", "Potential value:"):
        assert absent not in card["text"]
    assert "Next follow-up: none set" in card["text"]


@pytest.mark.parametrize("name", [HOSTILE, MARKDOWNY, "Tom &amp; Jerry <3"])
async def test_html_hostile_text_renders_as_typed(bot, phone, session_factory, alice, name):
    """The double refuses bad HTML, so a missed escape anywhere fails the send."""
    contact_id = seed(
        session_factory,
        alice.id,
        name,
        company=name,
        property_address=name,
        notes=[f"note about {name}"],
    )
    card = await open_card(phone, name)
    assert f"Company: {name}" in card["text"]
    assert f"note about {name}" in card["text"]
    results = await say(phone, "/list")
    assert f"• {name} —" in results["text"]
    prompt = await press_edit(phone, card, "🗑 Delete")
    assert prompt["text"].startswith(f"Delete {name} and its 1 note and 0 files?")
    deleted = await press_edit(phone, prompt, "Yes, delete")
    assert deleted["text"].startswith(f"🗑 Deleted {name}.")
    trash = await say(phone, "/trash")
    assert f"• {name} — deleted" in trash["text"]
    assert count(session_factory, Contact, id=contact_id) == 1


async def test_overdue_follow_up_is_marked(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Late Larry", next_followup_date=TODAY - timedelta(days=1))
    seed(session_factory, alice.id, "Today Tina", next_followup_date=TODAY)
    card = await open_card(phone, "Late Larry")
    assert "Next follow-up: Sun 22 Nov 2026 — OVERDUE by 1 day" in card["text"]
    card = await open_card(phone, "Today Tina")
    assert "Next follow-up: Mon 23 Nov 2026 (today)" in card["text"]
    assert "OVERDUE" not in card["text"]


async def test_card_shows_the_last_three_notes(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Chatty Cathy", notes=[f"note number {i}" for i in range(5)])
    card = await open_card(phone, "Chatty Cathy")
    text = card["text"]
    assert "Notes (5)" in text
    shown = [f"note number {i}" for i in range(5) if f"note number {i}" in text]
    assert shown == ["note number 2", "note number 3", "note number 4"]
    assert text.index("note number 4") < text.index("note number 2")  # newest first
    assert "All notes (5)" in phone.buttons(card)


async def test_long_note_cut_on_the_card_and_whole_in_all_notes(
    bot, phone, session_factory, alice
):
    long_note = ("start " + "<&> " * 1100)[:4090] + " END"
    assert len(long_note) == 4094
    seed(session_factory, alice.id, "Wordy Wendy", notes=[long_note])
    card = await open_card(phone, "Wordy Wendy")
    assert "start <&>" in card["text"]
    assert "…" in card["text"]
    assert "END" not in card["text"]
    assert len(card["text"]) < 4096
    await tap(phone, card, "All notes (1)")
    await phone.wait_idle()
    pages = phone.messages[phone.messages.index(card) + 1 :]
    assert len(pages) >= 2  # too long for one message once escaped: split, not cut
    assert pages[0]["text"].startswith("Notes on Wordy Wendy (1-1 of 1)")
    whole = "".join(p["text"] for p in pages)
    assert long_note in whole.replace("\n\n", "")
    assert all(len(p["text"]) <= 4096 for p in pages)
    card_again = await press(phone, pages[-1], "« Card")
    assert card_again["text"].startswith("Wordy Wendy\n")


async def test_all_notes_pages_through_the_history(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Many Notes", notes=[f"entry {i:02}" for i in range(12)])
    card = await open_card(phone, "Many Notes")
    page = await press(phone, card, "All notes (12)")
    assert page["text"].startswith("Notes on Many Notes (1-5 of 12)")
    assert "entry 11" in page["text"]
    assert "entry 07" in page["text"]
    assert "entry 06" not in page["text"]
    page = await press(phone, page, "Older »")
    assert page["text"].startswith("Notes on Many Notes (6-10 of 12)")
    page = await press(phone, page, "Older »")
    assert page["text"].startswith("Notes on Many Notes (11-12 of 12)")
    assert "Older »" not in phone.buttons(page)
    page = await press(phone, page, "« Newer")
    assert page["text"].startswith("Notes on Many Notes (6-10 of 12)")


# --- notes --------------------------------------------------------------------------------


async def test_note_of_each_kind(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Noted Nora")
    card = await open_card(phone, "Noted Nora")
    kinds = ["Call", "Email", "Meeting", "Internal", "Quote sent"]
    for kind in kinds:
        ask = await press(phone, card, "📝 Note")
        assert ask["text"] == "What kind of note for Noted Nora?"
        assert phone.buttons(ask) == [*kinds, "Cancel"]
        prompt = await press_edit(phone, ask, kind)
        assert f"Send the {kind.lower()} note" in prompt["text"]
        done = await say(phone, f"{kind} <about> & stuff")
        assert done["text"] == "📝 Note added."
        card = await phone.wait_reply()
        assert f"{kind} <about> & stuff" in card["text"]
        assert f"· {kind} by Alice" in card["text"]
    assert [(n.note_type, n.content) for n in notes_of(session_factory, contact_id)] == [
        (k.lower().replace(" ", "_"), f"{k} <about> & stuff") for k in kinds
    ]
    # Text is a search again once the note is saved.
    card = await say(phone, "nora")
    assert card["text"].startswith("Noted Nora\n")
    assert len(notes_of(session_factory, contact_id)) == 5


async def test_note_cancel_and_empty_kind(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Quiet Quinn")
    card = await open_card(phone, "Quiet Quinn")
    ask = await press(phone, card, "📝 Note")
    cancelled = await press_edit(phone, ask, "Cancel")
    assert cancelled["text"] == "Cancelled — nothing was saved."
    ask = await press(phone, card, "📝 Note")
    prompt = await press_edit(phone, ask, "Call")
    cancelled = await press_edit(phone, prompt, "Cancel")  # a button, no typing needed
    assert cancelled["text"] == "Cancelled — nothing was saved."
    ask = await press(phone, card, "📝 Note")
    await press_edit(phone, ask, "Call")
    reply = await say(phone, "/cancel")
    assert reply["text"] == "Cancelled — nothing was saved."
    assert notes_of(session_factory, contact_id) == []


async def test_note_typed_before_choosing_the_kind_is_kept(bot, phone, session_factory, alice):
    """Typing straight after "Note" (forgetting the kind) doesn't lose the text."""
    contact_id = seed(session_factory, alice.id, "Hasty Harry")
    card = await open_card(phone, "Hasty Harry")
    await press(phone, card, "📝 Note")
    ask = await say(phone, "Rang twice, left voicemail")
    assert "What kind of note" in ask["text"]
    await tap(phone, ask, "Call")
    done = await phone.wait_reply()
    assert done["text"] == "📝 Note added."
    [note] = notes_of(session_factory, contact_id)
    assert (note.note_type, note.content) == ("call", "Rang twice, left voicemail")


async def test_reply_to_a_card_is_an_internal_note(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Replied Rita")
    card = await open_card(phone, "Replied Rita")
    done = await say(phone, "Spoke to <her> & agreed", reply_to=card)
    assert done["text"] == "📝 Note added."
    card = await phone.wait_reply()
    assert "Spoke to <her> & agreed" in card["text"]
    [note] = notes_of(session_factory, contact_id)
    assert (note.note_type, note.created_by) == ("internal", alice.id)
    # A reply to a message that isn't about a contact is a plain search.
    menu = await say(phone, "/start")
    results = await say(phone, "rita", reply_to=menu)
    assert results["text"].startswith("Replied Rita\n")
    # Nor is a list of contacts: a reply to it must not land on whichever is listed first.
    listing = await say(phone, "/list")
    results = await say(phone, "rita", reply_to=listing)
    assert results["text"].startswith("Replied Rita\n")
    assert len(notes_of(session_factory, contact_id)) == 1


async def test_reply_to_the_card_of_a_deleted_contact(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Gone Gary")
    card = await open_card(phone, "Gone Gary")
    with session_factory.begin() as s:
        delete_contact(s, contact_id)
    reply = await say(phone, "a note", reply_to=card)
    assert reply["text"] == "That contact no longer exists."
    assert notes_of(session_factory, contact_id) == []


# --- stage --------------------------------------------------------------------------------


async def test_stage_menu_marks_the_current_one_and_records_a_change(
    bot, phone, session_factory, alice
):
    contact_id = seed(session_factory, alice.id, "Staged Steve")
    card = await open_card(phone, "Staged Steve")
    menu = await press_edit(phone, card, "📶 Stage")
    assert phone.buttons(menu) == [
        "✅ New Inquiry",
        "Client Pack Sent",
        "Awaiting Instruction",
        "Job Booked",
        "Job In Progress",
        "Invoiced",
        "Paid",
        "« Back",
    ]
    card = await press_edit(phone, menu, "Job Booked")
    assert "Stage: Job Booked (since " in card["text"]
    menu = await press_edit(phone, card, "📶 Stage")
    assert "✅ Job Booked" in phone.buttons(menu)
    card = await press_edit(phone, menu, "Paid")
    assert "Stage: Paid" in card["text"]
    assert "· won" in card["text"]
    menu = await press_edit(phone, card, "📶 Stage")
    card = await press_edit(phone, menu, "« Back")
    assert card["text"].startswith("Staged Steve\n")
    with session_factory() as s:
        history = [
            (h.from_stage, h.to_stage, h.changed_by)
            for h in s.query(StageChange).filter_by(contact_id=contact_id).order_by(StageChange.id)
        ]
    assert history == [
        (None, "new_inquiry", alice.id),
        ("new_inquiry", "job_booked", alice.id),
        ("job_booked", "paid", alice.id),
    ]
    [contact] = contacts(session_factory)
    assert contact.status == "won"


async def test_stage_menu_of_a_partner(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Partner Paula", "referral_partner")
    card = await open_card(phone, "Partner Paula")
    menu = await press_edit(phone, card, "📶 Stage")
    assert phone.buttons(menu) == ["✅ Active Partner", "Inactive", "« Back"]


async def test_old_stage_menu_after_a_type_change_refreshes_the_card(
    bot, phone, session_factory, alice
):
    seed(session_factory, alice.id, "Switched Sue")
    menu = await open_card(phone, "Switched Sue")
    menu = await press_edit(phone, menu, "📶 Stage")
    card = await open_card(phone, "Switched Sue")
    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Type")
    await press(phone, ask, "Referral partner")
    await phone.wait_reply()  # the card
    answer = await tap(phone, menu, "Job Booked")  # an eviction stage, from the old menu
    assert "isn't part of the Referral partner pipeline" in answer["text"]
    refreshed = await phone.wait_edit(menu)
    assert refreshed["text"].startswith("Switched Sue\nReferral partner")
    assert contacts(session_factory)[0].current_stage == "active_partner"


# --- follow-up ----------------------------------------------------------------------------


async def test_follow_up_buttons_typed_and_clear(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Later Lucy")
    card = await open_card(phone, "Later Lucy")

    ask = await press(phone, card, "📅 Follow-up")
    assert "Later Lucy — Next follow-up?" in ask["text"]
    assert phone.buttons(ask) == ["Today", "Tomorrow", "In 3 days", "Next week", "Clear", "Cancel"]
    card = await press_edit(phone, ask, "In 3 days")  # the question becomes the card
    assert "Next follow-up: Thu 26 Nov 2026" in card["text"]
    assert phone.buttons(card)[:6] == CARD_BUTTONS
    assert contacts(session_factory)[0].next_followup_date == date(2026, 11, 26)

    for label, want in [("Today", "Mon 23 Nov 2026 (today)"), ("Next week", "Mon 30 Nov 2026")]:
        ask = await press(phone, card, "📅 Follow-up")
        card = await press_edit(phone, ask, label)
        assert f"Next follow-up: {want}" in card["text"]

    ask = await press(phone, card, "📅 Follow-up")
    again = await say(phone, "soonish")
    assert again["text"].startswith("⚠️ I couldn't read that date.")
    assert "Later Lucy — Next follow-up?" in again["text"]
    card = await say(phone, "friday")
    assert "Next follow-up: Fri 27 Nov 2026" in card["text"]

    ask = await press(phone, card, "📅 Follow-up")
    card = await say(phone, "16/11")
    assert "Next follow-up: Mon 16 Nov 2026 — OVERDUE by 7 days" in card["text"]

    ask = await press(phone, card, "📅 Follow-up")
    card = await press_edit(phone, ask, "Clear")
    assert "Next follow-up: none set" in card["text"]
    assert contacts(session_factory)[0].next_followup_date is None

    ask = await press(phone, card, "📅 Follow-up")
    cancelled = await press_edit(phone, ask, "Cancel")
    assert cancelled["text"] == "Cancelled — nothing was saved."
    # Text is a search again.
    card = await say(phone, "lucy")
    assert card["text"].startswith("Later Lucy\n")


# --- edit ---------------------------------------------------------------------------------


async def test_edit_a_text_field_with_a_bad_value_first(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Edited Ed", email="old@example.com")
    card = await open_card(phone, "Edited Ed")
    fields = await press(phone, card, "✏️ Edit")
    assert fields["text"] == "Edit Edited Ed — which field?"
    assert {"Name", "Email", "Phone", "Type", "Urgency", "Owner", "Cancel"} <= set(
        phone.buttons(fields)
    )
    again = await say(phone, "new@example.com")  # typed before picking the field
    assert again["text"].startswith("⚠️ Please tap one of the buttons below.")
    assert "Edit Edited Ed — which field?" in again["text"]
    assert "Email" in phone.buttons(again)
    ask = await press(phone, again, "Email")
    assert "Their email address?" in ask["text"]
    again = await say(phone, "not-an-email")
    assert again["text"].startswith("⚠️ That email address doesn't look right")
    assert "Their email address?" in again["text"]
    done = await say(phone, "New@Example.com")
    assert done["text"] == "✅ Email updated."
    card = await phone.wait_reply()
    assert "Email: new@example.com" in card["text"]

    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Company")
    done = await say(phone, HOSTILE)
    card = await phone.wait_reply()
    assert f"Company: {HOSTILE}" in card["text"]

    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Email")
    done = await press(phone, ask, "Clear")
    card = await phone.wait_reply()
    assert "Email:" not in card["text"]
    [contact] = contacts(session_factory)
    assert (contact.email, contact.company) == (None, HOSTILE)


async def test_edit_name_cannot_be_cleared_or_too_long(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Named Ned")
    card = await open_card(phone, "Named Ned")
    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Name")
    assert "Clear" not in phone.buttons(ask)
    again = await say(phone, "x" * 201)
    assert "Name is too long" in again["text"]
    await say(phone, "Ned Named")
    assert contacts(session_factory)[0].name == "Ned Named"


async def test_edit_type_resets_the_stage(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Typed Tess")
    card = await open_card(phone, "Typed Tess")
    menu = await press_edit(phone, card, "📶 Stage")
    card = await press_edit(phone, menu, "Invoiced")
    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Type")
    assert "starts the contact at the first stage" in ask["text"]
    await press(phone, ask, "Prevention prospect")
    card = await phone.wait_reply()
    assert card["text"].startswith("Typed Tess\nPrevention prospect")
    assert "Stage: Prospect" in card["text"]
    [contact] = contacts(session_factory)
    assert (contact.contact_type, contact.current_stage) == ("prevention_prospect", "prospect")
    assert count(session_factory, StageChange, contact_id=contact_id) == 3


async def test_edit_urgency_and_follow_up_by_buttons(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Urgent Ursula")
    card = await open_card(phone, "Urgent Ursula")
    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Urgency")
    assert {"Low", "Normal", "High", "Urgent"} <= set(phone.buttons(ask))
    again = await say(phone, "very")
    assert "Please tap one of the buttons" in again["text"] or "Urgency must be" in again["text"]
    await press(phone, again, "Urgent")
    card = await phone.wait_reply()
    assert "Urgency: URGENT" in card["text"]

    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Next follow-up")
    await press(phone, ask, "Tomorrow")
    card = await phone.wait_reply()
    assert "Next follow-up: Tue 24 Nov 2026 (tomorrow)" in card["text"]

    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Potential value")
    again = await say(phone, "-10")
    assert "can't be negative" in again["text"]
    await say(phone, "£1,250.50")
    card = await phone.wait_reply()
    assert "Potential value: £1,250.50" in card["text"]
    assert contacts(session_factory)[0].potential_value == Decimal("1250.50")


async def test_edit_owner_hands_the_contact_to_bob(
    bot, phone, bob_phone, session_factory, alice, bob
):
    seed(session_factory, alice.id, "Handed Hannah")
    card = await open_card(phone, "Handed Hannah")
    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Owner")
    assert ask["text"] == "Hand this contact to which admin?"
    assert phone.buttons(ask) == ["Alice", "Bob", "Cancel"]
    again = await say(phone, "Bob please")
    assert "Please tap one of the buttons" in again["text"]
    done = await press(phone, again, "Bob")
    assert done["text"] == "✅ Owner updated."
    card = await phone.wait_reply()
    assert "Owner: Bob" in card["text"]
    assert contacts(session_factory)[0].owner_id == bob.id

    listing = await say(bob_phone, "/list")
    if "My contacts" not in listing["text"].splitlines()[0]:
        listing = await press_edit(bob_phone, listing, "👤 My contacts")
    assert listing["text"].startswith("My contacts")
    assert "Handed Hannah" in listing["text"]
    mine = await say(phone, "/list")
    mine = await press_edit(phone, mine, "👤 My contacts")
    assert "Handed Hannah" not in mine["text"]


async def test_edit_pick_another_field_and_cancel(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Fickle Fred")
    card = await open_card(phone, "Fickle Fred")
    seed_email = "fred@example.com"
    fields = await press(phone, card, "✏️ Edit")
    email_question = await press(phone, fields, "Email")
    await say(phone, seed_email)
    await phone.wait_reply()  # the card
    fields = await press(phone, card, "✏️ Edit")
    email_question = await press(phone, fields, "Email")
    # Changed my mind: tap another field on the same list.
    ask = await press(phone, fields, "Company")
    assert "Their company" in ask["text"]
    # The Email question's Clear would now clear the company: it is refused instead.
    answer = await tap(phone, email_question, "Clear")
    assert "answered already" in answer["text"]
    await say(phone, "Fred Co")
    await phone.wait_reply()  # the card
    assert contacts(session_factory)[0].company == "Fred Co"
    assert contacts(session_factory)[0].email == seed_email

    fields = await press(phone, card, "✏️ Edit")
    cancelled = await press_edit(phone, fields, "Cancel")
    assert cancelled["text"] == "Cancelled — nothing was saved."


# --- one conversation at a time -----------------------------------------------------------


async def test_starting_a_note_abandons_a_half_done_edit(bot, phone, session_factory, alice):
    """A form left half-way must not swallow later text (here: a search)."""
    seed(session_factory, alice.id, "Busy Bea")
    seed(session_factory, alice.id, "Searched Sid")
    card = await open_card(phone, "Busy Bea")
    fields = await press(phone, card, "✏️ Edit")
    await press(phone, fields, "Email")  # ... and never answered
    ask = await press(phone, card, "📝 Note")
    await press_edit(phone, ask, "Call")
    await say(phone, "Called Bea")
    await phone.wait_reply()  # the card
    card = await say(phone, "Searched Sid")
    assert card["text"].startswith("Searched Sid\n")
    assert [c.email for c in contacts(session_factory)] == [None, None]


async def test_add_abandons_a_half_done_note(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Noted Nick")
    card = await open_card(phone, "Noted Nick")
    ask = await press(phone, card, "📝 Note")
    await press_edit(phone, ask, "Call")  # ... and never typed
    q = await say(phone, "/add")
    assert "name" in q["text"]
    q = await say(phone, "New Person")
    q = await say(phone, "/cancel")
    assert q["text"] == "Cancelled — nothing was saved."
    card = await say(phone, "Nick")
    assert card["text"].startswith("Noted Nick\n")
    assert notes_of(session_factory, contact_id) == []


async def test_a_typed_answer_for_a_contact_deleted_meanwhile(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Vanishing Val")
    card = await open_card(phone, "Vanishing Val")
    for start, pick in [("📅 Follow-up", None), ("📝 Note", "Call"), ("✏️ Edit", "Company")]:
        with session_factory.begin() as s:
            restore_contact(s, contact_id)
        ask = await press(phone, card, start)
        if pick:
            await tap(phone, ask, pick)
            await phone.wait_idle()
        with session_factory.begin() as s:
            delete_contact(s, contact_id)
        reply = await say(phone, "friday")
        assert reply["text"] == "That contact no longer exists.", start
        # The form is over: the next text is a search.
        reply = await say(phone, "friday")
        assert reply["text"].startswith("No contact matches"), start


# --- delete, undo, trash ------------------------------------------------------------------


async def test_delete_then_undo(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Deleted Dan", notes=["one", "two"])
    add_file_row(session_factory, contact_id)
    card = await open_card(phone, "Deleted Dan")
    assert "Files: 1" in card["text"]
    prompt = await press_edit(phone, card, "🗑 Delete")
    assert prompt["text"] == (
        "Delete Deleted Dan and its 2 notes and 1 file?\n"
        "It goes to the trash for 30 days and can be restored."
    )
    assert phone.buttons(prompt) == ["Yes, delete", "No"]
    deleted = await press_edit(phone, prompt, "Yes, delete")
    assert deleted["text"] == "🗑 Deleted Deleted Dan. It stays in /trash for 30 days."
    assert phone.buttons(deleted) == ["↩️ Undo"]
    assert contacts(session_factory) == []
    results = await say(phone, "Deleted Dan")
    assert results["text"].startswith("No contact matches")

    card = await press_edit(phone, deleted, "↩️ Undo")
    assert card["text"].startswith("Deleted Dan\n")
    assert "Notes (2)" in card["text"]
    assert [c.id for c in contacts(session_factory)] == [contact_id]


async def test_delete_then_no(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Kept Kate")
    card = await open_card(phone, "Kept Kate")
    prompt = await press_edit(phone, card, "🗑 Delete")
    card = await press_edit(phone, prompt, "No")
    assert card["text"].startswith("Kept Kate\n")
    assert phone.buttons(card)[:6] == CARD_BUTTONS
    assert len(contacts(session_factory)) == 1


async def test_trash_restore(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Restored Rob")
    card = await open_card(phone, "Restored Rob")
    prompt = await press_edit(phone, card, "🗑 Delete")
    await press_edit(phone, prompt, "Yes, delete")
    trash = await say(phone, "/trash")
    assert trash["text"].startswith("Trash — deleted contacts are erased for good after 30 days.")
    assert "• Restored Rob — deleted 23 Nov 2026 10:00, 30 days left" in trash["text"]
    assert phone.buttons(trash) == ["↩️ Restore Restored Rob", "❌ Delete forever"]
    await tap(phone, trash, "↩️ Restore Restored Rob")
    card = await phone.wait_reply()
    assert card["text"].startswith("Restored Rob\n")
    trash = await phone.wait_edit(trash)
    assert trash["text"] == "The trash is empty."
    assert len(contacts(session_factory)) == 1


async def test_trash_delete_forever_erases_the_rows(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Erased Eve", notes=["private"])
    add_file_row(session_factory, contact_id)
    seed(session_factory, alice.id, "Other Olive")
    card = await open_card(phone, "Erased Eve")
    prompt = await press_edit(phone, card, "🗑 Delete")
    deleted = await press_edit(phone, prompt, "Yes, delete")
    trash = await say(phone, "/trash")
    confirm = await press_edit(phone, trash, "❌ Delete forever")
    assert confirm["text"] == (
        "Erase Erased Eve for good, with all notes, stage history and files? This can't be undone."
    )
    assert phone.buttons(confirm) == ["Yes, erase now", "No"]
    back = await press_edit(phone, confirm, "No")  # a slip: back to the trash, nothing gone
    assert "Erased Eve" in back["text"]
    assert count(session_factory, Contact, id=contact_id) == 1

    confirm = await press_edit(phone, back, "❌ Delete forever")
    await tap(phone, confirm, "Yes, erase now")
    erased = await phone.wait_reply()
    assert erased["text"] == "Erased for good."
    trash = await phone.wait_edit(confirm)
    assert trash["text"] == "The trash is empty."
    assert count(session_factory, Contact, id=contact_id) == 0
    assert count(session_factory, Note, contact_id=contact_id) == 0
    assert count(session_factory, StageChange, contact_id=contact_id) == 0
    assert count(session_factory, File, contact_id=contact_id) == 0
    assert [c.name for c in contacts(session_factory)] == ["Other Olive"]

    # The Undo under the old "Deleted" message can't bring it back, and says so.
    answer = await tap(phone, deleted, "↩️ Undo")
    assert answer["text"] == "That contact no longer exists."


async def test_old_card_buttons_after_deletion(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Old Oscar", notes=["a", "b", "c", "d"])
    old = await open_card(phone, "Old Oscar")
    stages = await open_card(phone, "Old Oscar")
    stages = await press_edit(phone, stages, "📶 Stage")
    card = await open_card(phone, "Old Oscar")
    prompt = await press_edit(phone, card, "🗑 Delete")
    await press_edit(phone, prompt, "Yes, delete")
    before = len(phone.messages)
    for label in ["📝 Note", "📶 Stage", "📅 Follow-up", "✏️ Edit", "🗑 Delete", "All notes (4)"]:
        answer = await tap(phone, old, label)
        assert answer.get("text") == "That contact no longer exists.", label
    answer = await tap(phone, stages, "Job Booked")
    assert answer.get("text") == "That contact no longer exists."
    await phone.wait_idle()
    assert len(phone.messages) == before  # an answer, nothing else


async def test_stale_form_buttons_are_answered(bot, phone, session_factory, alice):
    """Buttons of a form that is over (saved, cancelled) say so instead of spinning."""
    seed(session_factory, alice.id, "Stale Stan")
    card = await open_card(phone, "Stale Stan")
    kinds = await press(phone, card, "📝 Note")
    await press_edit(phone, kinds, "Cancel")
    follow = await press(phone, card, "📅 Follow-up")
    await say(phone, "tomorrow")  # typed: the question keeps its buttons
    await phone.wait_idle()
    answer = await tap(phone, follow, "Next week")
    assert answer.get("text")
    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Email")
    await say(phone, "stan@example.com")
    await phone.wait_reply()  # the card
    answer = await tap(phone, ask, "Clear")  # the old question's button
    assert answer.get("text")
    [stan] = contacts(session_factory)
    assert stan.next_followup_date == date(2026, 11, 24)
    assert stan.email == "stan@example.com"
