"""The chat page in Chromium, driven from the Bot API side: what a bot sends is drawn as
Telegram draws it (entities, keyboards edited in place, toasts and alerts, files), and what the
person does reaches the bot as Telegram updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright", reason="`pip install -e '.[test]'` to run the browser tests")
from playwright.async_api import Page, expect

from crm_core.demo import picture_png
from sandbox import BotApiDouble
from sandbox.chat import ChatPage, ChatUser
from tests.browser import chromium, messages, missing, say

pytestmark = pytest.mark.browser
ALICE = ChatUser(111, "Alice")
INLINE = {
    "inline_keyboard": [
        [{"text": "Yes", "callback_data": "y"}, {"text": "No", "callback_data": "n"}]
    ]
}


@pytest.fixture
async def setup() -> AsyncIterator[tuple[BotApiDouble, Page, httpx.AsyncClient]]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    double = BotApiDouble()
    ChatPage(double, [ALICE])
    async with (
        double,
        httpx.AsyncClient(base_url=double.api_url + "/", timeout=10) as api,
        chromium() as browser,
    ):
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(double.url)
        yield double, page, api


async def call(api: httpx.AsyncClient, method: str, **params: Any) -> Any:
    response = await api.post(method, json=params)
    body = response.json()
    assert body["ok"], body
    return body["result"]


async def test_entities_are_drawn_and_spoilers_hidden_until_tapped(setup):
    _, page, api = setup
    html = (
        "<b>bold</b> <i>it</i> <u>under</u> <s>gone</s> <code>x = 1</code> "
        '<a href="https://example.com/a">a link</a> <tg-spoiler>secret</tg-spoiler>\n'
        "<pre>block</pre>"
    )
    await call(api, "sendMessage", chat_id=111, text=html, parse_mode="HTML")
    item = messages(page).last
    await expect(item).to_have_text("bold it under gone x = 1 a link secret\nblock")
    await expect(item.locator("strong")).to_have_text("bold")
    await expect(item.locator("em")).to_have_text("it")
    await expect(item.locator("u")).to_have_text("under")
    await expect(item.locator("s")).to_have_text("gone")
    await expect(item.locator("code")).to_have_text("x = 1")
    await expect(item.locator("pre")).to_have_text("block")
    link = item.get_by_role("link", name="a link")
    await expect(link).to_have_attribute("href", "https://example.com/a")
    spoiler = item.locator(".spoiler")
    await expect(spoiler).not_to_have_class("spoiler revealed")
    await spoiler.click()
    await expect(spoiler).to_have_class("spoiler revealed")


async def test_keyboards_edits_toasts_and_alerts(setup):
    double, page, api = setup
    sent = await call(api, "sendMessage", chat_id=111, text="Sure?", reply_markup=INLINE)
    item = messages(page).last
    await item.get_by_role("button", name="Yes").click()
    [query] = await double.wait_until(
        lambda: [u["callback_query"] for u in double.updates if "callback_query" in u]
    )
    assert query["data"] == "y"
    assert query["message"]["message_id"] == sent["message_id"]
    await call(api, "answerCallbackQuery", callback_query_id=query["id"], text="Saved ✓")
    await expect(page.get_by_role("status")).to_have_text("Saved ✓")

    await call(api, "editMessageText", chat_id=111, message_id=sent["message_id"], text="Done.")
    await expect(item).to_have_text("Done.")  # edited in place: same item, keyboard gone
    await expect(messages(page)).to_have_count(1)

    await call(
        api,
        "editMessageText",
        chat_id=111,
        message_id=sent["message_id"],
        text="Again?",
        reply_markup=INLINE,
    )
    await item.get_by_role("button", name="No").click()
    queries = await double.wait_until(
        lambda: [u["callback_query"] for u in double.updates if "callback_query" in u][1:]
    )
    await call(
        api,
        "answerCallbackQuery",
        callback_query_id=queries[0]["id"],
        text="That contact was deleted.",
        show_alert=True,
    )
    alert = page.get_by_role("alertdialog")
    await expect(alert).to_contain_text("That contact was deleted.")
    await alert.get_by_role("button", name="OK").click()
    await expect(alert).to_be_hidden()

    await call(api, "deleteMessage", chat_id=111, message_id=sent["message_id"])
    await expect(messages(page)).to_have_count(0)


async def test_files_from_the_bot_and_to_it(setup, tmp_path):
    double, page, api = setup
    response = await api.post(
        "sendDocument",
        data={"chat_id": "111", "caption": "The quote"},
        files={"document": ("quote.txt", b"1,150 GBP", "text/plain")},
    )
    assert response.json()["ok"]
    await api.post(
        "sendPhoto",
        data={"chat_id": "111"},
        files={"photo": ("p.png", picture_png(), "image/png")},
    )
    document = messages(page).filter(has_text="The quote")
    link = document.get_by_role("link", name="quote.txt")
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    assert download.suggested_filename == "quote.txt"
    saved = tmp_path / "quote.txt"
    await download.save_as(saved)
    assert saved.read_bytes() == b"1,150 GBP"
    photo = messages(page).last.get_by_role("img", name="Photo")
    await expect(photo).to_be_visible()
    assert await photo.evaluate("img => img.naturalWidth") == 96

    first, second = tmp_path / "a.txt", tmp_path / "b.png"
    first.write_bytes(b"one")
    second.write_bytes(picture_png())
    await page.get_by_role("textbox", name="Message").fill("two files")
    await page.get_by_label("Attach").set_input_files([first, second])
    album = await double.wait_until(
        lambda: (
            [u["message"] for u in double.updates if "media_group_id" in u.get("message", {})][-2:]
            if len(double.updates) >= 2
            else None
        )
    )
    assert album[0]["document"]["file_name"] == "a.txt"
    assert album[0]["caption"] == "two files"
    assert "photo" in album[1]
    assert album[0]["media_group_id"] == album[1]["media_group_id"]


async def test_reply_action_and_command_menu(setup):
    double, page, api = setup
    await call(
        api,
        "setMyCommands",
        commands=[
            {"command": "add", "description": "Add a contact"},
            {"command": "list", "description": "Browse"},
        ],
    )
    card = await call(api, "sendMessage", chat_id=111, text="Jane Smith\nEviction client")
    await page.reload()
    await messages(page).last.get_by_role("button", name="Reply").click()
    await say(page, "a note")
    update = await double.wait_until(lambda: [u for u in double.updates if "message" in u])
    assert update[-1]["message"]["reply_to_message"]["message_id"] == card["message_id"]
    assert update[-1]["message"]["text"] == "a note"

    await page.get_by_role("button", name="Menu").click()
    options = page.get_by_role("listbox", name="Commands").get_by_role("option")
    await expect(options).to_have_count(2)
    await options.filter(has_text="/list").click()
    await double.wait_until(lambda: double.updates[-1].get("message", {}).get("text") == "/list")
    assert double.updates[-1]["message"]["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 5}
    ]
