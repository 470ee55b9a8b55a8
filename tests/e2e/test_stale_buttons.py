"""A tampered or stale payload gets the one answer (``texts.STALE_BUTTON``), changes nothing,
and leaves the bot working: whether the codec refuses it (an unknown action, an argument that
doesn't fit its shape) or a handler does (a value this version doesn't offer)."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from crm_core.models import Note
from tests.e2e.flows import count, notes_of, say, seed

pytestmark = pytest.mark.usefixtures("phone_rules")


async def press_data(phone: Any, message: dict[str, Any], data: str) -> dict[str, Any]:
    """Press a button with whatever data, as a modified client could."""
    update = await phone.send_raw_update(
        {
            "callback_query": {
                "id": f"forged-{data}",
                "from": dict(phone.user),
                "message": message,
                "chat_instance": "1",
                "data": data,
            }
        }
    )
    answer: dict[str, Any] = await phone.wait_answer(update)
    return answer


async def test_a_tampered_payload_gets_the_one_stale_answer(bot, phone, session_factory, alice):
    cid = seed(session_factory, alice.id, "Tamsin Tamper")
    card = await say(phone, "/find Tamsin")
    assert card["text"].startswith("Tamsin Tamper")
    for data in [
        "nosuch:1:x",  # no such action
        f"open:{cid}:zz",  # open takes nothing or "e"
        f"notes:{cid}:abc",  # an offset is a number
        f"fget:{cid}:²",
        f"jobst:{cid}:sold",  # no such job status
        f"nt:{cid}:v:diary",  # no such kind of note
        f"fuv:{cid}:d:someday",  # no such quick date
        "add:0:hello",
        f"dgout:{cid}:nope",  # decodes, but no such outcome: the handler refuses it
        "rep:0:x:y",  # no such pipeline or period
        "setv:0:t:2599",
    ]:
        answer = await press_data(phone, card, data)
        assert answer.get("text") == texts.STALE_BUTTON, data
    await phone.wait_idle()
    assert notes_of(session_factory, cid) == []
    assert count(session_factory, Note) == 0
    again = await say(phone, "/find Tamsin")  # and the bot goes on
    assert again["text"].startswith("Tamsin Tamper")
