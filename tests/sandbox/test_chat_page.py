"""The chat page's HTTP side, against the echo bot: what a browser's clicks turn into (the
same updates a phone sends) and what the page is told (server-sent events, answers, files)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from crm_core.demo import picture_png
from sandbox import BotApiDouble, build_echo_app, running
from sandbox.chat import ChatPage, ChatUser

ALICE = ChatUser(111, "Alice")


@pytest.fixture
async def page() -> AsyncIterator[tuple[BotApiDouble, ChatPage, httpx.AsyncClient]]:
    double = BotApiDouble()
    chat = ChatPage(double, [ALICE, ChatUser(666, "Stranger")])
    async with (
        double,
        running(build_echo_app(double), double=double),
        httpx.AsyncClient(base_url=double.url, timeout=10) as client,
    ):
        yield double, chat, client


async def test_state_lists_the_users_and_the_host_actions(page):
    _double, chat, client = page
    called: list[int] = []

    async def action(user_id: int) -> None:
        called.append(user_id)

    chat.add_action("Do it", action)
    state = (await client.get("/chat/state")).json()
    assert state["users"] == [{"id": 111, "name": "Alice"}, {"id": 666, "name": "Stranger"}]
    assert state["actions"] == ["Do it"]
    after = (await client.post("/chat/action", json={"user": 111, "label": "Do it"})).json()
    assert called == [111]
    assert after["actions"] == ["Do it"]
    bad = await client.post("/chat/action", json={"user": 111, "label": "Nope"})
    assert bad.status_code == 400


async def test_unknown_users_and_empty_texts_are_refused(page):
    _, _, client = page
    assert (await client.post("/chat/send", json={"user": 9, "text": "hi"})).status_code == 400
    assert (await client.post("/chat/send", json={"user": 111, "text": " "})).status_code == 400
    assert (await client.post("/chat/send", content=b"[1]")).status_code == 400


async def test_text_reply_and_button_press_round_trip(page):
    double, _, client = page
    assert (await client.post("/chat/send", json={"user": 111, "text": "/start"})).is_success
    phone = double.phone(111)
    greeting = await phone.wait_reply()
    sent = await client.post(
        "/chat/send", json={"user": 111, "text": "hello", "reply_to": greeting["message_id"]}
    )
    assert sent.is_success
    assert (
        phone.double.updates[-1]["message"]["reply_to_message"]["message_id"]
        == (greeting["message_id"])
    )
    echo = await phone.wait_reply()
    answer = await client.post(
        "/chat/press", json={"user": 111, "message_id": echo["message_id"], "data": "ping"}
    )
    assert answer.json() == {"text": "pong: ping", "alert": False}
    edited = await phone.wait_edit(echo)
    assert edited["text"] == "hello\n✓ ping"
    gone = await client.post(
        "/chat/press", json={"user": 111, "message_id": echo["message_id"], "data": "ping"}
    )
    assert gone.status_code == 400  # the edit dropped the keyboard


async def test_events_stream_every_message_of_the_chat_and_again_on_edit(page):
    double, _, client = page
    await client.post("/chat/send", json={"user": 111, "text": "hi"})
    await double.phone(111).wait_reply()
    seen = []
    async with client.stream("GET", "/chat/events", params={"user": 111}) as stream:
        async for line in stream.aiter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
            if len(seen) == 2:
                break
    assert [(e["bot"], e["message"].get("text")) for e in seen] == [(False, "hi"), (True, "hi")]
    assert seen[1]["message"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Ping"


async def test_files_album_contact_and_download(page):
    double, _, client = page
    phone = double.phone(111)
    files = [
        ("file", ("a.txt", b"first", "text/plain")),
        ("file", ("b.txt", b"second", "text/plain")),
    ]
    response = await client.post(
        "/chat/files", data={"user": "111", "caption": "two"}, files=files
    )
    assert response.is_success
    album = [u["message"] for u in double.updates[-2:]]
    assert [m["document"]["file_name"] for m in album] == ["a.txt", "b.txt"]
    assert album[0]["media_group_id"] == album[1]["media_group_id"]
    assert (album[0].get("caption"), album[1].get("caption")) == ("two", None)
    await phone.wait_reply()  # the echo bot sends each document back
    await phone.wait_reply()

    photo = await client.post(
        "/chat/files",
        data={"user": "111"},
        files={"file": ("door.png", picture_png(), "image/png")},
    )
    assert photo.is_success
    sizes = double.updates[-1]["message"]["photo"]
    assert double.file_bytes(sizes[-1]["file_id"]) == picture_png()

    sent = double.sent_documents(111)[0]
    download = await client.get(
        f"/chat/file/{sent.message['document']['file_id']}", params={"download": 1}
    )
    assert download.content == b"first"
    assert download.headers["Content-Disposition"] == 'attachment; filename="a.txt"'
    assert (await client.get("/chat/file/nope")).status_code == 404

    shared = await client.post(
        "/chat/contact", json={"user": 111, "name": "Omar  Khan", "phone": "07700 900456"}
    )
    assert shared.is_success
    assert double.updates[-1]["message"]["contact"] == {
        "phone_number": "07700 900456",
        "first_name": "Omar",
        "last_name": "Khan",
    }
    assert (await client.post("/chat/contact", json={"user": 111, "name": "X"})).status_code == 400
    await phone.wait_idle()
