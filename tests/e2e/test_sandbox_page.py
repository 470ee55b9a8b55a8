"""The sandbox in a real browser: the real bot (``crm-bot --sandbox``) behind the chat page,
used the way a person would, by tapping and typing (Playwright driving system Chromium).

The sandbox keeps its own SQLite database under SANDBOX_DIR whatever DATABASE_URL says, so
these cases run on SQLite only.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("playwright", reason="`pip install -e '.[test]'` to run the browser tests")
from playwright.async_api import Page, expect

from bot.sandbox_mode import SANDBOX_ADMINS, started
from crm_core.config import Settings
from crm_core.demo import picture_png
from tests.browser import chromium, last_saying, messages, missing, say, tap

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[str]:
    """The sandbox on a free port with its folder in tmp; yields the page's address."""
    settings = Settings(
        sandbox_dir=tmp_path / "sandbox-data",
        sandbox_port=0,
        digest_check_seconds=0,  # no digest out of the blue
        database_url="sqlite:///must-not-be-used.db",
        file_storage_dir=tmp_path / "must-not-be-used",
    )
    async with started(settings) as url:
        yield url
    only_its_own_folder(tmp_path)


def only_its_own_folder(tmp_path: Path) -> None:
    """The sandbox wrote its database under SANDBOX_DIR, never DATABASE_URL's or
    FILE_STORAGE_DIR's."""
    assert (tmp_path / "sandbox-data" / "crm.db").exists()
    assert not Path("must-not-be-used.db").exists()
    assert not (tmp_path / "must-not-be-used").exists()


@pytest.fixture
async def page(sandbox: str) -> AsyncIterator[Page]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    async with chromium() as browser:
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        await page.goto(sandbox)
        yield page
        await context.close()
    assert not errors, f"the page's script failed: {errors}"


async def test_add_a_client_move_its_stage_note_it_and_attach_a_photo(page: Page, tmp_path: Path):
    await expect(page.get_by_role("combobox", name="User")).to_have_value(
        str(SANDBOX_ADMINS[0].telegram_user_id)
    )
    await say(page, "/start")
    menu = last_saying(page, "contacts, notes, stages and follow-ups")
    await tap(menu, "➕ Add contact")
    await expect(messages(page).last).to_contain_text("What's the contact's name?")
    await say(page, "Jane Smith")
    await tap(last_saying(page, "What type of contact is this?"), "Eviction client")
    await expect(messages(page).last).to_contain_text("Their email address?")
    await say(page, "jane@example.com")
    await expect(messages(page).last).to_contain_text("Their phone number?")
    await say(page, "07700 900123")
    for question in (
        "Their company",
        "The property address?",
        "How did they find us?",
        "How urgent is it?",
        "Next follow-up?",
        "Potential value in £?",
    ):
        await tap(last_saying(page, question), "Skip")
    summary = last_saying(page, "New contact — check and save:")
    await expect(summary).to_contain_text("Name: Jane Smith")
    await tap(summary, "✅ Save")

    card = messages(page).filter(has_text=re.compile(r"^Jane Smith\s*Eviction client")).last
    await expect(card).to_contain_text("Stage: New Inquiry")
    await tap(card, "📶 Stage")
    await tap(card, "Client Pack Sent")  # the card is redrawn in place as the stage menu
    await expect(card).to_contain_text("Stage: Client Pack Sent")

    await card.get_by_role("button", name="Reply").click()
    await say(page, "Called the landlord, tenant still in")
    await expect(messages(page).filter(has_text="📝 Note added.")).to_have_count(1)
    card = messages(page).filter(has_text="Called the landlord, tenant still in").last
    await expect(card).to_contain_text("Stage: Client Pack Sent")

    photo = tmp_path / "front-door.png"
    photo.write_bytes(picture_png())
    await card.get_by_role("button", name="Reply").click()
    await page.get_by_label("Attach").set_input_files(photo)
    await expect(last_saying(page, "Saved to Jane Smith")).to_contain_text("Photo")
    mine = messages(page).filter(has=page.get_by_role("img", name="Photo"))
    await expect(mine).to_have_count(1)

    await tap(card, "📎 Files")
    files = messages(page).filter(has_text="Files of Jane Smith").last
    await expect(files).to_contain_text(re.compile(r"• photo_\S+\.jpg — Photo"))


