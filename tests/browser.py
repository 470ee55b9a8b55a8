"""Real Chromium for the page tests (and the README's screenshots): Debian's system browser
driven by Playwright for Python. No browser is ever downloaded. Also the verbs that use the
sandbox's chat page as a person would (``say``, ``tap``, ``last_saying``).

Outside CI, a missing Chromium or Playwright skips a browser test with one line saying how to
enable it; with ``CRM_REQUIRE_BROWSER=1`` (CI) such a skip is a failure (``tests/conftest.py``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from re import Pattern
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def missing() -> str | None:
    """Why the browser tests can't run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed: `pip install -e '.[test]'` to run the browser tests"
    if not CHROMIUM.exists():
        return (
            f"no Chromium at {CHROMIUM}: `make system-deps` (Debian's chromium) "
            "to run the browser tests"
        )
    return None


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A headless system Chromium (a Playwright ``Browser``)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


def messages(page: Page) -> Locator:
    """The chat's messages, both ways, oldest first."""
    return page.get_by_role("list", name="Messages").get_by_role("listitem")


def last_saying(page: Page, text: str | Pattern[str]) -> Locator:
    return messages(page).filter(has_text=text).last


async def say(page: Page, text: str) -> None:
    """Type ``text`` in the message box and tap Send."""
    await page.get_by_role("textbox", name="Message").fill(text)
    await page.get_by_role("button", name="Send", exact=True).click()


async def tap(item: Locator, label: str) -> None:
    """Tap the button ``label`` of a message."""
    await item.get_by_role("button", name=label, exact=True).click()
