"""The bot's aiohttp client for the Bot API (bot/transport.py) against a real local HTTP server:
what PTB needs of it (form fields, uploads, status and body) and PTB's errors for failures."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.transport import AiohttpRequest


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async def echo(request: web.Request) -> web.Response:
        if request.content_type.startswith("multipart/"):
            parts = {}
            async for part in await request.multipart():
                assert part.name is not None
                parts[part.name] = (part.filename, (await part.read()).decode())
            return web.json_response({"multipart": parts})
        return web.json_response({"form": dict(await request.post())})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    async def teapot(request: web.Request) -> web.Response:
        return web.Response(status=418, body=b'{"ok":false}')

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/slow", slow)
    app.router.add_post("/teapot", teapot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    req = AiohttpRequest(connection_pool_size=4)
    await req.initialize()
    yield req
    await req.shutdown()


def params(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_form_fields_are_sent_as_telegram_expects(server: str, request_: AiohttpRequest):
    status, body = await request_.do_request(
        f"{server}/echo", "POST", params(chat_id=7, text="£5 & 'quotes' = ok", flag=True)
    )
    assert status == 200
    form = {"chat_id": "7", "text": "£5 & 'quotes' = ok", "flag": "true"}
    assert json.loads(body) == {"form": form}


async def test_an_upload_is_multipart_with_its_file_name(server: str, request_: AiohttpRequest):
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", 7),
            RequestParameter.from_input("document", InputFile(b"hello", filename="a b.txt")),
        ]
    )
    status, body = await request_.do_request(f"{server}/echo", "POST", data)
    assert status == 200
    assert b'"document": ["a b.txt", "hello"]' in body
    assert b'"chat_id": [null, "7"]' in body


async def test_an_error_status_comes_back_for_ptb_to_read(server: str, request_: AiohttpRequest):
    assert await request_.do_request(f"{server}/teapot", "POST") == (418, b'{"ok":false}')


async def test_a_slow_reply_is_timed_out(server: str, request_: AiohttpRequest):
    with pytest.raises(TimedOut):
        await request_.do_request(f"{server}/slow", "POST", read_timeout=0.2)


async def test_nobody_listening_is_a_network_error(request_: AiohttpRequest):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError"):
        await request_.do_request(f"http://127.0.0.1:{port}/x", "POST")


async def test_shutdown_then_use_starts_a_new_session(server: str):
    req = AiohttpRequest()
    await req.initialize()
    await req.shutdown()
    status, _ = await req.do_request(f"{server}/echo", "POST", params(a=1))
    assert status == 200
    await req.shutdown()


def test_the_environment_proxy_is_used_unless_the_host_is_excluded(
    monkeypatch: pytest.MonkeyPatch,
):
    from bot import transport

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    transport._proxy_of.cache_clear()
    try:
        assert transport.proxy_for("https://api.telegram.org/bot1:x/getMe") == (
            "http://proxy.example:3128"
        )
        assert transport.proxy_for("http://127.0.0.1:8081/bot1:x/getMe") is None
    finally:
        transport._proxy_of.cache_clear()