async def test_the_stranger_gets_only_the_refusal(page: Page):
    await page.get_by_role("combobox", name="User").select_option(label="Stranger")
    await say(page, "/start")
    refusal = messages(page).filter(has_text="private CRM")
    await expect(refusal).to_have_count(1)
    await expect(refusal).to_contain_text("give the owner your Telegram id: 4242")
    await page.wait_for_timeout(500)  # nothing else follows
    await expect(messages(page)).to_have_count(2)  # their /start and the refusal
    await expect(
        page.get_by_role("list", name="Messages")
        .get_by_role("button")
        .filter(has_text=re.compile("."))
    ).to_have_count(0)

    await page.get_by_role("combobox", name="User").select_option(label="Lance")
    await expect(messages(page)).to_have_count(0)  # each user has their own chat


async def test_phone_layout_at_390_px(page: Page):
    await say(page, "/help")
    await expect(messages(page)).to_have_count(2)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide"
    for control in (
        page.get_by_role("textbox", name="Message"),
        page.get_by_role("button", name="Send", exact=True),
        page.get_by_label("Attach"),
        page.get_by_role("button", name="Share contact"),
        page.get_by_role("combobox", name="User"),
    ):
        box = await control.bounding_box()
        assert box is not None
        assert box["x"] >= 0, box
        assert box["x"] + box["width"] <= PHONE["width"] + 1, box


async def test_command_menu_contact_form_toasts_and_the_digest_action(page: Page):
    text_box = page.get_by_role("textbox", name="Message")
    await text_box.fill("/he")
    commands = page.get_by_role("listbox", name="Commands")
    await expect(commands.get_by_role("option")).to_have_text(["/helpWhat this bot does"])
    await commands.get_by_role("option").click()
    await expect(messages(page).last).to_contain_text("/add — add a contact")

    await page.get_by_role("button", name="Share contact").click()
    await page.get_by_label("Name").fill("Omar Khan")
    await page.get_by_label("Phone").fill("07700 900456")
    await page.get_by_role("button", name="Share", exact=True).click()
    await expect(messages(page).filter(has_text="Omar Khan").first).to_be_visible()
    await expect(messages(page).last).to_contain_text("What type of contact is this?")

    await page.get_by_role("button", name="More").click()
    await page.get_by_role("menuitem", name="Send morning digest now").click()
    await expect(messages(page).last).to_contain_text(
        re.compile("Nothing due today|Your follow-ups")
    )


async def test_typed_html_is_shown_as_text_never_run(page: Page):
    hostile = "<img src=x onerror=\"document.title='pwned'\"> & <b>bold</b>"
    await say(page, hostile)
    await expect(messages(page).first).to_have_text(re.compile(re.escape(hostile)))
    await expect(messages(page)).to_have_count(2)  # the bot answers (a search with no match)
    await expect(messages(page).last).to_contain_text(hostile)
    assert await page.title() != "pwned"
    assert await page.locator("#messages img").count() == 0
    assert await page.locator("#messages b").count() == 0


async def test_open_in_app_shows_the_contact_in_the_mini_app_panel(page: Page):
    """The sandbox serves the Mini App from the bot's own web server: a card's "Open in app"
    opens it in a phone-sized panel, signed as Telegram would, on that contact."""
    await say(page, "/add Harriet Vane, harriet@example.com, eviction")
    await tap(last_saying(page, "harriet@example.com"), "✅ Save")
    card = last_saying(page, "Harriet Vane")
    await tap(card, "📱 Open in app")
    panel = page.get_by_role("dialog", name="📱 Open in app")
    await panel.wait_for()
    app = page.frame_locator("#webapp-frame")
    await expect(app.get_by_text("harriet@example.com").first).to_be_visible(timeout=15_000)
