"""Mini Apps in the stand-in: web_app buttons and the chat menu button under Telegram's rules,
and the launch the chat page does: ``#tgWebAppData=`` init data signed as Telegram signs it."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
import pytest

from sandbox import BotApiDouble
from sandbox.chat import ChatPage, ChatUser
from sandbox.webapp import init_data, launch_url, sign
from tests.browser import chromium, missing

TOKEN = "123:TEST"
APP = "http://127.0.0.1:9/app"


def telegram_check(token: str, raw: str) -> dict[str, str]:
    """Telegram's documented validation, written out independently of sandbox.webapp."""
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    received = fields.pop("hash")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received, expected), "the init data's hash does not verify"
    return fields


def test_init_data_verifies_and_carries_the_user():
    user = {"id": 111, "is_bot": False, "first_name": "Zoë", "language_code": "en"}
    raw = init_data(TOKEN, user, chat_instance="42", auth_date=1_700_000_000)
    fields = telegram_check(TOKEN, raw)
    assert json.loads(fields["user"]) == user
    assert (fields["auth_date"], fields["chat_type"], fields["chat_instance"]) == (
        "1700000000",
        "private",
        "42",
    )
    with pytest.raises(AssertionError):
        telegram_check("123:OTHER", raw)  # another bot's token does not verify it
    assert sign(TOKEN, {"a": "1", "hash": "ignored"}) == sign(TOKEN, {"a": "1"})


def test_launch_url_puts_the_data_in_the_fragment():
    url = launch_url("https://example.com/app#old", "user=x&hash=y")
    parts = urlsplit(url)
    assert parts._replace(fragment="").geturl() == "https://example.com/app"
    params = dict(parse_qsl(parts.fragment))
    assert params["tgWebAppData"] == "user=x&hash=y"
    assert params["tgWebAppVersion"]
    assert json.loads(params["tgWebAppThemeParams"])["bg_color"] == "#ffffff"


async def api(client: httpx.AsyncClient, double: BotApiDouble, method: str, **params: Any):
    response = await client.post(f"{double.api_url}/{method}", json=params)
    return response.status_code, response.json()


def web_app_button(url: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "Open CRM", "web_app": {"url": url}}]]}


async def test_web_app_urls_must_be_https_unless_local_ones_are_allowed():
    for local in (False, True):
        async with BotApiDouble(local_web_apps=local) as double, httpx.AsyncClient() as client:
            await double.phone(111).send("/start")

            async def status_of(url: str) -> int:
                markup = web_app_button(url)
                status, _ = await api(
                    client, double, "sendMessage", chat_id=111, text="x", reply_markup=markup
                )
                return status

            assert await status_of(APP) == (200 if local else 400)
            assert await status_of("http://evil.example/app") == 400  # never HTTP elsewhere
            assert await status_of("https://crm.example/app") == 200


async def test_chat_menu_button():
    async with BotApiDouble() as double, httpx.AsyncClient() as client:
        await double.phone(111).send("/start")
        assert double.menu_button(111) == {"type": "commands"}
        button = {"type": "web_app", "text": "CRM", "web_app": {"url": "https://crm.example/app"}}
        assert (await api(client, double, "setChatMenuButton", menu_button=button))[0] == 200
        assert double.menu_button(111) == button  # the default applies to every chat
        status, body = await api(client, double, "getChatMenuButton", chat_id=111)
        assert (status, body["result"]) == (200, button)
        mine = {"type": "commands"}
        await api(client, double, "setChatMenuButton", chat_id=111, menu_button=mine)
        assert double.menu_button(111) == mine
        bad = {"type": "web_app", "text": "", "web_app": {"url": "https://crm.example"}}
        status, _ = await api(client, double, "setChatMenuButton", menu_button=bad)
        assert status == 400
        status, _ = await api(client, double, "setChatMenuButton", menu_button={"type": "x"})
        assert status == 400


@pytest.fixture
async def page_url() -> AsyncIterator[tuple[BotApiDouble, str]]:
    double = BotApiDouble(TOKEN, local_web_apps=True)
    ChatPage(double, [ChatUser(111, "Alice")])
    async with double:
        yield double, double.url


@pytest.mark.browser
async def test_the_page_opens_a_web_app_button_signed_in_a_phone_sized_panel(page_url):
    reason = missing()
    if reason:
        pytest.skip(reason)
    double, url = page_url
    app_url = f"{url}/static/index.html"  # any local page will do as the "Mini App"
    async with httpx.AsyncClient() as client:
        status, _ = await api(
            client,
            double,
            "sendMessage",
            chat_id=111,
            text="The CRM as a page:",
            reply_markup=web_app_button(app_url),
        )
        assert status == 200
        button = {"type": "web_app", "text": "CRM", "web_app": {"url": app_url}}
        await api(client, double, "setChatMenuButton", chat_id=111, menu_button=button)
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(url)
        await page.get_by_role("button", name="Open CRM").click()
        panel = page.get_by_role("dialog", name="Open CRM")
        await panel.wait_for()
        src = await panel.locator("iframe").get_attribute("src")
        assert src is not None
        assert src.startswith(app_url + "#tgWebAppData=")
        launch = dict(parse_qsl(urlsplit(src).fragment))
        fields = telegram_check(TOKEN, launch["tgWebAppData"])
        assert json.loads(unquote(fields["user"]))["id"] == 111
        box = await panel.bounding_box()
        assert box is not None
        assert box["width"] <= 390
        await page.get_by_role("button", name="Close").click()
        await panel.wait_for(state="hidden")
        menu = page.get_by_role("button", name="CRM", exact=True)  # the menu button
        await menu.click()
        await page.get_by_role("dialog", name="CRM").wait_for()
