"""Tests of the Bot API double itself, over real HTTP.

Part 1 talks to it with httpx, checking Telegram's rules and wording; part 2 runs a real
python-telegram-bot Application (the echo yardstick) against it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InputMediaDocument, InputMediaPhoto, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes, MessageHandler, filters

from sandbox import (
    BotApiDouble,
    BotHandlerErrors,
    Phone,
    build_app,
    build_echo_app,
    button_data,
    buttons,
    running,
)

Result = tuple[int, dict[str, Any]]


@pytest.fixture
async def double() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble() as instance:
        yield instance


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


@pytest.fixture
async def alice(double: BotApiDouble) -> Phone:
    """A user who has written to the bot, so their chat exists."""
    phone = double.phone(user_id=111, first_name="Alice")
    await phone.send("hi")
    return phone


async def call(
    client: httpx.AsyncClient, double: BotApiDouble, method: str, **params: Any
) -> Result:
    response = await client.post(f"{double.api_url}/{method}", json=params)
    return response.status_code, response.json()


async def send(client: httpx.AsyncClient, double: BotApiDouble, **params: Any) -> Result:
    params.setdefault("chat_id", 111)
    return await call(client, double, "sendMessage", **params)


def inline(*rows: list[tuple[str, str]]) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": t, "callback_data": d} for t, d in row] for row in rows]}


# ------------------------------------------------------------------------------ protocol


async def test_wrong_token_is_unauthorized(
    double: BotApiDouble, client: httpx.AsyncClient
) -> None:
    response = await client.post(f"{double.base_url}999:WRONG/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_method_names_are_case_insensitive(
    double: BotApiDouble, client: httpx.AsyncClient
) -> None:
    status, body = await call(client, double, "GETME")
    assert status == 200
    assert body["result"]["is_bot"] is True
    assert double.requests[-1].method == "getMe"


async def test_form_encoded_params_are_decoded_by_type(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    """PTB sends form fields; non-string values arrive JSON-encoded."""
    response = await client.post(
        f"{double.api_url}/sendMessage",
        data={"chat_id": "111", "text": "42", "reply_markup": json.dumps(inline([("A", "a")]))},
    )
    assert response.status_code == 200, response.text
    message = response.json()["result"]
    assert message["text"] == "42"
    assert buttons(message) == ["A"]
    method, params = double.requests[-1]
    assert method == "sendMessage"
    assert params["chat_id"] == 111
    assert params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"


async def test_unknown_chat_and_blocked_user(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    status, body = await send(client, double, chat_id=222, text="hello")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")

    double.block(111)
    status, body = await send(client, double, text="hello")
    assert status == 403
    assert body["description"] == "Forbidden: bot was blocked by the user"
    assert "my_chat_member" in double.updates[-1]
    assert double.updates[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"

    double.unblock(111)
    status, _ = await send(client, double, text="hello again")
    assert status == 200

    double.block(111)
    await alice.send("/start")  # writing to the bot unblocks it
    assert (await send(client, double, text="welcome back"))[0] == 200

    double.phone(333, "Carol")  # known user who never wrote to the bot
    status, body = await send(client, double, chat_id=333, text="hello")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )


async def test_fail_next_injects_429_then_succeeds(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    double.fail_next("sendMessage", retry_after=3)
    status, body = await send(client, double, text="x")
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    status, _ = await send(client, double, text="x")
    assert status == 200

    double.fail_next("getme", error_code=502, times=2)
    assert (await call(client, double, "getMe"))[0] == 502
    assert (await call(client, double, "getMe"))[0] == 502
    assert (await call(client, double, "getMe"))[0] == 200


# ---------------------------------------------------------------------------- formatting


async def test_html_is_parsed_into_text_and_entities(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    status, body = await send(
        client,
        double,
        text='<b>Client</b> &lt;ACME&gt; &amp; co — <a href="https://acme.example">site</a> 😀'
        "<code>42</code>",
        parse_mode="HTML",
    )
    assert status == 200, body
    message = body["result"]
    assert message["text"] == "Client <ACME> & co — site 😀42"
    assert message["entities"] == [
        {"type": "bold", "offset": 0, "length": 6},
        {"type": "text_link", "offset": 21, "length": 4, "url": "https://acme.example"},
        # the emoji is two UTF-16 code units
        {"type": "code", "offset": 28, "length": 2},
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", "Can't find end tag corresponding to start tag b"),
        ("<foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ],
)
async def test_invalid_html_is_rejected(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone, text: str, reason: str
) -> None:
    status, body = await send(client, double, text=text, parse_mode="HTML")
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse entities: " + reason)


async def test_markdown_v2_needs_escaping(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    status, body = await send(client, double, text="Total: 5.00", parse_mode="MarkdownV2")
    assert status == 400
    assert body["description"] == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with "
        "the preceding '\\'"
    )
    status, body = await send(client, double, text="*Total:* 5\\.00", parse_mode="MarkdownV2")
    assert status == 200
    assert body["result"]["text"] == "Total: 5.00"


async def test_text_length_limits(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    assert (await send(client, double, text="x" * 4096))[0] == 200
    status, body = await send(client, double, text="x" * 4097)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    # the limit counts UTF-16 code units: an emoji is two
    assert (await send(client, double, text="😀" * 2048))[0] == 200
    assert (await send(client, double, text="😀" * 2049))[0] == 400
    # markup does not count, only the parsed text
    assert (await send(client, double, text=f"<b>{'x' * 4096}</b>", parse_mode="HTML"))[0] == 200

    for empty in ("", "   \n", "<b></b>"):
        status, body = await send(client, double, text=empty, parse_mode="HTML")
        assert (status, body["description"]) == (400, "Bad Request: message text is empty")


async def test_caption_limit(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    def upload(caption: str) -> Any:
        return client.post(
            f"{double.api_url}/sendDocument",
            data={"chat_id": "111", "caption": caption},
            files={"document": ("a.txt", b"abc", "text/plain")},
        )

    assert (await upload("c" * 1024)).status_code == 200
    response = await upload("c" * 1025)
    assert response.status_code == 400
    assert response.json()["description"] == "Bad Request: message caption is too long"


# ------------------------------------------------------------------------------ keyboards


async def test_callback_data_is_limited_to_64_bytes(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    async def with_data(data: str) -> Result:
        return await send(client, double, text="pick", reply_markup=inline([("B", data)]))

    assert (await with_data("d" * 64))[0] == 200
    assert (await with_data("€" * 21))[0] == 200  # 63 bytes
    for too_long in ("d" * 65, "€" * 22):  # 65 and 66 bytes
        status, body = await with_data(too_long)
        assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


async def test_inline_keyboard_rules(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    async def with_markup(markup: dict[str, Any]) -> Result:
        return await send(client, double, text="pick", reply_markup=markup)

    status, body = await with_markup({"inline_keyboard": [[{"text": "no action"}]]})
    assert status == 400
    assert "Text buttons are unallowed in the inline keyboard" in body["description"]
    status, body = await with_markup({"inline_keyboard": [[{"text": "", "callback_data": "x"}]]})
    assert (status, body["description"].split(":")[1].strip()) == (400, "BUTTON_TEXT_EMPTY")
    two = {"text": "t", "callback_data": "x", "url": "https://e.com"}
    assert (await with_markup({"inline_keyboard": [[two]]}))[0] == 400
    many = inline(*[[(f"b{r}{c}", f"{r}{c}") for c in range(8)] for r in range(13)])
    status, body = await with_markup(many)  # 104 buttons
    assert status == 400
    assert "REPLY_MARKUP_TOO_LONG" in body["description"]
    assert (await with_markup({"keyboard": [["Yes", {"text": "No"}]], "one_time_keyboard": True}))[
        0
    ] == 200
    assert double.reply_keyboard(111) == [["Yes", "No"]]
    await alice.send("Yes")
    assert double.reply_keyboard(111) is None  # one-time keyboard hides after use
    assert (await with_markup({"remove_keyboard": True}))[0] == 200


# ---------------------------------------------------------------------------------- edits


async def test_edit_rules_and_history(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    _, body = await send(client, double, text="Status: new", reply_markup=inline([("Go", "go")]))
    mid = body["result"]["message_id"]

    async def edit(**params: Any) -> Result:
        return await call(client, double, "editMessageText", chat_id=111, message_id=mid, **params)

    status, body = await edit(text="Status: new", reply_markup=inline([("Go", "go")]))
    assert status == 400
    assert body["description"] == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    # trailing whitespace is trimmed by Telegram, so this is still "not modified"
    assert (await edit(text="Status: new\n", reply_markup=inline([("Go", "go")])))[0] == 400

    status, body = await edit(text="Status: done")  # no reply_markup: the keyboard goes away
    assert status == 200
    assert body["result"]["text"] == "Status: done"
    assert "reply_markup" not in body["result"]
    assert "edit_date" in body["result"]
    assert [m["text"] for m in double.history(111, mid)] == ["Status: new"]
    assert double.message(111, mid)["text"] == "Status: done"

    status, body = await call(
        client, double, "editMessageText", chat_id=111, message_id=9999, text="x"
    )
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")
    user_message_id = alice.double.updates[0]["message"]["message_id"]
    status, body = await call(
        client, double, "editMessageText", chat_id=111, message_id=user_message_id, text="x"
    )
    assert (status, body["description"]) == (400, "Bad Request: message can't be edited")

    assert (await call(client, double, "deleteMessage", chat_id=111, message_id=mid))[0] == 200
    status, body = await call(client, double, "deleteMessage", chat_id=111, message_id=mid)
    assert (status, body["description"]) == (400, "Bad Request: message to delete not found")


async def test_reply_to_missing_message(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    status, body = await send(client, double, text="x", reply_parameters={"message_id": 777})
    assert (status, body["description"]) == (400, "Bad Request: message to be replied not found")
    status, body = await send(
        client,
        double,
        text="x",
        reply_parameters={"message_id": 777, "allow_sending_without_reply": True},
    )
    assert status == 200
    assert "reply_to_message" not in body["result"]
    first = double.updates[0]["message"]["message_id"]
    status, body = await send(client, double, text="x", reply_to_message_id=first)
    assert body["result"]["reply_to_message"]["text"] == "hi"


async def test_callback_query_can_be_answered_once(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    _, body = await send(client, double, text="pick", reply_markup=inline([("Yes", "y")]))
    update = await alice.click(body["result"], "Yes")
    assert update["callback_query"]["data"] == "y"
    query_id = update["callback_query"]["id"]

    status, body = await call(
        client, double, "answerCallbackQuery", callback_query_id=query_id, text="t" * 201
    )
    assert (status, body["description"]) == (400, "Bad Request: MESSAGE_TOO_LONG")
    ok = await call(client, double, "answerCallbackQuery", callback_query_id=query_id, text="Ok")
    assert ok[0] == 200
    assert (await alice.wait_answer(update))["text"] == "Ok"
    assert alice.answers[-1]["text"] == "Ok"
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    for query in (query_id, "123"):
        status, body = await call(client, double, "answerCallbackQuery", callback_query_id=query)
        assert (status, body["description"]) == (400, too_old)

    with pytest.raises(AssertionError, match=r"available: \['Yes'\]"):
        await alice.click(double.message(111, body_mid(double)), "No")


def body_mid(double: BotApiDouble) -> int:
    return double.bot_messages(111)[-1]["message_id"]


async def test_commands_validation(double: BotApiDouble, client: httpx.AsyncClient) -> None:
    good = [
        {"command": "start", "description": "Start"},
        {"command": "clients_1", "description": "x"},
    ]
    assert (await call(client, double, "setMyCommands", commands=good))[0] == 200
    assert double.commands == good
    assert (await call(client, double, "getMyCommands"))[1]["result"] == good
    for bad in (
        [{"command": "Start", "description": "x"}],
        [{"command": "x" * 33, "description": "x"}],
        [{"command": "ok", "description": ""}],
        [{"command": "ok", "description": "d" * 257}],
        [{"command": f"c{i}", "description": "x"} for i in range(101)],
    ):
        assert (await call(client, double, "setMyCommands", commands=bad))[0] == 400
    assert (await call(client, double, "deleteMyCommands"))[0] == 200
    assert (await call(client, double, "getMyCommands"))[1]["result"] == []


async def test_menu_button_per_chat_and_web_app_buttons(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    app = {"type": "web_app", "text": "Open CRM", "web_app": {"url": "https://crm.example/app"}}
    status, _ = await call(
        client, double, "setChatMenuButton", chat_id=alice.chat_id, menu_button=app
    )
    assert status == 200
    assert double.menu_button(alice.chat_id) == app
    assert double.menu_button() == {"type": "commands"}  # nobody else's changed
    got = await call(client, double, "getChatMenuButton", chat_id=alice.chat_id)
    assert got[1]["result"] == app
    for bad in (
        {**app, "web_app": {"url": "http://crm.example/app"}},  # Telegram wants HTTPS
        {**app, "text": ""},
        {"type": "web_app", "text": "x"},
        {"type": "sparkles"},
    ):
        status, _ = await call(
            client, double, "setChatMenuButton", chat_id=alice.chat_id, menu_button=bad
        )
        assert status == 400, bad
    assert (await call(client, double, "setChatMenuButton", chat_id=424242, menu_button=app))[
        0
    ] == 400  # a chat the bot never saw
    status, _ = await call(client, double, "setChatMenuButton", chat_id=alice.chat_id)
    assert double.menu_button(alice.chat_id) == {"type": "commands"}  # back to the default

    def markup(url: str) -> dict[str, Any]:
        return {"inline_keyboard": [[{"text": "Open", "web_app": {"url": url}}]]}

    ok = await call(
        client,
        double,
        "sendMessage",
        chat_id=alice.chat_id,
        text="x",
        reply_markup=markup("https://crm.example/app#c=1"),
    )
    assert ok[0] == 200
    bad = await call(
        client,
        double,
        "sendMessage",
        chat_id=alice.chat_id,
        text="x",
        reply_markup=markup("http://crm.example/app"),
    )
    assert bad[0] == 400
    assert "Only HTTPS" in bad[1]["description"]
    async with BotApiDouble(local_web_apps=True) as local:
        phone = local.phone(user_id=5, first_name="Local")
        await phone.send("hi")
        status, _ = await call(
            client,
            local,
            "sendMessage",
            chat_id=phone.chat_id,
            text="x",
            reply_markup=markup("http://127.0.0.1:8080/app"),
        )
        assert status == 200


# ---------------------------------------------------------------------------------- files


async def test_upload_file_id_and_download(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    response = await client.post(
        f"{double.api_url}/sendDocument",
        data={"chat_id": "111", "caption": "<i>report</i>", "parse_mode": "HTML"},
        files={"document": ("report.pdf", b"%PDF-1.4 data", "application/pdf")},
    )
    assert response.status_code == 200, response.text
    message = response.json()["result"]
    document = message["document"]
    assert document["file_name"] == "report.pdf"
    assert document["mime_type"] == "application/pdf"
    assert message["caption"] == "report"
    assert message["caption_entities"] == [{"type": "italic", "offset": 0, "length": 6}]
    [sent] = double.sent_documents(111)
    assert sent.data == b"%PDF-1.4 data"

    # re-sending by file_id reuses the file; an unknown one is refused
    status, body = await call(
        client, double, "sendDocument", chat_id=111, document=document["file_id"]
    )
    assert status == 200
    assert body["result"]["document"]["file_unique_id"] == document["file_unique_id"]
    status, body = await call(client, double, "sendDocument", chat_id=111, document="nope")
    assert (status, body["description"]) == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )

    status, body = await call(client, double, "getFile", file_id=document["file_id"])
    path = body["result"]["file_path"]
    download = await client.get(f"{double.base_file_url}{double.token}/{path}")
    assert download.content == b"%PDF-1.4 data"
    assert (await client.get(f"{double.base_file_url}1:X/{path}")).status_code == 401


async def test_photos_and_big_files(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    update = await alice.send_photo(b"\xff\xd8\xff" + b"p" * 1000, caption="receipt")
    sizes = update["message"]["photo"]
    assert len(sizes) == 3
    assert [s["file_size"] for s in sizes] == sorted(s["file_size"] for s in sizes)
    assert double.file_bytes(sizes[-1]["file_id"]).startswith(b"\xff\xd8\xff")

    status, body = await call(client, double, "sendPhoto", chat_id=111, photo=sizes[-1]["file_id"])
    assert status == 200
    assert body["result"]["photo"] == sizes
    response = await client.post(
        f"{double.api_url}/sendPhoto",
        data={"chat_id": "111"},
        files={"photo": ("x.jpg", b"not an image", "image/jpeg")},
    )
    assert response.json()["description"] == "Bad Request: IMAGE_PROCESS_FAILED"

    big = await alice.send_document(b"\0" * (20 * 1024 * 1024 + 1), "dump.bin", None)
    status, body = await call(
        client, double, "getFile", file_id=big["message"]["document"]["file_id"]
    )
    assert (status, body["description"]) == (400, "Bad Request: file is too big")


# -------------------------------------------------------------------------------- updates


async def test_get_updates_offset_limit_and_long_polling(
    double: BotApiDouble, client: httpx.AsyncClient
) -> None:
    phone = double.phone(222, "Bob")
    sent = [await phone.send(f"m{i}") for i in range(3)]
    ids = [u["update_id"] for u in sent]
    assert ids == sorted(ids)

    _, body = await call(client, double, "getUpdates", limit=2)
    assert [u["update_id"] for u in body["result"]] == ids[:2]
    _, body = await call(client, double, "getUpdates", offset=ids[1])  # confirms ids[0]
    assert [u["update_id"] for u in body["result"]] == ids[1:]
    _, body = await call(client, double, "getUpdates", offset=ids[2] + 1, timeout=0)
    assert body["result"] == []

    started = time.monotonic()
    poll = asyncio.ensure_future(call(client, double, "getUpdates", offset=ids[2] + 1, timeout=5))
    await asyncio.sleep(0.1)
    late = await phone.send("late")
    _, body = await poll
    assert [u["update_id"] for u in body["result"]] == [late["update_id"]]
    assert time.monotonic() - started < 2

    # a new poll terminates the one still waiting, like Telegram
    first = asyncio.ensure_future(
        call(client, double, "getUpdates", offset=late["update_id"] + 1, timeout=5)
    )
    await asyncio.sleep(0.1)
    await call(client, double, "getUpdates", offset=late["update_id"] + 1, timeout=0)
    status, body = await first
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_allowed_updates_filters(double: BotApiDouble, client: httpx.AsyncClient) -> None:
    phone = double.phone(333, "Carol")
    await phone.send("a")
    await phone.send_raw_update(
        {"message_reaction": {"chat": phone.chat, "message_id": 1, "date": 0}}
    )
    _, body = await call(client, double, "getUpdates")  # default excludes message_reaction
    assert [next(k for k in u if k != "update_id") for u in body["result"]] == ["message"]
    assert len(double.dropped_updates) == 1


async def test_webhook_delivery_with_secret(
    double: BotApiDouble, client: httpx.AsyncClient
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        status, _ = await call(client, double, "setWebhook", url=url, secret_token="s3cret")
        assert status == 200
        update = await double.phone(444, "Dan").send("/start now")
        assert received == [("s3cret", update)]
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        status, body = await call(client, double, "getUpdates")
        assert status == 409
        _, body = await call(client, double, "getWebhookInfo")
        assert body["result"]["url"] == url
        assert body["result"]["pending_update_count"] == 0
    finally:
        await runner.cleanup()


async def test_wait_reply_failure_explains_what_the_bot_did(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    await alice.send("report please")
    await send(client, double, text="<b>broken", parse_mode="HTML")
    with pytest.raises(AssertionError, match="can't parse entities"):
        await alice.wait_reply(timeout=0.2)


# ------------------------------------------------------------------- real PTB Application


async def test_echo_bot_round_trip(double: BotApiDouble) -> None:
    phone = double.phone(111, "Alice")
    async with running(build_echo_app(double), double=double):
        await phone.send("/start")
        greeting = await phone.wait_reply()
        assert greeting["text"] == "Hello! Send me anything."
        assert greeting["entities"] == [{"type": "bold", "offset": 0, "length": 6}]

        await phone.send("hello double")
        reply = await phone.wait_reply()
        assert reply["text"] == "hello double"
        assert buttons(reply) == ["Ping"]
        assert button_data(reply) == {"Ping": "ping"}

        press = await phone.click(reply, "Ping")
        answer = await phone.wait_answer(press)
        assert answer["text"] == "pong: ping"
        edited = await phone.wait_edit(reply)
        assert edited["text"] == "hello double\n✓ ping"
        assert buttons(edited) == []  # edit_message_text without markup drops the keyboard
        await phone.wait_idle()
    assert double.history(111, reply["message_id"])[0]["text"] == "hello double"


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


async def test_ptb_multipart_uploads(double: BotApiDouble, alice: Phone) -> None:
    """PTB's own multipart encoding: single uploads, attach:// albums, file_id re-sends."""
    async with Bot(
        double.token, base_url=double.base_url, base_file_url=double.base_file_url
    ) as bot:
        photo = await bot.send_photo(111, PNG, caption="<b>chart</b>", parse_mode="HTML")
        assert photo.caption == "chart"
        assert len(photo.photo) == 3
        again = await bot.send_photo(111, photo.photo[-1].file_id)
        assert again.photo[-1].file_unique_id == photo.photo[-1].file_unique_id
        with pytest.raises(BadRequest, match=r"(?i)can.t use file of type photo as document"):
            await bot.send_document(111, photo.photo[-1].file_id)

        album = await bot.send_media_group(
            111,
            [
                InputMediaDocument(b"one", filename="a.txt", caption="first"),
                InputMediaDocument(b"two", filename="b.txt"),
            ],
        )
        assert [m.document.file_name for m in album] == ["a.txt", "b.txt"]
        assert album[0].media_group_id == album[1].media_group_id
        assert [f.data for f in double.sent_documents(111)[-2:]] == [b"one", b"two"]
        with pytest.raises(BadRequest, match="can't be mixed"):
            await bot.send_media_group(
                111, [InputMediaPhoto(PNG), InputMediaDocument(b"x", filename="x.txt")]
            )

        double.block(111)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(111, "hello?")


