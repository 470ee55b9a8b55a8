"""The typed context (bot/context.py): what a handler reads in one hop, and a clear error where
there is no acting user (a repeating job)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from telegram import Chat, Message, Update, User

from bot.context import CrmContext, NoActingUserError
from bot.runtime import BOT_DATA_KEY, Crm
from crm_core.config import Settings
from crm_core.db import make_session_factory

ALICE_TG = 1001
ALICE_ID = 7


@pytest.fixture
def application() -> Any:
    """What CrmContext reads of PTB's Application: bot_data and user_data."""
    engine = create_engine("sqlite://")
    services = Crm(
        settings=Settings(timezone="Europe/London"),
        engine=engine,
        session_factory=make_session_factory(engine),
        user_ids={ALICE_TG: ALICE_ID},
        timezones={ALICE_TG: "Asia/Tokyo"},
        clock=lambda: datetime(2026, 3, 1, 20, 0, tzinfo=UTC),  # already the 2nd in Tokyo
    )
    return SimpleNamespace(bot_data={BOT_DATA_KEY: services}, user_data=defaultdict(dict))


def update_from(user_id: int) -> Update:
    user = User(user_id, "Alice", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    return Update(1, message=Message(1, datetime.now(UTC), chat, from_user=user, text="hi"))


def test_a_handler_reads_the_acting_admin_in_one_hop(application: Any) -> None:
    context = CrmContext.from_update(update_from(ALICE_TG), application)
    assert context.crm is application.bot_data[BOT_DATA_KEY]
    assert context.telegram_id == ALICE_TG
    assert context.admin == ALICE_ID
    assert context.tz == ZoneInfo("Asia/Tokyo")
    assert context.today == date(2026, 3, 2)
    context.user_state["add"] = {"values": {}}
    assert application.user_data[ALICE_TG] == {"add": {"values": {}}}


def test_an_admin_without_a_timezone_of_their_own_gets_the_default(application: Any) -> None:
    application.bot_data[BOT_DATA_KEY].timezones.clear()
    context = CrmContext.from_update(update_from(ALICE_TG), application)
    assert context.tz == ZoneInfo("Europe/London")
    assert context.today == date(2026, 3, 1)


def test_without_an_acting_user_the_user_facts_fail_clearly(application: Any) -> None:
    context = CrmContext(application)  # a repeating job's context
    assert context.crm is application.bot_data[BOT_DATA_KEY]
    for name in ("telegram_id", "admin", "tz", "today", "user_state"):
        with pytest.raises(NoActingUserError):
            getattr(context, name)
