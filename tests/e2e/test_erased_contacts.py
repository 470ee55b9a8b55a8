"""An erased contact's old messages never act on another contact: ids are not reused (issue
9, defect 1), so its card's buttons, its Undo, an older /trash's Restore and a text reply to
its card all answer "That contact no longer exists"."""

from __future__ import annotations

import pytest

from crm_core.models import Contact
from tests.e2e.flows import contacts, count, notes_of, press_edit, say, seed, tap

pytestmark = pytest.mark.usefixtures("phone_rules")
GONE = "That contact no longer exists."


async def test_the_next_contact_never_inherits_an_erased_ones_buttons(
    bot, phone, session_factory, alice
):
    seed(session_factory, alice.id, "Older Olive")
    erased_id = seed(session_factory, alice.id, "Erased Eve")  # the highest id
    card = await say(phone, "/find Erased Eve")
    stages = await press_edit(phone, await say(phone, "/find Erased Eve"), "📶 Stage")
    prompt = await press_edit(phone, await say(phone, "/find Erased Eve"), "🗑 Delete")
    deleted = await press_edit(phone, prompt, "Yes, delete")
    old_trash = await say(phone, "/trash")
    trash = await say(phone, "/trash")
    confirm = await press_edit(phone, trash, "❌ Delete forever")
    await tap(phone, confirm, "Yes, erase now")
    assert (await phone.wait_reply())["text"] == "Erased for good."
    await phone.wait_edit(confirm)
    assert count(session_factory, Contact, id=erased_id) == 0

    new_id = seed(session_factory, alice.id, "Newer Nick")
    assert new_id != erased_id
    await phone.wait_idle()
    before = len(phone.messages)
    for message, label in [
        (card, "📝 Note"),
        (card, "📶 Stage"),
        (card, "📅 Follow-up"),
        (card, "✏️ Edit"),
        (card, "🗑 Delete"),
        (stages, "Job Booked"),
        (deleted, "↩️ Undo"),
        (old_trash, "↩️ Restore Erased Eve"),
        (old_trash, "❌ Delete forever"),
    ]:
        answer = await tap(phone, message, label)
        assert answer.get("text") == GONE, label
    reply = await say(phone, "Called back, all fine", reply_to=card)
    assert reply["text"] == GONE
    await phone.wait_idle()
    assert len(phone.messages) == before + 1  # the answer to the reply, nothing else
    [nick] = [c for c in contacts(session_factory) if c.id == new_id]
    assert (nick.current_stage, nick.deleted_at) == ("new_inquiry", None)
    assert notes_of(session_factory, new_id) == []
