"""The stored /list state (issue 9, defect 5): an unreadable filter button is refused before
it is stored, and an unreadable stored state is reset with a word, never a lasting error for
/list and /export."""

from __future__ import annotations

import pytest

from bot.features.menu import LIST_RESET
from crm_core.services.bot_state import save_state
from tests.conftest import ALICE
from tests.e2e.flows import say, seed

pytestmark = pytest.mark.usefixtures("phone_rules")


async def test_an_unreadable_filter_button_is_refused_and_changes_nothing(
    bot, phone, session_factory, alice
):
    seed(session_factory, alice.id, "Listed Lily")
    page = await say(phone, "/list")
    for data in ["lt:0:bogus", "ls:0:", "lv:0:everyone"]:
        update = await phone.send_raw_update(
            {
                "callback_query": {
                    "id": f"forged-{data}",
                    "from": dict(phone.user),
                    "message": page,
                    "chat_instance": "1",
                    "data": data,
                }
            }
        )
        answer = await phone.wait_answer(update)
        assert answer.get("text") == "That button is out of date. Send /start for the menu."
    again = await say(phone, "/list")
    assert "all types · any status" in again["text"]
    assert LIST_RESET not in again["text"]
    assert "Listed Lily" in str(phone.buttons(again))
    await phone.send("/export")
    sent = await phone.wait_reply()
    assert sent["caption"] == "1 contact from your current /list filter."


@pytest.fixture
def damaged_list_state(session_factory, double) -> None:
    """As an older version (or a bad button, before this fix) left it in the database."""
    bot_id = double.token.partition(":")[0]
    with session_factory.begin() as session:
        save_state(
            session,
            "user",
            f"{bot_id}/{ALICE.telegram_user_id}",
            {"list": {"type": "bogus", "view": "mine", "page": "x"}},
        )


@pytest.mark.usefixtures("damaged_list_state")
async def test_an_unreadable_stored_list_state_is_reset_with_a_word(
    bot, phone, session_factory, alice
):
    seed(session_factory, alice.id, "Listed Lily")
    told = await say(phone, "/export")
    assert told["text"] == LIST_RESET
    sent = await phone.wait_reply()
    assert sent["caption"] == "1 contact from your current /list filter."
    page = await say(phone, "/list")  # repaired for good
    assert not page["text"].startswith(LIST_RESET)
    assert "Listed Lily" in str(phone.buttons(page))


@pytest.mark.usefixtures("damaged_list_state")
async def test_list_first_after_a_damaged_state_says_it_was_reset(
    bot, phone, session_factory, alice
):
    seed(session_factory, alice.id, "Listed Lily")
    page = await say(phone, "/list")
    assert page["text"].startswith(LIST_RESET)
    assert "all types · any status" in page["text"]
    assert "Listed Lily" in str(phone.buttons(page))
