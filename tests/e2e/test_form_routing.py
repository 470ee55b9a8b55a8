"""Where a message goes while a form is open (issue 9): a reply to a card is that card's
contact's note in every form; the bot's own questions asked mid-form don't end the form; an
older question's button works or says it is out of date; a failed step is not also a search;
commands that mean nothing are answered; and bad amounts, dates and names are asked again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot import texts
from tests.e2e.flows import contacts, notes_of, press, press_edit, say, seed, tap
from tests.e2e.test_add_contact import Q_ADDRESS, Q_COMPANY, Q_FOLLOWUP, Q_VALUE, SUMMARY
from tests.e2e.test_cards import open_card
from tests.e2e.test_files import PDF, label_starting, wait_text

JSON = dict[str, Any]

pytestmark = pytest.mark.usefixtures("phone_rules")


async def add_up_to_company(phone, name: str = "New Nina") -> JSON:
    q = await say(phone, "/add")
    q = await say(phone, name)
    q = await press(phone, q, "Eviction client")
    q = await press(phone, q, "Skip")  # email
    q = await press(phone, q, "Skip")  # phone
    assert Q_COMPANY in q["text"]
    return q


async def anna_and_ben(phone, session_factory, alice) -> tuple[int, int, JSON, JSON]:
    """Two contacts and their cards (Ben's first): their ids, then Anna's and Ben's cards."""
    anna = seed(session_factory, alice.id, "Anna Able")
    ben = seed(session_factory, alice.id, "Ben Baker")
    ben_card = await open_card(phone, "Ben Baker")
    anna_card = await open_card(phone, "Anna Able")
    return anna, ben, anna_card, ben_card


def note_texts(session_factory, contact_id: int) -> list[tuple[str, str]]:
    return [(n.note_type, n.content) for n in notes_of(session_factory, contact_id)]


# --- 3 and 4: a reply to a card means that card's contact, whatever form is open -------------


async def test_reply_to_a_card_mid_add_is_a_note_and_the_form_goes_on(
    bot, phone, session_factory, alice
):
    bea = seed(session_factory, alice.id, "Busy Bea")
    card = await open_card(phone, "Busy Bea")
    q = await add_up_to_company(phone)

    done = await say(phone, "Wants a quote by Friday", reply_to=card)
    assert done["text"] == "📝 Note added to Busy Bea."
    again = await phone.wait_reply()
    assert Q_COMPANY in again["text"]  # the same question, asked again
    assert "⚠️" not in again["text"]
    assert note_texts(session_factory, bea) == [("internal", "Wants a quote by Friday")]

    # A reply to the form's own question is its answer.
    q = await say(phone, "Acme Lettings", reply_to=again)
    assert Q_ADDRESS in q["text"]
    for _ in range(5):
        q = await press(phone, q, "Skip")
    assert q["text"].startswith(SUMMARY)
    # At the summary too: the note, then the summary again with its buttons.
    done = await say(phone, "Second thought", reply_to=card)
    assert done["text"] == "📝 Note added to Busy Bea."
    summary = await phone.wait_reply()
    assert summary["text"].startswith(SUMMARY)
    assert "⚠️" not in summary["text"]
    await press(phone, summary, "✅ Save")
    nina = next(c for c in contacts(session_factory) if c.name == "New Nina")
    assert nina.company == "Acme Lettings"
    assert len(note_texts(session_factory, bea)) == 2
    assert notes_of(session_factory, nina.id) == []


async def test_reply_to_another_card_with_a_note_form_open_saves_on_that_contact(
    bot, phone, session_factory, alice
):
    anna, ben, anna_card, ben_card = await anna_and_ben(phone, session_factory, alice)
    kinds = await press(phone, anna_card, "📝 Note")
    ask = await press_edit(phone, kinds, "Call")
    assert ask["text"] == "Send the call note as a message."

    done = await say(phone, "Ben called back", reply_to=ben_card)
    assert done["text"] == "📝 Note added to Ben Baker."
    again = await phone.wait_reply()
    assert "call note" in again["text"]  # Anna's note form goes on
    assert note_texts(session_factory, ben) == [("internal", "Ben called back")]
    assert notes_of(session_factory, anna) == []

    # A reply to Anna's own card is the note the form is writing, of the kind chosen.
    done = await say(phone, "Anna called", reply_to=anna_card)
    assert done["text"] == "📝 Note added."
    await phone.wait_reply()  # her card
    assert note_texts(session_factory, anna) == [("call", "Anna called")]


@pytest.mark.parametrize(
    ("start", "pick", "question"),
    [
        ("✏️ Edit", "Company", "Their company"),
        ("✏️ Edit", None, "which field?"),
        ("📅 Follow-up", None, "Next follow-up?"),
        ("📝 Note", None, "What kind of note"),
    ],
)
async def test_every_card_form_takes_a_reply_to_another_card_as_its_note(
    bot, phone, session_factory, alice, start, pick, question
):
    anna, ben, anna_card, ben_card = await anna_and_ben(phone, session_factory, alice)
    q = await press(phone, anna_card, start)
    if pick:
        q = await press(phone, q, pick)
    done = await say(phone, "Friday 10am", reply_to=ben_card)
    assert done["text"] == "📝 Note added to Ben Baker."
    again = await phone.wait_reply()
    assert question in again["text"]
    assert note_texts(session_factory, ben) == [("internal", "Friday 10am")]
    [a, _] = contacts(session_factory)
    assert (a.company, a.next_followup_date) == (None, None)
    assert notes_of(session_factory, anna) == []


async def test_edit_reply_to_its_own_contacts_card_is_a_note_not_the_value(
    bot, phone, session_factory, alice
):
    anna = seed(session_factory, alice.id, "Anna Able")
    card = await open_card(phone, "Anna Able")
    fields = await press(phone, card, "✏️ Edit")
    ask = await press(phone, fields, "Company")
    done = await say(phone, "Moving offices", reply_to=card)
    assert done["text"] == "📝 Note added to Anna Able."
    again = await phone.wait_reply()
    assert "Their company" in again["text"]
    q = await say(phone, "Able & Co", reply_to=ask)  # a reply to the question is the answer
    assert q["text"] == "✅ Company updated."
    [a] = contacts(session_factory)
    assert a.company == "Able & Co"
    assert note_texts(session_factory, anna) == [("internal", "Moving offices")]


@pytest.mark.parametrize("ask", ["⌨️ Type a time", "⌨️ Type another"])
async def test_settings_takes_a_reply_to_a_card_as_its_note(
    bot, phone, session_factory, alice, ask
):
    ben = seed(session_factory, alice.id, "Ben Baker")
    card = await open_card(phone, "Ben Baker")
    settings = await say(phone, "/settings")
    screen = label_starting(phone, settings, "⏰" if ask.endswith("time") else "🌍")
    menu = await press_edit(phone, settings, screen)
    prompt = await press(phone, menu, ask)
    done = await say(phone, "07:30", reply_to=card)
    assert done["text"] == "📝 Note added to Ben Baker."
    again = await phone.wait_reply()
    assert again["text"] == prompt["text"]
    assert note_texts(session_factory, ben) == [("internal", "07:30")]


async def test_attach_search_takes_a_reply_to_a_card_as_its_note(
    bot, phone, session_factory, alice
):
    ben = seed(session_factory, alice.id, "Ben Baker")
    card = await open_card(phone, "Ben Baker")
    waiting = wait_text(phone, "to which contact?")
    await phone.send_document(PDF, "lease.pdf", "application/pdf")
    question = await waiting
    prompt = await press(phone, question, "🔎 Search…")
    done = await say(phone, "sent the lease", reply_to=card)
    assert done["text"] == "📝 Note added to Ben Baker."
    again = await phone.wait_reply()
    assert again["text"] == prompt["text"]
    results = await say(phone, "ben")
    assert results["text"].startswith("Attach to which of these")
    assert note_texts(session_factory, ben) == [("internal", "sent the lease")]


# --- 8: the bot's own questions mid-form don't end the form -----------------------------------


@pytest.mark.parametrize("answer", ["Cancel", "contact", "search"])
async def test_answering_the_attach_question_mid_add_keeps_the_form(
    bot, phone, session_factory, alice, answer
):
    jane = seed(session_factory, alice.id, "Jane Smith")
    q = await add_up_to_company(phone)
    waiting = wait_text(phone, "to which contact?")
    await phone.send_document(PDF, "lease.pdf", "application/pdf")
    question = await waiting
    if answer == "Cancel":
        await press_edit(phone, question, "Cancel")
    elif answer == "contact":
        category = await press_edit(phone, question, label_starting(phone, question, "Jane"))
        saved = wait_text(phone, "Saved to Jane Smith")
        await tap(phone, category, "Contract")
        await saved
    else:
        await press(phone, question, "🔎 Search…")
        results = await say(phone, "jane")
        category = await press_edit(phone, results, label_starting(phone, results, "Jane"))
        saved = wait_text(phone, "Saved to Jane Smith")
        await tap(phone, category, "Contract")
        await saved
    q = await say(phone, "Acme Lettings")  # the form's answer, not a search
    assert Q_ADDRESS in q["text"], q["text"]
    for _ in range(5):
        q = await press(phone, q, "Skip")
    await press(phone, q, "✅ Save")
    assert {c.name: c.company for c in contacts(session_factory)} == {
        "Jane Smith": None,
        "New Nina": "Acme Lettings",
    }
    assert jane


async def test_answering_the_attach_question_keeps_a_card_form_too(
    bot, phone, session_factory, alice
):
    anna, _, anna_card, _ = await anna_and_ben(phone, session_factory, alice)
    kinds = await press(phone, anna_card, "📝 Note")
    await press_edit(phone, kinds, "Call")
    waiting = wait_text(phone, "to which contact?")
    await phone.send_document(PDF, "lease.pdf", "application/pdf")
    await press_edit(phone, await waiting, "Cancel")
    done = await say(phone, "Rang about the lease")
    assert done["text"] == "📝 Note added."
    assert note_texts(session_factory, anna) == [("call", "Rang about the lease")]


# --- 11: an older question's button ---------------------------------------------------------


async def test_an_older_edit_question_says_it_is_out_of_date(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Urgent Ursula")
    card = await open_card(phone, "Urgent Ursula")
    fields = await press(phone, card, "✏️ Edit")
    first = await press(phone, fields, "Urgency")
    await press(phone, card, "✏️ Edit")  # Edit again: a new field list, no question yet
    answer = await tap(phone, first, "High")
    assert "out of date" in answer["text"] or "answered already" in answer["text"]
    [u] = contacts(session_factory)
    assert u.urgency_level == "normal"


async def test_older_questions_of_every_card_form_never_act_on_the_newer_form(
    bot, phone, session_factory, alice
):
    anna, ben, anna_card, ben_card = await anna_and_ben(phone, session_factory, alice)
    # Note: Anna's kinds, then Ben's; Anna's buttons must not cancel or take over Ben's.
    anna_kinds = await press(phone, anna_card, "📝 Note")
    await press(phone, ben_card, "📝 Note")
    ben_draft = await say(phone, "Ben rang")  # typed before the kind: kept
    assert "What kind of note" in ben_draft["text"]
    for label in ("Cancel", "Meeting"):
        answer = await tap(phone, anna_kinds, label)
        assert answer.get("text") == texts.OLD_QUESTION
    await tap(phone, ben_draft, "Call")
    done = await phone.wait_reply()
    assert done["text"] == "📝 Note added."
    await phone.wait_reply()
    assert notes_of(session_factory, anna) == []
    assert [(n.note_type, n.content) for n in notes_of(session_factory, ben)] == [
        ("call", "Ben rang")
    ]
    # Follow-up: Anna's question, then Ben's; Anna's button sets Anna's (it says whose) and
    # Ben's form goes on.
    anna_fu = await press(phone, anna_card, "📅 Follow-up")
    await press(phone, ben_card, "📅 Follow-up")
    await tap(phone, anna_fu, "Tomorrow")
    await phone.wait_idle()
    q = await say(phone, "friday")
    assert q["text"].startswith("Ben Baker\n")
    a, b = contacts(session_factory)
    assert (a.next_followup_date, b.next_followup_date) == (date(2026, 11, 24), date(2026, 11, 27))


# --- 12: a failed step is not also a search --------------------------------------------------


async def test_a_failed_form_step_is_not_also_a_search(bot, phone, double, session_factory):
    q = await add_up_to_company(phone)
    double.fail_next("sendMessage", 500)  # the next question can't be sent
    await phone.send("Acme Lettings")
    wrong = await phone.wait_reply()
    assert wrong["text"] == "Something went wrong; nothing was saved. Please try again."
    await phone.wait_idle()
    assert phone.last_message["message_id"] == wrong["message_id"]  # no "No contact matches"
    assert [type(e).__name__ for e in bot.errors] == ["NetworkError"]  # logged, told
    bot.errors.clear()
    # The form is where it was: the same answer again goes to the same question.
    q = await say(phone, "Acme Lettings")
    assert Q_ADDRESS in q["text"]
    for _ in range(5):
        q = await press(phone, q, "Skip")
    await press(phone, q, "✅ Save")
    [nina] = contacts(session_factory)
    assert (nina.company, nina.property_address) == ("Acme Lettings", None)


# --- 13: never silence ----------------------------------------------------------------------


async def test_a_mistyped_command_gets_the_menu(bot, phone):
    reply = await say(phone, "/lsit")
    assert reply["text"].startswith("I don't know /lsit.")
    assert "/list" in reply["text"]
    assert "➕ Add contact" in phone.buttons(reply)


async def test_a_mistyped_command_mid_form_keeps_the_form(bot, phone, session_factory):
    await add_up_to_company(phone)
    reply = await say(phone, "/skpi")
    assert reply["text"].startswith("I don't know /skpi.")
    assert "still open" in reply["text"]
    q = await say(phone, "Acme Lettings")
    assert Q_ADDRESS in q["text"]


async def test_skip_with_no_form_open(bot, phone):
    reply = await say(phone, "/skip")
    assert reply["text"] == "Nothing to skip: no question is waiting for an answer."


async def test_skip_in_a_form_without_optional_questions(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Anna Able")
    card = await open_card(phone, "Anna Able")
    kinds = await press(phone, card, "📝 Note")
    await press_edit(phone, kinds, "Call")
    reply = await say(phone, "/skip")
    assert "nothing to skip" in reply["text"].lower()
    done = await say(phone, "Called")  # the form is still open
    assert done["text"] == "📝 Note added."


# --- 14, 15, 16 as the admin sees them ------------------------------------------------------


async def test_ambiguous_amount_invisible_name_and_29_february_in_add(bot, phone, session_factory):
    q = await say(phone, "/add")
    q = await say(phone, "\u200b\u2060")
    assert q["text"].startswith("⚠️ Name can't be empty.")
    q = await say(phone, "\u200bNina Neat\u200b")
    q = await press(phone, q, "Eviction client")
    for _ in range(6):
        q = await press(phone, q, "Skip")
    assert Q_FOLLOWUP in q["text"]
    q = await say(phone, "29/02")
    assert Q_VALUE in q["text"]
    q = await say(phone, "1,5")
    assert q["text"].startswith("⚠️ Potential value has a comma I can't read")
    assert Q_VALUE in q["text"]
    q = await say(phone, "1,500")
    await press(phone, q, "✅ Save")
    [nina] = contacts(session_factory)
    assert nina.name == "Nina Neat"
    assert nina.next_followup_date == date(2028, 2, 29)
    assert nina.potential_value == Decimal("1500.00")
