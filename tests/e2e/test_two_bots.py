"""Two bots (two tokens) on one database: each numbers its own updates, so neither may take
the other's update ids for redeliveries (issue 9, defect 7)."""

from __future__ import annotations

from bot.app import build_application
from sandbox import BotApiDouble, running
from tests.e2e.flows import say


async def test_two_bots_on_one_database_both_answer_the_same_update_id(
    bot, double, phone, bot_settings, engine
):
    async with BotApiDouble(token="456:SECOND") as other:
        settings = bot_settings.with_(
            telegram_token=other.token,
            telegram_api_base_url=other.base_url,
            telegram_file_base_url=other.base_file_url,
        )
        app = build_application(settings, engine=engine, migrate_sqlite=False)
        async with running(app, double=other):
            other._next_update_id = double._next_update_id  # the same numbers on both bots
            other_phone = other.phone(user_id=phone.user_id, first_name="Alice")
            first = await say(phone, "/start")
            second = await say(other_phone, "/start")
            assert first["text"] == second["text"]
            assert "V3 CRM" in first["text"]
            # A true redelivery to the second bot is still dropped.
            await other_phone.resend(other.updates[-1])
            await other.wait_idle(quiet=0.2)
            assert len(other_phone.messages) == 1


async def test_two_bots_keep_their_own_forms_for_the_same_admin(
    start_bot, double, phone, bot_settings, engine
):
    """Saved state is per bot too: the second bot's /list doesn't overwrite the /add the
    admin is half-way through on the first, which a restart of the first then resumes."""
    from tests.e2e.flows import tap

    async with BotApiDouble(token="456:SECOND") as other:
        settings = bot_settings.with_(
            telegram_token=other.token,
            telegram_api_base_url=other.base_url,
            telegram_file_base_url=other.base_file_url,
        )
        other_phone = other.phone(user_id=phone.user_id, first_name="Alice")
        async with start_bot():
            await say(phone, "/add")
            ask_type = await say(phone, "Twin Tina")
            app = build_application(settings, engine=engine, migrate_sqlite=False)
            async with running(app, double=other):
                await say(other_phone, "/list")
                await other.wait_idle()
            await phone.wait_idle()
        async with start_bot():
            answer = await tap(phone, ask_type, "Eviction client")
            assert not answer.get("text"), answer
            assert "email" in (await phone.wait_reply())["text"]
