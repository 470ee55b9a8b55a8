"""/trash a page at a time, and searchable (issue 9, defect 9): every deleted contact can be
reached and restored before it is erased at 30 days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm_core.services.trash import delete_contact
from tests.conftest import NOW
from tests.e2e.flows import contacts, press_edit, say, seed, tap

pytestmark = pytest.mark.usefixtures("phone_rules")


def trashed(message) -> list[str]:
    return [
        line[2:].split(" — ")[0] for line in message["text"].splitlines() if line.startswith("• ")
    ]


@pytest.fixture
def full_trash(session_factory, alice) -> None:
    """25 deleted contacts, "Trashed 00" the most recently deleted; every fifth of Leeds."""
    for i in range(25):
        contact_id = seed(
            session_factory,
            alice.id,
            f"Trashed {i:02}",
            company="Leeds Lettings" if i % 5 == 0 else None,
        )
        with session_factory.begin() as session:
            delete_contact(session, contact_id, now=NOW - timedelta(minutes=i))


@pytest.mark.usefixtures("full_trash")
async def test_the_trash_pages_with_prev_and_next(bot, phone, session_factory):
    page = await say(phone, "/trash")
    assert "25 contacts, page 1 of 3, most recently deleted first:" in page["text"]
    assert "more" not in page["text"].replace("most recently", "")
    assert trashed(page) == [f"Trashed {i:02}" for i in range(10)]
    assert phone.buttons(page)[-1] == "Next »"
    page = await press_edit(phone, page, "Next »")
    page = await press_edit(phone, page, "Next »")
    assert "page 3 of 3" in page["text"]
    assert trashed(page) == [f"Trashed {i:02}" for i in range(20, 25)]
    assert "Next »" not in phone.buttons(page)
    await tap(phone, page, "↩️ Restore Trashed 24")
    card = await phone.wait_reply()
    assert card["text"].startswith("Trashed 24\n")
    page = await phone.wait_edit(page)
    assert "24 contacts, page 3 of 3" in page["text"]
    assert trashed(page) == [f"Trashed {i:02}" for i in range(20, 24)]
    page = await press_edit(phone, page, "« Prev")
    assert trashed(page) == [f"Trashed {i:02}" for i in range(10, 20)]
    assert [c.name for c in contacts(session_factory)] == ["Trashed 24"]


@pytest.mark.usefixtures("full_trash")
async def test_the_trash_searches_like_search_and_search_points_to_it(bot, phone):
    found = await say(phone, "/trash lettings trashed")
    assert "Matching “lettings trashed”:" in found["text"]
    assert trashed(found) == ["Trashed 00", "Trashed 05", "Trashed 10", "Trashed 15", "Trashed 20"]
    assert phone.buttons(found)[-1] == "Show the whole trash"
    whole = await press_edit(phone, found, "Show the whole trash")
    assert "25 contacts, page 1 of 3" in whole["text"]
    nothing = await say(phone, "/trash nobody")
    assert nothing["text"] == "Nothing in the trash matches “nobody”."
    # A search that finds no live contact says the trash holds matches.
    reply = await say(phone, "leeds")
    assert reply["text"].startswith("No contact matches “leeds”.")
    assert (
        "5 deleted contacts in the trash match: send /trash leeds to restore them."
        in (reply["text"])
    )
