"""The Mini App in a real browser, against the real server and the real bot on one database:
what an admin does on the page shows on the bot's card."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import expect
from sqlalchemy import Engine

from sandbox import BotApiDouble, Phone, RunningApp
from tests.conftest import ALICE, TODAY
from tests.e2e.flows import freeze, say
from tests.e2e.miniapp import (
    DARK,
    Browser,
    app_url,
    chromium,
    chromium_path,
    screenshot,
    web_base,
)
from tests.e2e.support import add_contact

__all__ = ["chromium", "chromium_path", "web_base"]  # fixtures

XSS_NAME = "<img src=x onerror=alert(1)>"


def seed_pipeline(engine: Engine) -> dict[str, int]:
    from datetime import timedelta

    alice = ALICE.telegram_user_id
    return {
        "priya": add_contact(
            engine,
            alice,
            "Priya Patel",
            contact_type="prevention_prospect",
            company="Leeds Lettings",
            current_stage="quote_sent",
            potential_value="1500",
            next_followup_date=TODAY,
        ),
        "olu": add_contact(engine, alice, "Olu Ade", next_followup_date=TODAY - timedelta(days=3)),
        "sam": add_contact(engine, alice, "Sam Hill", email="sam@example.com"),
        "rex": add_contact(
            engine,
            alice,
            "Rex Stone",
            contact_type="prevention_prospect",
            current_stage="in_discussion",
            potential_value="800",
        ),
    }


async def test_an_admin_works_the_pipeline_and_the_bot_sees_it(
    bot: RunningApp,
    web_base: str,
    chromium: Browser,
    double: BotApiDouble,
    phone: Phone,
    engine: Engine,
) -> None:
    freeze(bot)
    seed_pipeline(engine)
    page = await chromium.page(app_url(web_base, double))

    # Dashboard: the bot's figures.
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await expect(page.get_by_role("button", name="Follow-ups today")).to_contain_text("1")
    await expect(page.get_by_role("button", name="Overdue")).to_contain_text("1")
    await expect(page.get_by_role("button", name="Quotes pending")).to_contain_text("1")
    await expect(page.get_by_role("button", name="Potential revenue")).to_contain_text("£2,300.00")
    await screenshot(page, "dashboard")
    await page.get_by_role("button", name="Overdue").click()
    await expect(page.get_by_role("button", name=re.compile("Olu Ade"))).to_be_visible()

    # Contacts: search as you type, open one.
    await page.get_by_role("button", name="Contacts", exact=True).click()
    await expect(page.get_by_role("button", name=re.compile("Sam Hill"))).to_be_visible()
    await screenshot(page, "contacts")
    await page.get_by_label("Search").fill("patel lettings")
    await expect(page.get_by_role("button", name=re.compile("Sam Hill"))).to_have_count(0)
    await page.get_by_role("button", name=re.compile("Priya Patel")).click()
    await expect(page.get_by_role("heading", name="Priya Patel")).to_be_visible()

    # Contact: add a note.
    await page.get_by_label("Note", exact=True).fill("Called: sending the revised quote")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Called: sending the revised quote")).to_be_visible()
    await expect(page.get_by_role("heading", name="Notes (1)")).to_be_visible()
    await screenshot(page, "contact")

    # Board: drag Priya from Quote Sent to Won (desktop).
    await page.get_by_role("button", name="Board", exact=True).click()
    quote_sent = page.get_by_role("region", name="Quote Sent")
    won = page.get_by_role("region", name="Won")
    await expect(quote_sent).to_contain_text("Priya Patel")
    await expect(quote_sent).to_contain_text("£1,500.00")
    await screenshot(page, "board")
    await quote_sent.get_by_role("article", name="Priya Patel").drag_to(won)
    await expect(won).to_contain_text("Priya Patel")
    await expect(won).to_contain_text("1 · £1,500.00")
    await expect(quote_sent).not_to_contain_text("Priya Patel")

    # New contact, warned of a duplicate; continue anyway.
    await page.get_by_role("button", name="Contacts", exact=True).click()
    await page.get_by_role("button", name="New contact").click()
    await page.get_by_label("Name").fill("Samuel Hill")
    await page.get_by_label("Email").fill("sam@example.com")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("alert").filter(has_text="already have")).to_be_visible()
    await expect(page.get_by_role("button", name="Open existing")).to_be_visible()
    await screenshot(page, "duplicate")
    await page.get_by_role("button", name="Continue anyway").click()
    await expect(page.get_by_role("heading", name="Samuel Hill")).to_be_visible()
    assert chromium.dialogs == []
    assert chromium.errors == []

    # The bot's card shows both the note and the move.
    card = await say(phone, "Priya Patel")
    assert "Stage: <b>Won</b>" in card["text"] or "Stage: Won" in card["text"]
    assert "Called: sending the revised quote" in card["text"]


async def test_phone_width_dark_theme_and_move_to(
    bot: RunningApp, web_base: str, chromium: Browser, double: BotApiDouble, engine: Engine
) -> None:
    freeze(bot)
    ids = seed_pipeline(engine)
    page = await chromium.page(app_url(web_base, double, DARK), width=390, height=844, dark=True)
    await expect(page.get_by_role("button", name="Follow-ups today")).to_be_visible()
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(33, 33, 33)"  # Telegram's dark bg_color from the launch data
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "dashboard-phone-dark")
    await page.get_by_role("button", name="Board", exact=True).click()
    discussion = page.get_by_role("region", name="In Discussion")
    rex = discussion.get_by_role("article", name="Rex Stone")
    await expect(rex.get_by_role("button", name="Quote Sent")).to_be_hidden()  # menu closed
    await rex.get_by_role("button", name="Move to…").click()
    await rex.get_by_role("button", name="Quote Sent").click()
    quote_sent = page.get_by_role("region", name="Quote Sent")
    await expect(quote_sent).to_contain_text("Rex Stone")
    await expect(quote_sent).to_contain_text("2 · £2,300.00")
    await quote_sent.scroll_into_view_if_needed()
    await screenshot(page, "board-phone-dark")
    await page.get_by_role("button", name=re.compile("Rex Stone")).first.click()
    await expect(page.get_by_role("heading", name="Rex Stone")).to_be_visible()
    history = page.locator("ol.list")
    await expect(history).to_contain_text("In Discussion → Quote Sent")
    assert ids["rex"]
    assert chromium.errors == []


async def test_user_text_is_never_html(
    bot: RunningApp, web_base: str, chromium: Browser, double: BotApiDouble, engine: Engine
) -> None:
    freeze(bot)
    cid = add_contact(
        engine,
        ALICE.telegram_user_id,
        XSS_NAME,
        contact_type="prevention_prospect",
        company="<b>Bold</b> & Co",
        notes=["<script>alert(2)</script><i>x</i>"],
    )
    page = await chromium.page(app_url(web_base, double))
    await page.get_by_role("button", name="Contacts", exact=True).click()
    await expect(page.get_by_text(XSS_NAME)).to_be_visible()
    await page.get_by_role("button", name=re.compile(re.escape(XSS_NAME))).click()
    await expect(page.get_by_role("heading", name=XSS_NAME)).to_be_visible()
    await expect(page.get_by_text("<script>alert(2)</script><i>x</i>")).to_be_visible()
    await page.get_by_role("button", name="Board", exact=True).click()
    await expect(page.get_by_role("region", name="Prospect")).to_contain_text(XSS_NAME)
    injected: Any = await page.evaluate(
        "document.querySelectorAll('main img, main script, main b, main i').length"
    )
    assert injected == 0
    assert chromium.dialogs == []
    assert chromium.errors == []
    assert cid


async def test_forged_launch_data_shows_a_refusal(
    bot: RunningApp, web_base: str, chromium: Browser, double: BotApiDouble, engine: Engine
) -> None:
    freeze(bot)
    add_contact(engine, ALICE.telegram_user_id, "Hidden Person")
    url = app_url(web_base, double).replace("Alice", "Mallory")
    page = await chromium.page(url)
    await expect(page.get_by_role("heading", name="Can't open the CRM")).to_be_visible()
    await expect(page.get_by_text("Hidden Person")).to_have_count(0)


async def test_open_in_app_opens_the_contact_and_back_goes_to_the_list(
    bot: RunningApp, web_base: str, chromium: Browser, double: BotApiDouble, engine: Engine
) -> None:
    freeze(bot)
    ids = seed_pipeline(engine)
    page = await chromium.page(app_url(web_base, double, query=f"?contact={ids['olu']}"))
    await expect(page.get_by_role("heading", name="Olu Ade")).to_be_visible()
    await expect(page.get_by_text("OVERDUE")).to_be_visible()
    await page.get_by_role("button", name="Contacts", exact=True).click()
    await expect(page.get_by_role("button", name=re.compile("Priya Patel"))).to_be_visible()
    assert chromium.errors == []


async def test_contact_actions_edit_followup_upload_delete_and_undo(
    bot: RunningApp,
    web_base: str,
    chromium: Browser,
    double: BotApiDouble,
    engine: Engine,
    phone: Phone,
) -> None:
    freeze(bot)
    ids = seed_pipeline(engine)
    page = await chromium.page(app_url(web_base, double, query=f"?contact={ids['sam']}"))
    await expect(page.get_by_role("heading", name="Sam Hill")).to_be_visible()

    # Edit: the bot's validation, the error beside its field; then a good value.
    await page.get_by_role("button", name="Edit").click()
    await page.get_by_label("Email").fill("not an email")
    await page.get_by_role("button", name="Save").click()
    email_error = page.locator("#e-email")
    await expect(email_error).not_to_be_empty()
    await page.get_by_label("Email").fill("sam.hill@example.com")
    await page.get_by_label("Company").fill("Hill & Sons")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("heading", name="Sam Hill")).to_be_visible()
    await expect(page.get_by_text("Hill & Sons")).to_be_visible()

    # Follow-up: a quick choice.
    await page.get_by_role("button", name="Follow-up").click()
    await page.get_by_role("button", name="Tomorrow").click()
    await expect(page.get_by_text(re.compile("Tue, 24 Nov 2026"))).to_be_visible()

    # A file from the phone.
    await page.get_by_label("Upload a file").set_input_files(
        {"name": "quote.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 test"}
    )
    await expect(page.get_by_role("button", name=re.compile("quote.pdf"))).to_be_visible()

    # Delete, then Undo.
    await page.get_by_role("button", name="Delete").click()
    await expect(page.get_by_role("status")).to_contain_text("Deleted Sam Hill")
    await page.get_by_role("button", name="Undo").click()
    await expect(page.get_by_role("heading", name="Sam Hill")).to_be_visible()
    assert chromium.errors == []

    card = await say(phone, "Sam Hill")
    assert "sam.hill@example.com" in card["text"]
    assert "Files: 1" in card["text"]
