"""The Mini App from the chat: menu buttons per admin chat, /app, and the card's "Open in app"
button, only when PUBLIC_URL is set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from bot import texts
from sandbox import BotApiDouble, Phone, buttons
from tests.conftest import ALICE
from tests.e2e.flows import say
from tests.e2e.support import add_contact

PUBLIC = "https://crm.example.com"
APP = {"type": "web_app", "text": "CRM", "web_app": {"url": f"{PUBLIC}/app"}}


def web_app_urls(message: dict[str, Any]) -> dict[str, str]:
    return {
        b["text"]: b["web_app"]["url"]
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
        if "web_app" in b
    }


async def test_menu_button_per_admin_app_command_and_card_button(
    start_bot: Callable[..., Any],
    double: BotApiDouble,
    phone: Phone,
    bob_phone: Phone,
    engine: Engine,
) -> None:
    await phone.send("hi")  # Alice's chat exists before the bot starts; Bob's doesn't
    async with start_bot(public_url=PUBLIC):
        await phone.wait_idle()
        assert double.menu_button(phone.chat_id) == APP
        assert double.menu_button() == {"type": "commands"}, "never everyone's default"
        assert double.menu_button(bob_phone.chat_id) == {"type": "commands"}
        assert "app" in [c["command"] for c in double.commands]

        reply = await say(bob_phone, "/app")
        assert web_app_urls(reply) == {"Open the CRM": f"{PUBLIC}/app"}
        assert double.menu_button(bob_phone.chat_id) == APP

        cid = add_contact(engine, ALICE.telegram_user_id, "Priya Patel")
        card = await say(phone, "Priya Patel")
        assert web_app_urls(card) == {"📱 Open in app": f"{PUBLIC}/app?contact={cid}"}
        assert "📝 Note" in buttons(card)


async def test_without_public_url_there_is_no_mini_app(
    start_bot: Callable[..., Any], double: BotApiDouble, phone: Phone, engine: Engine
) -> None:
    await phone.send("hi")
    async with start_bot():
        await phone.wait_idle()
        assert double.calls("setChatMenuButton") == []
        assert "app" not in [c["command"] for c in double.commands]
        assert (await say(phone, "/app"))["text"] == texts.APP_NOT_CONFIGURED
        add_contact(engine, ALICE.telegram_user_id, "Priya Patel")
        card = await say(phone, "Priya Patel")
        assert web_app_urls(card) == {}
