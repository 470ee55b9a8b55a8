"""Updates as Telegram really delivers them: twice (same update_id), across a restart of the
bot, and into handlers that fail — expectedly (a deleted contact) or not (a crash)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot import gate as gate_module
from bot import texts
from bot.features import views
from crm_core.errors import CRMError
from crm_core.models import Contact, Note, StageChange
from sandbox import BotApiDouble, Phone
from tests.e2e.support import add_contact, live_contacts, row_counts


def count(engine: Engine, model: type[Any]) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def open_card(phone: Phone, name: str) -> dict[str, Any]:
    await phone.send(f"/find {name}")
    card = await phone.wait_reply()
    assert name in card["text"]
    assert "📶 Stage" in phone.buttons(card), card["text"]
    return card


async def click(phone: Phone, message: dict[str, Any], label: str) -> dict[str, Any]:
    """Press a button and check the press was answered, whatever else happened."""
    update = await phone.click(message, label)
    await phone.wait_answer(update)
    return update


# --- the same update twice ----------------------------------------------------------------


async def test_duplicated_note_reply_adds_one_note(bot: Any, phone: Phone, engine: Engine) -> None:
    add_contact(engine, phone.user_id, "Dora Duplicate")
    card = await open_card(phone, "Dora Duplicate")
    update = await phone.send("Called, left a voicemail.", reply_to=card)
    assert "Note added" in (await phone.wait_reply())["text"]
    await phone.wait_idle()
    sent_before = len(phone.messages)
    await phone.resend(update)
    await phone.wait_idle()
    assert count(engine, Note) == 1
    assert len(phone.messages) == sent_before, "the redelivery was answered again"


async def test_duplicated_stage_click_changes_the_stage_once(
    bot: Any, phone: Phone, engine: Engine
) -> None:
    contact_id = add_contact(engine, phone.user_id, "Stan Stage")
    card = await open_card(phone, "Stan Stage")
    await click(phone, card, "📶 Stage")
    stages = await phone.wait_edit(card)
    to_pack = await click(phone, stages, "Client Pack Sent")
    card = await phone.wait_edit(card)
    await click(phone, card, "📶 Stage")
    stages = await phone.wait_edit(card)
    await click(phone, stages, "Job Booked")
    await phone.wait_edit(card)
    await phone.wait_idle()
    # A late redelivery of the first choice must not put the stage back.
    await phone.resend(to_pack)
    await phone.wait_idle()
    with Session(engine) as session:
        assert session.get(Contact, contact_id).current_stage == "job_booked"  # type: ignore[union-attr]
    assert count(engine, StageChange) == 3  # created, pack sent, job booked


async def add_until_summary(phone: Phone, name: str) -> dict[str, Any]:
    await phone.send("/add")
    await phone.wait_reply()
    await phone.send(name)
    question = await phone.wait_reply()
    await click(phone, question, "Referral partner")
    for _ in range(5):  # email, phone, company, how found, (urgency is a button)
        question = await phone.wait_reply()
        if "urgent" in question["text"]:
            break
        await phone.send("/skip")
    await click(phone, question, "High")
    await phone.wait_reply()
    await phone.send("/skip")  # follow-up
    await phone.wait_reply()
    await phone.send("/skip")  # value
    summary = await phone.wait_reply()
    assert "check and save" in summary["text"]
    return summary


async def test_duplicated_save_click_creates_one_contact(
    bot: Any, phone: Phone, engine: Engine
) -> None:
    summary = await add_until_summary(phone, "Sally Save")
    save = await click(phone, summary, "✅ Save")
    assert "Saved" in (await phone.wait_reply())["text"]
    await phone.wait_idle()
    await phone.resend(save)
    await phone.resend(save)
    await phone.wait_idle()
    assert live_contacts(engine) == 1


async def test_redelivery_after_a_restart_is_still_dropped(
    start_bot: Any, phone: Phone, engine: Engine, admins: Any
) -> None:
    add_contact(engine, phone.user_id, "Rita Restart")
    async with start_bot():
        card = await open_card(phone, "Rita Restart")
        update = await phone.send("Quote sent by post.", reply_to=card)
        await phone.wait_reply()
        await phone.wait_idle()
    async with start_bot():
        await phone.resend(update)
        await phone.wait_idle()
    assert count(engine, Note) == 1


# --- restarts mid-conversation -------------------------------------------------------------


async def test_restart_in_the_middle_of_add_keeps_the_answers(
    start_bot: Any, phone: Phone, engine: Engine
) -> None:
    async with start_bot():
        await phone.send("/add")
        await phone.wait_reply()
        await phone.send("Rosa Restart")
        question = await phone.wait_reply()
        await click(phone, question, "Eviction client")
        assert "email" in (await phone.wait_reply())["text"]
        await phone.send("rosa@example.com")
        assert "phone" in (await phone.wait_reply())["text"]
        await phone.wait_idle()
    assert row_counts(engine)["bot_state"] >= 2  # the conversation and the draft

    async with start_bot():
        await phone.send("07700 900123")
        assert "company" in (await phone.wait_reply())["text"]
        await phone.send("Acme Lettings")
        assert "address" in (await phone.wait_reply())["text"]
        await phone.send("1 High St, Leeds")
        question = await phone.wait_reply()
        await phone.send("/skip")  # how found
        question = await phone.wait_reply()
        await click(phone, question, "High")
        await phone.wait_reply()
        await phone.send("/skip")  # follow-up
        await phone.wait_reply()
        await phone.send("2500")
        summary = await phone.wait_reply()
        for earlier in ("Rosa Restart", "Eviction client", "rosa@example.com", "Acme Lettings"):
            assert earlier in summary["text"]
        await click(phone, summary, "✅ Save")
        assert "Saved" in (await phone.wait_reply())["text"]
        await phone.wait_idle()
    with Session(engine) as session:
        saved = session.scalars(select(Contact)).one()
        assert (saved.name, saved.email, saved.company) == (
            "Rosa Restart",
            "rosa@example.com",
            "Acme Lettings",
        )
        assert saved.contact_type == "eviction_client"
    assert row_counts(engine)["bot_state"] == 0, "the finished form left state behind"


async def test_restart_in_the_middle_of_a_note(
    start_bot: Any, phone: Phone, engine: Engine, admins: Any
) -> None:
    add_contact(engine, phone.user_id, "Nina Note")
    async with start_bot():
        card = await open_card(phone, "Nina Note")
        await click(phone, card, "📝 Note")
        kinds = await phone.wait_reply()
        await click(phone, kinds, "Call")
        assert "call note" in (await phone.wait_edit(kinds))["text"]
        await phone.wait_idle()
    async with start_bot():
        await phone.send("Spoke to Nina, wants a quote.")
        assert "Note added" in (await phone.wait_reply())["text"]
        card = await phone.wait_reply()
        assert "Spoke to Nina" in card["text"]
    with Session(engine) as session:
        note = session.scalars(select(Note)).one()
        assert (note.note_type, note.content) == ("call", "Spoke to Nina, wants a quote.")


# --- failures --------------------------------------------------------------------------------


async def test_unexpected_error_is_logged_and_the_admin_is_told(
    bot: Any, phone: Phone, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(views, "due_followups", boom)
    caplog.set_level(logging.ERROR, logger="bot.errors")
    update = await phone.send("/today")
    told = await phone.wait_reply()
    assert told["text"].startswith("Something went wrong; nothing was saved")
    await phone.wait_idle()
    assert [type(e) for e in bot.errors] == [RuntimeError]
    bot.errors.clear()
    [record] = [r for r in caplog.records if r.name == "bot.errors"]
    assert str(update["update_id"]) in record.getMessage()
    assert "/today" in record.getMessage()
    assert record.exc_info is not None
    assert "database on fire" in str(record.exc_info[1])


async def test_unexpected_error_on_a_button_answers_it_and_tells_the_admin(
    bot: Any, phone: Phone, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.features import cards

    add_contact(engine, phone.user_id, "Errol Error")
    card = await open_card(phone, "Errol Error")

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(cards.svc, "get_contact", boom)
    await click(phone, card, "📶 Stage")
    assert (await phone.wait_reply())["text"].startswith("Something went wrong")
    await phone.wait_idle()
    bot.errors.clear()


async def test_crm_error_reaching_the_error_handler_is_shown_as_typed(
    bot: Any, phone: Phone, monkeypatch: pytest.MonkeyPatch
) -> None:
    class ClashError(CRMError):
        """Any typed error, not one a handler catches itself."""

    def clash(*args: Any, **kwargs: Any) -> Any:
        raise ClashError("Tom & Jerry <Lettings> already own that")

    monkeypatch.setattr(views, "due_followups", clash)
    await phone.send("/today")
    told = await phone.wait_reply()
    assert told["text"] == "Tom & Jerry <Lettings> already own that"
    await phone.wait_idle()
    bot.errors.clear()


@pytest.mark.parametrize("label", ["📶 Stage", "📝 Note", "📅 Follow-up", "✏️ Edit", "🗑 Delete"])
async def test_buttons_of_a_deleted_contact_say_it_no_longer_exists(
    label: str, bot: Any, double: BotApiDouble, phone: Phone, engine: Engine
) -> None:
    add_contact(engine, phone.user_id, "Gone Girl")
    old_card = await open_card(phone, "Gone Girl")
    new_card = await open_card(phone, "Gone Girl")
    await click(phone, new_card, "🗑 Delete")
    prompt = await phone.wait_edit(new_card)
    await click(phone, prompt, "Yes, delete")
    await phone.wait_edit(new_card)
    await phone.wait_idle()
    assert live_contacts(engine) == 0
    sent = len(phone.messages)

    press = await phone.click(old_card, label)
    answer = await phone.wait_answer(press)
    assert answer.get("text") == texts.GONE
    await phone.wait_idle()
    assert len(phone.messages) == sent, "nothing but the answer"
    assert double.message(phone.chat_id, old_card["message_id"]) == old_card
    assert len(phone.answers) == 3  # Delete, Yes, and the old card's button


async def test_buttons_nothing_claims_are_still_answered(
    bot: Any, phone: Phone, engine: Engine
) -> None:
    """An old form's button (the form is finished) and a payload no handler knows."""
    summary = await add_until_summary(phone, "Olga Old")
    await click(phone, summary, "✅ Save")
    await phone.wait_idle()
    again = await phone.click(summary, "✅ Save")
    assert (await phone.wait_answer(again)).get("text") == texts.STALE_BUTTON
    forged = await phone.send_raw_update(
        {
            "callback_query": {
                "id": "forged-1",
                "from": dict(phone.user),
                "message": summary,
                "chat_instance": "1",
                "data": "nosuch:1:x",
            }
        }
    )
    assert (await phone.wait_answer(forged)).get("text") == texts.STALE_BUTTON
    await phone.wait_idle()
    assert live_contacts(engine) == 1