async def test_echo_bot_document_round_trip(double: BotApiDouble) -> None:
    phone = double.phone(111, "Alice")
    payload = bytes(range(256)) * 40
    async with running(build_echo_app(double), double=double) as bot:
        update = await phone.send_document(payload, "contract.pdf", "application/pdf")
        reply = await phone.wait_reply()
        assert reply["caption"] == f"contract.pdf: {len(payload)} bytes"
        assert reply["document"]["file_name"] == "contract.pdf"
        assert double.sent_documents(111)[-1].data == payload

        file_id = update["message"]["document"]["file_id"]
        data = await (await bot.bot.get_file(file_id)).download_as_bytearray()
        assert bytes(data) == payload


async def test_redelivered_update_reaches_the_bot_twice(double: BotApiDouble) -> None:
    phone = double.phone(111, "Alice")
    async with running(build_echo_app(double)):
        update = await phone.send("once")
        assert (await phone.wait_reply())["text"] == "once"
        await phone.resend(update)
        assert (await phone.wait_reply())["text"] == "once"
        await phone.wait_idle()
    assert [m["text"] for m in phone.messages] == ["once", "once"]


async def test_handler_exceptions_fail_the_block(double: BotApiDouble) -> None:
    app = build_app(double)

    async def crash(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("boom")

    app.add_handler(MessageHandler(filters.TEXT, crash))
    phone = double.phone(111, "Alice")

    async def scenario() -> None:
        async with running(app, double=double):
            await phone.send("hi")
            # the wait fails, and says why
            with pytest.raises(AssertionError, match="bot raised RuntimeError: boom"):
                await phone.wait_reply(timeout=0.5)

    with pytest.raises(BotHandlerErrors) as caught:
        await scenario()
    assert isinstance(caught.value.exceptions[0], RuntimeError)


async def test_echo_bot_over_webhook(double: BotApiDouble) -> None:
    phone = double.phone(111, "Alice")
    async with running(build_echo_app(double), mode="webhook"):
        assert double.webhook["url"].endswith("/telegram")
        await phone.send("via webhook")
        assert (await phone.wait_reply())["text"] == "via webhook"


async def test_group_messages_and_channel_posts(double: BotApiDouble) -> None:
    phone = double.phone(111, "Alice")
    async with running(build_echo_app(double), allowed_updates=Update.ALL_TYPES):
        update = await phone.send_in_group("team note", chat_id=-100500)
        reply = await phone.wait_reply(chat_id=-100500)
        assert reply["chat"] == {"id": -100500, "type": "group", "title": "Team"}
        # PTB quotes in groups by default: reply_parameters must point at a real message
        assert reply["reply_to_message"]["message_id"] == update["message"]["message_id"]

        await double.channel_post("news", chat_id=-100900)
        [echo] = await double.wait_until(
            lambda: double.bot_messages(-100900), describe="the echo in the channel"
        )
        assert echo["text"] == "news"
        assert echo["sender_chat"]["type"] == "channel"
        await double.wait_idle()


async def test_other_edit_methods_and_misc_rules(
    double: BotApiDouble, client: httpx.AsyncClient, alice: Phone
) -> None:
    response = await client.post(
        f"{double.api_url}/sendDocument",
        data={"chat_id": "111", "caption": "v1", "reply_markup": json.dumps(inline([("A", "a")]))},
        files={"document": ("a.txt", b"abc", "text/plain")},
    )
    mid = response.json()["result"]["message_id"]
    base = {"chat_id": 111, "message_id": mid}
    status, body = await call(client, double, "editMessageText", **base, text="x")
    assert (status, body["description"]) == (
        400,
        "Bad Request: there is no text in the message to edit",
    )
    status, body = await call(
        client, double, "editMessageReplyMarkup", **base, reply_markup=inline([("A", "a")])
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified")
    status, body = await call(
        client,
        double,
        "editMessageCaption",
        **base,
        caption="v2",
        reply_markup=inline([("A", "a")]),
    )
    assert status == 200
    assert body["result"]["caption"] == "v2"
    status, body = await call(client, double, "editMessageReplyMarkup", **base)
    assert status == 200
    assert "reply_markup" not in body["result"]

    status, body = await call(client, double, "sendChatAction", chat_id=111, action="dancing")
    assert (status, body["description"]) == (400, "Bad Request: wrong parameter action in request")
    assert (await call(client, double, "sendChatAction", chat_id=111, action="typing"))[0] == 200
    status, body = await send(client, double, text="x", parse_mode="XML")
    assert (status, body["description"]) == (400, "Bad Request: unsupported parse_mode")
    status, body = await call(client, double, "doesNotExist")
    assert status == 404

    status, body = await call(
        client, double, "copyMessage", chat_id=111, from_chat_id=111, message_id=mid
    )
    assert status == 200
    assert double.message(111, body["result"]["message_id"])["caption"] == "v2"
    _, body = await call(client, double, "getChat", chat_id=111)
    assert body["result"]["first_name"] == "Alice"


async def test_phone_updates_are_valid_ptb_updates(double: BotApiDouble) -> None:
    phone = double.phone(555, "Eve", "eve", last_name="Doe")
    async with Bot(double.token, base_url=double.base_url) as bot:
        sent = [
            await phone.send("/help me"),
            await phone.share_contact("+15550001", "Eve", "Doe", user_id=555),
            await phone.send_photo(PNG, caption="pic"),
            await phone.send_document(b"%PDF", "a.pdf", "application/pdf", media_group_id="g1"),
            await phone.send_video(b"mp4", caption="clip"),
            await phone.send_voice(b"ogg"),
            await phone.send_audio(b"mp3", title="song"),
            await phone.forward("fwd text", sender_name="Hidden"),
            await phone.forward("fwd text 2"),
            await phone.forward(
                photo=PNG,
                caption="site",
                from_user={
                    "id": 4242,
                    "is_bot": False,
                    "first_name": "Jane",
                    "last_name": "Smith",
                },
            ),
        ]
        first = sent[0]["message"]
        sent.append(await phone.send("reply", reply_to=first))
        sent.append(await phone.edit(sent[0], "/help you"))
        message = await bot.send_message(555, "pick", reply_markup=None)
        await bot.edit_message_text("pick!", 555, message.message_id)
        sent.append(await phone.send("x"))
        for raw in sent:
            update = Update.de_json(raw, bot)
            assert update is not None
            assert update.update_id == raw["update_id"]
        parsed = [Update.de_json(raw, bot) for raw in sent]
        assert parsed[0].message.text == "/help me"
        assert parsed[1].message.contact.phone_number == "+15550001"
        assert parsed[2].message.photo[-1].file_size == len(PNG)
        assert parsed[3].message.document.file_name == "a.pdf"
        assert parsed[7].message.forward_origin.sender_user_name == "Hidden"
        assert parsed[8].message.forward_origin.sender_user.first_name == "Someone"
        photo = parsed[9].message
        assert photo.forward_origin.sender_user.last_name == "Smith"
        assert (photo.photo[-1].file_size, photo.caption, photo.text) == (len(PNG), "site", None)
        assert parsed[10].message.reply_to_message.message_id == first["message_id"]
        assert parsed[11].edited_message.text == "/help you"
        ids = [raw.get("message", raw.get("edited_message"))["message_id"] for raw in sent]
        assert ids[-1] == message.message_id + 1  # ids are shared with the bot's messages
