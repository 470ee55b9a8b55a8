"""Texts and card buttons outside forms are claimed by the handler's own transaction, or by
its first Bot API call (bot/claims.py): a redelivery still does nothing, says nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot import texts
from crm_core.models import Note, ProcessedUpdate
from sandbox import BotApiDouble, Phone
from tests.e2e.support import add_contact
from tests.e2e.test_delivery import click, count, open_card


def claimed(engine: Engine, update: dict[str, Any]) -> bool:
    with Session(engine) as session:
        found = session.scalar(
            select(ProcessedUpdate.update_id).where(
                ProcessedUpdate.update_id == update["update_id"]
            )
        )
    return found is not None


async def test_a_note_reply_is_claimed_with_its_note(
    bot: Any, phone: Phone, engine: Engine
) -> None:
    add_contact(engine, phone.user_id, "Clara Claim")
    card = await open_card(phone, "Clara Claim")
    update = await phone.send("Asked for a callback.", reply_to=card)
    assert "Note added" in (await phone.wait_reply())["text"]
    await phone.wait_idle()
    assert claimed(engine, update)
    assert count(engine, Note) == 1


async def test_a_redelivered_press_answered_without_the_database_is_answered_once(
    bot: Any, double: BotApiDouble, phone: Phone, engine: Engine
) -> None:
    """The contact is gone: the handler's transaction fails (NotFound, rolled back with its
    claim), so the answer's Bot API call claims the update; its redelivery is not answered."""
    add_contact(engine, phone.user_id, "Gus Gone")
    old_card = await open_card(phone, "Gus Gone")
    card = await open_card(phone, "Gus Gone")
    await click(phone, card, "🗑 Delete")
    prompt = await phone.wait_edit(card)
    await click(phone, prompt, "Yes, delete")
    await phone.wait_edit(card)
    await phone.wait_idle()
    press = await phone.click(old_card, "📶 Stage")
    assert (await phone.wait_answer(press)).get("text") == texts.GONE
    await phone.wait_idle()
    assert claimed(engine, press)
    answers = len(double.calls("answerCallbackQuery"))
    await phone.resend(press)
    await phone.wait_idle()
    assert len(double.calls("answerCallbackQuery")) == answers


async def test_an_update_that_changes_nothing_writes_no_state(
    bot: Any, phone: Phone, engine: Engine, monkeypatch: Any
) -> None:
    """Persistence is written through after every update, but only what changed: a search
    leaves the admin's data and forms as they were, so nothing reaches the persistence."""
    add_contact(engine, phone.user_id, "Nina Nochange")
    await open_card(phone, "Nina Nochange")
    await phone.wait_idle()
    written: list[str] = []
    persistence = bot.app.persistence

    async def spy(*args: Any, **kwargs: Any) -> None:
        written.append(repr(args))

    for name in ("update_user_data", "update_chat_data", "update_conversation"):
        monkeypatch.setattr(persistence, name, spy)
    await open_card(phone, "Nina Nochange")
    await phone.send("Nina")
    await phone.wait_reply()
    await phone.wait_idle()
    assert written == []
    await phone.send("/add")  # a form opens: its draft and state are written at once
    await phone.wait_reply()
    await phone.wait_idle()
    assert written