# --- edits -----------------------------------------------------------------------------------


async def test_editing_a_note_reply_does_not_add_a_second_note(
    bot: Any, phone: Phone, engine: Engine
) -> None:
    add_contact(engine, phone.user_id, "Edgar Edit")
    card = await open_card(phone, "Edgar Edit")
    sent = await phone.send("Called, left a voicemial.", reply_to=card)
    assert "Note added" in (await phone.wait_reply())["text"]
    await phone.wait_idle()
    await phone.edit(sent, "Called, left a voicemail.")
    assert (await phone.wait_reply())["text"] == texts.EDIT_IGNORED
    await phone.wait_idle()
    assert count(engine, Note) == 1


async def test_editing_an_earlier_answer_does_not_answer_the_current_question(
    bot: Any, phone: Phone, engine: Engine
) -> None:
    await phone.send("/add")
    await phone.wait_reply()
    await phone.send("Ed Earlier")
    question = await phone.wait_reply()
    await click(phone, question, "Referral partner")
    await phone.wait_reply()  # email
    email = await phone.send("ed@example")
    assert "email" in (await phone.wait_reply())["text"]  # asked again
    await phone.edit(email, "ed@example.com")
    assert (await phone.wait_reply())["text"] == texts.EDIT_IGNORED
    await phone.wait_idle()
    await phone.send("ed@example.com")
    assert "phone" in (await phone.wait_reply())["text"]


async def test_a_failed_claim_stops_the_update_after_one_apology(
    bot: Any, phone: Phone, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the update can't be claimed (database locked or down), nothing may be done with it:
    the admin is told once that nothing was saved, and nothing is."""
    add_contact(engine, phone.user_id, "Lola Locked")
    card = await open_card(phone, "Lola Locked")

    def locked(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(gate_module, "claim_update", locked)
    await phone.send("Called about the lock change.", reply_to=card)
    told = await phone.wait_reply()
    assert told["text"].startswith("Something went wrong; nothing was saved")
    await phone.wait_idle()
    assert len(phone.messages) == 2  # the card and the apology
    assert count(engine, Note) == 0
    assert [str(e) for e in bot.errors] == ["database is locked"]
    bot.errors.clear()
