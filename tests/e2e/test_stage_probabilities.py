"""STAGE_PROBABILITIES from a phone: the bot started with a configured weight uses it for the
forecast of /report and of /dashboard (the default for New Inquiry is 10%)."""

from __future__ import annotations

import pytest

from crm_core.config import Settings, parse_stage_probabilities
from tests.e2e.flows import say, seed

pytestmark = pytest.mark.usefixtures("phone_rules")


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    return bot_settings.with_(stage_probabilities=parse_stage_probabilities("new_inquiry:0.5"))


async def test_configured_weights_in_report_and_dashboard(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Nina New", potential_value="1000")  # at New Inquiry
    summary = await say(phone, "/report")
    assert "Open pipeline: £1,000 · weighted £500" in summary["text"].splitlines()
    board = await say(phone, "/dashboard")
    assert "Weighted pipeline: £500" in board["text"].splitlines()
