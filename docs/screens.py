"""The README's screenshots, taken by driving the sandbox with demo data in headless Chromium.

    python -m docs.screens [--out docs/screens]      (or ``make screens``)

Starts the sandbox (the real bot, a throwaway SANDBOX_DIR, the demo contacts), plays Lance on a
390 px wide phone screen, and writes one PNG per screen. The pictures are only ever made here:
regenerate them, never edit them by hand. Emoji need a colour emoji font (Debian's
fonts-noto-color-emoji, installed by ``make system-deps``).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Locator, Page, expect

from bot.sandbox_mode import started
from crm_core.config import Settings
from tests.browser import chromium, last_saying, messages, say, tap

OUT = Path(__file__).with_name("screens")
PHONE = {"width": 390, "height": 760}


async def to_top(item: Locator) -> None:
    """Scroll the chat so that ``item`` starts at the top of the screen (a long message)."""
    await item.evaluate("el => el.scrollIntoView({block: 'start'})")
    await item.page.evaluate("document.querySelector('.chat').scrollBy(0, -8)")


async def start_menu(page: Page) -> None:
    await say(page, "/start")
    await expect(last_saying(page, "Add contact")).to_be_visible()


async def add_wizard(page: Page) -> None:
    await say(page, "/add")
    await expect(last_saying(page, "What's the contact's name?")).to_be_visible()
    await say(page, "Jane Smith")
    await tap(last_saying(page, "What type of contact is this?"), "Eviction client")
    await expect(last_saying(page, "Their email address?")).to_be_visible()
    await say(page, "jane@example")
    await expect(last_saying(page, "doesn't look right")).to_be_visible()
    await say(page, "jane.smith@example.co.uk")
    await expect(last_saying(page, "Their phone number?")).to_be_visible()


async def contact_card(page: Page) -> None:
    await say(page, "/cancel")
    await say(page, "/list")
    listing = last_saying(page, re.compile("contact"))
    # The first contact of the list: the keyboard has the type and status filters first.
    first = listing.get_by_role("group", name="Buttons").get_by_role("button").nth(9)
    await first.click()
    await expect(last_saying(page, "Stage:")).to_be_visible()
    await page.wait_for_timeout(300)
    await to_top(last_saying(page, "Stage:"))


async def list_with_filters(page: Page) -> None:
    await say(page, "/list")
    listing = last_saying(page, re.compile("contact"))
    await tap(listing, "Eviction")
    await tap(listing, "Active")
    await expect(listing.get_by_role("button", name="• Active")).to_be_visible()


async def morning_digest(page: Page) -> None:
    await page.get_by_role("button", name="More").click()
    await page.get_by_role("menuitem", name="Send morning digest now").click()
    await expect(last_saying(page, "Your follow-ups")).to_be_visible()
    await page.wait_for_timeout(500)
    await to_top(last_saying(page, "Your follow-ups"))


async def dashboard(page: Page) -> None:
    await say(page, "/dashboard")
    await expect(messages(page).last).to_contain_text("£")


SCREENS: list[tuple[str, Callable[[Page], Awaitable[None]]]] = [
    ("start-menu", start_menu),
    ("add-wizard", add_wizard),
    ("contact-card", contact_card),
    ("list-filters", list_with_filters),
    ("morning-digest", morning_digest),
    ("dashboard", dashboard),
]


async def take(out: Path) -> list[Path]:
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="crm-screens-") as folder:
        settings = Settings(sandbox_dir=Path(folder), sandbox_port=0, digest_check_seconds=0)
        async with started(settings, demo=True) as url, chromium() as browser:
            context = await browser.new_context(viewport=PHONE, device_scale_factor=2)
            page = await context.new_page()
            await page.goto(url)
            for name, play in SCREENS:
                await play(page)
                await page.wait_for_timeout(400)  # let the last message settle
                path = out / f"{name}.png"
                await page.screenshot(path=str(path))
                written.append(path)
            await context.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m docs.screens", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default {OUT})")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
