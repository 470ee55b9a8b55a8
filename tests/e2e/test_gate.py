"""The admin gate: every kind of update from a non-admin in a private chat gets one refusal an
hour that shows their id and nothing else; groups and channels are ignored for everyone; a
refused or ignored update writes nothing to the database."""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot import gate as gate_module
from sandbox import BotApiDouble, Phone
from tests.e2e.support import add_contact, api_calls_since, live_contacts, row_counts

STRANGER_ID = 666
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _callback_query(phone: Phone, data: str, query_id: str) -> dict[str, Any]:
    """A button press on an (old) bot message in the phone's chat, built by hand: the bot
    never gives a stranger buttons, so this is a forged or left-over press."""
    return {
        "callback_query": {
            "id": query_id,
            "from": dict(phone.user),
            "message": {
                "message_id": 1,
                "from": {"id": 123, "is_bot": True, "first_name": "Double Bot"},
                "chat": phone.chat,
                "date": 1_700_000_000,
                "text": "An old card",
            },
            "chat_instance": "42",
            "data": data,
        }
    }


async def _send_text(phone: Phone, n: int) -> dict[str, Any]:
    return await phone.send(f"/start {n}" if n % 2 else "Jane Smith")


async def _edit(phone: Phone, n: int) -> dict[str, Any]:
    # An edit of a message the bot never saw (sent before the bot ran).
    return await phone.send_raw_update(
        {
            "edited_message": {
                "message_id": 500 + n,
                "from": dict(phone.user),
                "chat": phone.chat,
                "date": 1_700_000_000,
                "edit_date": 1_700_000_100,
                "text": f"edited {n}",
            }
        }
    )


async def _click(phone: Phone, n: int) -> dict[str, Any]:
    return await phone.send_raw_update(_callback_query(phone, "open:1:", f"q{n}"))


async def _share(phone: Phone, n: int) -> dict[str, Any]:
    return await phone.share_contact("+447700900123", "Jane", "Smith")


async def _photo(phone: Phone, n: int) -> dict[str, Any]:
    return await phone.send_photo(PNG, caption="a lease")


async def _document(phone: Phone, n: int) -> dict[str, Any]:
    return await phone.send_document(b"%PDF-1.4 lease", "lease.pdf", "application/pdf")


KINDS: dict[str, Callable[[Phone, int], Awaitable[dict[str, Any]]]] = {
    "message": _send_text,
    "edited_message": _edit,
    "callback_query": _click,
    "shared_contact": _share,
    "photo": _photo,
    "document": _document,
}


@pytest.mark.parametrize("kind", KINDS)
async def test_stranger_gets_one_refusal_with_their_id_and_nothing_else(
    kind: str, start_bot: Any, double: BotApiDouble, stranger: Phone, engine: Any
) -> None:
    act = KINDS[kind]
    before = row_counts(engine)
    async with start_bot():
        mark = len(double.requests)
        first = await act(stranger, 1)
        refusal = await stranger.wait_reply()
        assert str(STRANGER_ID) in refusal["text"]
        assert "reply_markup" not in refusal
        await stranger.wait_idle()
        second = await act(stranger, 2)
        await stranger.wait_idle()
        assert len(stranger.messages) == 1, "a second refusal within the hour"
        assert row_counts(engine) == before
        for update in (first, second):
            if "callback_query" in update:
                answer = await stranger.wait_answer(update)
                assert answer.get("text") == "This bot is private."
        assert set(api_calls_since(double, mark)) <= {"sendMessage", "answerCallbackQuery"}
    assert [c["chat_id"] for c in double.calls("sendMessage")] == [STRANGER_ID]
    # The graceful stop flushed persistence: still nothing stored for the stranger.
    assert row_counts(engine) == before


async def test_stranger_inline_query_is_ignored(
    bot: Any, double: BotApiDouble, stranger: Phone, engine: Any
) -> None:
    mark = len(double.requests)
    await stranger.send_raw_update(
        {
            "inline_query": {
                "id": "iq1",
                "from": dict(stranger.user),
                "query": "Smith",
                "offset": "",
            }
        }
    )
    await stranger.wait_idle()
    assert api_calls_since(double, mark) == []
    assert row_counts(engine)["bot_processed_updates"] == 0


async def test_refusal_comes_again_after_an_hour(
    bot: Any, stranger: Phone, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(gate_module, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    await stranger.send("hello")
    await stranger.wait_reply()
    clock[0] += 3599
    await stranger.send("hello?")
    await stranger.wait_idle()
    assert len(stranger.messages) == 1
    clock[0] += 2
    await stranger.send("anyone?")
    again = await stranger.wait_reply()
    assert str(STRANGER_ID) in again["text"]
    assert len(stranger.messages) == 2


async def test_refusal_is_per_user(bot: Any, double: BotApiDouble, stranger: Phone) -> None:
    other = double.phone(user_id=777, first_name="Trudy")
    await stranger.send("hi")
    await stranger.wait_reply()
    await other.send("hi")
    refusal = await other.wait_reply()
    assert "777" in refusal["text"]
    assert "666" not in refusal["text"]


async def test_stranger_is_stopped_even_when_the_refusal_cannot_be_sent(
    start_bot: Any, double: BotApiDouble, stranger: Phone, phone: Phone, engine: Any
) -> None:
    """If telling the stranger fails (blocked bot, flood limit, network), the update must still
    stop at the gate — not fall through to the handlers."""
    async with start_bot() as running_app:
        contact_id = add_contact(engine, phone.user_id, "Precious Client")
        double.fail_next("sendMessage", 403)
        await stranger.send("/start")
        await stranger.wait_idle()
        double.fail_next("answerCallbackQuery", 400, description="Bad Request: query is too old")
        await stranger.send_raw_update(_callback_query(stranger, f"dely:{contact_id}:", "q-del"))
        await stranger.wait_idle()
        assert stranger.messages == []
        assert live_contacts(engine) == 1
        assert row_counts(engine)["bot_processed_updates"] == 0
        assert running_app.errors == []


@pytest.mark.parametrize("who", ["admin", "stranger"])
@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
async def test_group_messages_are_ignored_for_everyone(
    who: str,
    chat_type: str,
    bot: Any,
    double: BotApiDouble,
    phone: Phone,
    stranger: Phone,
    engine: Any,
) -> None:
    sender = phone if who == "admin" else stranger
    mark = len(double.requests)
    await sender.send_in_group("/start", chat_type=chat_type)
    await sender.send_in_group("Jane Smith", chat_type=chat_type)
    await double.wait_idle()
    assert api_calls_since(double, mark) == []
    assert row_counts(engine)["bot_processed_updates"] == 0


async def test_channel_posts_are_ignored(bot: Any, double: BotApiDouble, engine: Any) -> None:
    mark = len(double.requests)
    await double.channel_post("/start")
    await double.channel_post("Jane Smith")
    await double.wait_idle()
    assert api_calls_since(double, mark) == []
    assert row_counts(engine)["bot_processed_updates"] == 0


async def test_admin_in_private_chat_passes(bot: Any, phone: Phone) -> None:
    await phone.send("/start")
    menu = await phone.wait_reply()
    assert "V3 CRM" in menu["text"]
