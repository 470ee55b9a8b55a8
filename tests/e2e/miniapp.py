"""The Mini App in a real Chromium (Playwright for Python, the system's /usr/bin/chromium), with
the real bot running against the Bot API double on the same database.

``CRM_REQUIRE_BROWSER=1`` (CI) turns a missing browser into a failure instead of a skip.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestServer

from bot.runtime import BOT_DATA_KEY, Crm
from sandbox import BotApiDouble, RunningApp
from tests.conftest import ALICE, NOW
from web.initdata import sign
from web.server import build_web_app

CHROMIUM = "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("CRM_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
#: Where ``CRM_SCREENSHOTS=dir`` puts the README's screenshots (none by default).
SCREENSHOTS = os.environ.get("CRM_SCREENSHOTS")

LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
}
DARK = {
    "bg_color": "#212121",
    "text_color": "#ffffff",
    "hint_color": "#aaaaaa",
    "button_color": "#8774e1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#181818",
    "destructive_text_color": "#ff595a",
}


def launch_fragment(
    token: str,
    theme: dict[str, str],
    user_id: int = ALICE.telegram_user_id,
    first_name: str = "Alice",
) -> str:
    """The URL fragment Telegram opens a Mini App with: signed init data, version, theme."""
    fields = {
        "query_id": "AAHbrowser",
        "user": json.dumps({"id": user_id, "first_name": first_name}),
        "auth_date": str(int(NOW.timestamp())),
    }
    fields["hash"] = sign(fields, token)
    init = "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())
    return (
        f"#tgWebAppData={quote(init, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=tdesktop"
        f"&tgWebAppThemeParams={quote(json.dumps(theme), safe='')}"
    )


@dataclass
class Browser:
    """A Chromium, and the dialogs any of its pages opened (an XSS would open one)."""

    browser: Any
    dialogs: list[str] = field(default_factory=list)
    #: Script errors and console errors of every page.
    errors: list[str] = field(default_factory=list)

    async def page(
        self, url: str, *, width: int = 1280, height: int = 900, dark: bool = False
    ) -> Any:
        context = await self.browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme="dark" if dark else "light",
        )
        page = await context.new_page()
        # No internet here: Telegram's script is optional, and the page must work without it.
        await page.route("https://telegram.org/**", lambda route: route.abort())

        async def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda err: self.errors.append(f"page error: {err}"))
        # (Chromium also logs every 4xx answer as a console error: those are expected.)
        page.on(
            "console",
            lambda msg: (
                msg.type == "error"
                and not msg.text.startswith("Failed to load resource")
                and self.errors.append(msg.text)
            ),
        )
        await page.goto(url)
        return page


@pytest.fixture
def chromium_path() -> str:
    """The system's Chromium, or a skip (a failure when CRM_REQUIRE_BROWSER=1)."""
    if not Path(CHROMIUM).exists():
        _no_browser(f"{CHROMIUM} is missing (scripts/system-deps.sh installs it)")
    return CHROMIUM


@pytest.fixture
async def chromium(chromium_path: str) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        try:
            yield Browser(browser)
        finally:
            await browser.close()


def _no_browser(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"browser case skipped while CRM_REQUIRE_BROWSER=1: {reason}")
    pytest.skip(reason)


@pytest.fixture
async def web_base(bot: RunningApp) -> AsyncIterator[str]:
    """The web server on the running bot's own services (one process, one database)."""
    services: Crm = bot.app.bot_data[BOT_DATA_KEY]
    async with TestServer(build_web_app(services), host="127.0.0.1", port=0) as server:
        yield str(server.make_url("")).rstrip("/")


def app_url(
    base: str, double: BotApiDouble, theme: dict[str, str] = LIGHT, query: str = ""
) -> str:
    return f"{base}/app{query}{launch_fragment(double.token, theme)}"


async def screenshot(page: Any, name: str) -> None:
    """Save a screenshot for the README when ``CRM_SCREENSHOTS`` names a folder."""
    if SCREENSHOTS:
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=False)
