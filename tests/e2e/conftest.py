"""End-to-end fixtures: the real Application, over real HTTP, against the Bot API double,
on each database backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.app import build_application
from crm_core.config import Settings
from sandbox import BotApiDouble, Phone, RunningApp, running
from tests.conftest import ALICE, BOB
from tests.e2e.flows import all_answered, freeze


@pytest.fixture
async def double() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble() as api:
        yield api


@pytest.fixture
def bot_settings(
    settings_for: Callable[..., Settings], double: BotApiDouble, tmp_path: Path
) -> Settings:
    return settings_for(
        telegram_token=double.token,
        telegram_api_base_url=double.base_url,
        telegram_file_base_url=double.base_file_url,
        file_storage_dir=tmp_path / "files",  # never ./crm-files of the checkout
        # No digest or reminder out of the blue in other tests; test_digests turns them on.
        digest_check_seconds=0,
    )


@pytest.fixture
def start_bot(double: BotApiDouble, bot_settings: Settings, engine: Engine) -> Callable[..., Any]:
    """``async with start_bot() as running_app:`` — a fresh Application on the test database.
    Call it twice in one test to play a restart."""

    def start(**changes: Any) -> Any:
        settings = bot_settings.with_(**changes) if changes else bot_settings
        app = build_application(settings, engine=engine, migrate_sqlite=False)
        return running(app, double=double)

    return start


@pytest.fixture
async def bot(start_bot: Callable[..., Any]) -> AsyncIterator[RunningApp]:
    async with start_bot() as running_app:
        yield running_app


@pytest.fixture
def phone(double: BotApiDouble) -> Phone:
    """Alice, an admin, on her phone."""
    return double.phone(user_id=ALICE.telegram_user_id, first_name="Alice")


@pytest.fixture
def bob_phone(double: BotApiDouble) -> Phone:
    return double.phone(user_id=BOB.telegram_user_id, first_name="Bob")


@pytest.fixture
def stranger(double: BotApiDouble) -> Phone:
    return double.phone(user_id=666, first_name="Mallory")


@pytest.fixture
async def phone_rules(bot: RunningApp, double: BotApiDouble) -> AsyncIterator[None]:
    """A frozen clock for the bot; afterwards, every button press was answered."""
    freeze(bot)
    yield
    await double.wait_idle(quiet=0.05)
    all_answered(double)
