"""Digests, reminders and /settings end to end: the real Application over HTTP against the Bot
API double, the clock set by the test (``Crm.clock``) and checks run with ``check_now`` —
except one test, which lets the JobQueue's own first tick do the catch-up at start."""

from __future__ import annotations

import asyncio
import time as wall
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_application
from bot.features.digests import check_now
from bot.runtime import BOT_DATA_KEY
from bot.texts import GONE, STALE_BUTTON
from crm_core.config import Settings
from crm_core.db import make_engine
from crm_core.models import Contact, DigestDelivery, Note, User
from crm_core.services.trash import delete_contact
from sandbox import BotApiDouble, Phone, running
from tests.conftest import ALICE, BOB
from tests.e2e.flows import seed, tap

# PTB 22 warns whenever it makes a RetryAfter (``retry_after`` is to become a timedelta).
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)

DIGEST_AT = datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC)  # Monday, 08:00 in London
Factory = sessionmaker[Session]


def set_clock(app: Any, now: datetime) -> None:
    app.bot_data[BOT_DATA_KEY].clock = lambda: now


async def hello(phone: Phone) -> None:
    """The admin has pressed Start: the bot may write to them."""
    await phone.send("/start")
    await phone.wait_reply()


def digests_in(phone: Phone) -> list[dict[str, Any]]:
    return [
        m
        for m in phone.messages
        if "Your follow-ups" in m.get("text", "") or "Nothing due today" in m.get("text", "")
    ]


def ledger(factory: Factory) -> dict[int, DigestDelivery]:
    with factory() as session:
        return {r.user_id: r for r in session.scalars(select(DigestDelivery))}


def contact(factory: Factory, contact_id: int) -> Contact:
    with factory() as session:
        found = session.get(Contact, contact_id)
        assert found is not None
        return found


async def test_morning_digest_with_snooze_done_and_open(
    bot, phone, bob_phone, double, session_factory, alice, bob
):
    await hello(phone)
    await hello(bob_phone)
    olive = seed(
        session_factory,
        alice.id,
        "Olive <Overdue>",
        next_followup_date="2026-11-20",
        notes=["Left a voicemail\nsecond line"],
    )
    tom = seed(
        session_factory, alice.id, "Tom Today", "prevention_prospect", next_followup_date="today"
    )
    seed(session_factory, bob.id, "Bill", next_followup_date="yesterday")
    set_clock(bot.app, DIGEST_AT)
    await check_now(bot.app)

    msg = await phone.wait_reply()
    text = msg["text"]
    assert text.startswith("📋 Your follow-ups — Mon 23 Nov\n2 due: 1 overdue, 1 today.")
    assert "1. Olive <Overdue> · Eviction client · New Inquiry\n⚠️ 3 days overdue" in text
    assert "Left a voicemail" in text
    assert "second line" not in text
    assert "2. Tom Today · Prevention prospect · Prospect\n📅 today" in text
    assert "👥 Team: 0 quotes pending" in text
    assert phone.buttons(msg) == [
        "📇 1. Olive <Overdue>",
        "✅ Done",
        "💤 +1d",
        "+3d",
        "+1w",
        "📇 2. Tom Today",
        "✅ Done",
        "💤 +1d",
        "+3d",
        "+1w",
    ]
    bills = await bob_phone.wait_reply()
    assert "1. Bill" in bills["text"]
    assert "Olive" not in bills["text"]

    # Snooze the first item: its action row becomes the new date; the second keeps its own.
    answer = await tap(phone, msg, "💤 +1d")
    assert answer["text"] == "Snoozed: next follow-up Tue 24 Nov 2026"
    msg = await phone.wait_edit(msg)
    assert phone.buttons(msg)[:3] == [
        "📇 1. Olive <Overdue>",
        "💤 Snoozed to Tue 24 Nov",
        "📇 2. Tom Today",
    ]
    assert contact(session_factory, olive).next_followup_date == date(2026, 11, 24)

    # Done on the second: outcome -> note, then the next follow-up, in place.
    await tap(phone, msg, "✅ Done")
    msg = await phone.wait_edit(msg)
    assert phone.buttons(msg)[3:] == ["Called", "Emailed", "Met", "No answer", "Skip", "« Back"]
    answer = await tap(phone, msg, "Called")
    assert answer["text"] == "📝 Note added: Called."
    msg = await phone.wait_edit(msg)
    assert phone.buttons(msg)[3:] == ["Tomorrow", "In 3 days", "Next week", "In 2 weeks", "None"]
    answer = await tap(phone, msg, "Next week")
    assert answer["text"] == "Done. Next follow-up Mon 30 Nov 2026."
    msg = await phone.wait_edit(msg)
    assert phone.buttons(msg)[3:] == ["✅ Called · next Mon 30 Nov"]
    assert contact(session_factory, tom).next_followup_date == date(2026, 11, 30)
    with session_factory() as s:
        assert [
            (n.note_type, n.content) for n in s.scalars(select(Note).where(Note.contact_id == tom))
        ] == [("call", "Called.")]

    # "Open" sends the card.
    await tap(phone, msg, "📇 1. Olive <Overdue>")
    card = await phone.wait_reply()
    assert "Olive <Overdue>" in card["text"]
    assert "Next follow-up: Tue 24 Nov 2026" in card["text"]
    assert {r.status for r in ledger(session_factory).values()} == {"sent"}


async def test_a_check_again_or_a_restart_sends_no_second_digest(
    start_bot, phone, bob_phone, session_factory, alice
):
    seed(session_factory, alice.id, "Olive", next_followup_date="today")
    async with start_bot(digest_check_seconds=3600) as first:
        await hello(phone)
        set_clock(first.app, DIGEST_AT)
        await check_now(first.app)
        await phone.wait_reply()
        await check_now(first.app)
    async with start_bot(digest_check_seconds=3600) as second:
        set_clock(second.app, DIGEST_AT + timedelta(hours=3))
        await check_now(second.app)
        await phone.wait_idle()
    assert len(digests_in(phone)) == 1
    rows = ledger(session_factory)
    assert rows[alice.id].status == "sent"
    assert rows[alice.id].attempts == 1


@pytest.mark.parametrize(("code", "slowest"), [(429, 1.0), (502, 1.0)])
async def test_a_failed_send_is_retried_then_succeeds(
    bot, phone, double, session_factory, alice, bob, code, slowest
):
    """429 (PTB's rate limiter waits retry_after) and 502 (our back-off) each once, then OK."""
    await hello(phone)
    with session_factory.begin() as s:
        s.get(User, bob.id).digest_time = time(20, 0)  # type: ignore[union-attr]
    seed(session_factory, alice.id, "Olive", next_followup_date="today")
    set_clock(bot.app, DIGEST_AT)
    double.fail_next("sendMessage", error_code=code, retry_after=1)
    started = wall.monotonic()
    await check_now(bot.app)
    msg = await phone.wait_reply()
    assert "1. Olive" in msg["text"]
    assert wall.monotonic() - started >= slowest
    assert [f.error_code for f in double.errors if f.method == "sendMessage"] == [code]
    row = ledger(session_factory)[alice.id]
    assert (row.status, row.parts_sent, row.items, row.error) == ("sent", 1, 1, None)


async def test_a_blocked_admin_is_marked_and_the_others_still_get_theirs(
    bot, phone, bob_phone, double, session_factory, alice, bob
):
    await hello(phone)
    await hello(bob_phone)
    double.block(BOB.telegram_user_id, notify=False)
    set_clock(bot.app, DIGEST_AT)
    await check_now(bot.app)
    assert "Nothing due today" in (await phone.wait_reply())["text"]
    rows = ledger(session_factory)
    assert (rows[alice.id].status, rows[bob.id].status) == ("sent", "blocked")
    assert "blocked" in (rows[bob.id].error or "")
    with session_factory() as s:
        assert s.get(User, bob.id).bot_blocked_at == DIGEST_AT  # type: ignore[union-attr]
    await check_now(bot.app)  # not tried again today
    # Two hellos, Alice's digest and the one refused for Bob: none after that today.
    assert [r.method for r in double.requests].count("sendMessage") == 4


async def test_catch_up_at_start_comes_from_the_job_queue_marked_late(
    double: BotApiDouble, bot_settings: Settings, engine, phone, session_factory, alice
):
    await phone.send("/start")  # written while the bot was down
    seed(session_factory, alice.id, "Olive", next_followup_date="yesterday")
    app = build_application(
        bot_settings.with_(digest_check_seconds=30), engine=engine, migrate_sqlite=False
    )
    set_clock(app, datetime(2026, 11, 23, 11, 0, tzinfo=UTC))  # down since before 08:00
    async with running(app, double=double):
        await double.wait_until(
            lambda: digests_in(phone), timeout=5, describe="the catch-up digest"
        )
        assert {j.name for j in app.job_queue.jobs()} == {"housekeeping", "digests"}
    (digest,) = digests_in(phone)
    assert "Sent late: it was due at 08:00." in digest["text"]
    assert ledger(session_factory)[alice.id].late is True


async def test_digest_command_shows_today_without_the_ledger(
    bot, phone, double, session_factory, alice
):
    set_clock(bot.app, datetime(2026, 11, 23, 6, 0, tzinfo=UTC))  # before the digest time
    gone = seed(session_factory, alice.id, "Gina", next_followup_date="today")
    await phone.send("/digest")
    msg = await phone.wait_reply()
    assert "1. Gina" in msg["text"]
    assert ledger(session_factory) == {}
    with session_factory.begin() as s:
        delete_contact(s, gone)
    answer = await tap(phone, msg, "✅ Done")
    assert answer["text"] == GONE
    await phone.send("/digest")
    assert (await phone.wait_reply())["text"] == "☀️ Nothing due today — 0 quotes pending."


async def test_an_outcome_or_next_choice_no_button_offers_is_refused(
    bot, phone, session_factory, alice
):
    """The outcome and next-follow-up tables live in the bot's views: a key they don't hold
    (a tampered or an old version's button) is answered as stale, and nothing is written."""
    cid = seed(session_factory, alice.id, "Fred", next_followup_date="today")
    await phone.send("/digest")
    msg = await phone.wait_reply()
    for n, data in enumerate((f"dgout:{cid}:danced", f"dgnext:{cid}:99:call")):
        forged = await phone.send_raw_update(
            {
                "callback_query": {
                    "id": f"forged-{n}",
                    "from": dict(phone.user),
                    "message": msg,
                    "chat_instance": "1",
                    "data": data,
                }
            }
        )
        assert (await phone.wait_answer(forged)).get("text") == STALE_BUTTON
    await phone.wait_idle()
    with session_factory() as s:
        assert s.scalars(select(Note)).all() == []
    assert contact(session_factory, cid).next_followup_date is not None


async def test_settings_by_buttons_and_by_typing(bot, phone, double, session_factory, alice):
    set_clock(bot.app, datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    await phone.send("/settings")
    msg = await phone.wait_reply()
    assert "Time: 08:00 (company default)" in msg["text"]
    assert "Next digest: Tue 24 Nov at 08:00." in msg["text"]

    await tap(phone, msg, "⏰ Time: 08:00")
    msg = await phone.wait_edit(msg)
    assert (await tap(phone, msg, "09:30"))["text"] == "Saved."
    msg = await phone.wait_edit(msg)
    assert "Time: 09:30\n" in msg["text"]

    await tap(phone, msg, "📆 Days: Every day")
    msg = await phone.wait_edit(msg)
    await tap(phone, msg, "Monday–Friday")
    msg = await phone.wait_edit(msg)
    await tap(phone, msg, "🔔 Empty days: on")
    msg = await phone.wait_edit(msg)
    assert "Empty days: no message" in msg["text"]

    await tap(phone, msg, "🌍 Timezone: Europe/London")
    menu = await phone.wait_edit(msg)
    await tap(phone, menu, "⌨️ Type another")
    assert "Send your timezone" in (await phone.wait_reply())["text"]
    await phone.send("Mars/Olympus")
    assert "I don't know that timezone" in (await phone.wait_reply())["text"]
    await phone.send("new york")
    shown = await phone.wait_reply()
    assert "Timezone: America/New_York" in shown["text"]
    assert "Next digest: Mon 23 Nov at 09:30." in shown["text"]  # 14:30 UTC, later today
    assert bot.app.bot_data[BOT_DATA_KEY].timezones[ALICE.telegram_user_id] == "America/New_York"

    await tap(phone, shown, "⏰ Time: 09:30")
    menu = await phone.wait_edit(shown)
    await tap(phone, menu, "⌨️ Type a time")
    await phone.wait_reply()
    await phone.send("25:00")
    assert "HH:MM" in (await phone.wait_reply())["text"]
    await phone.send("7:45")
    assert "Time: 07:45" in (await phone.wait_reply())["text"]
    with session_factory() as s:
        me = s.get(User, alice.id)
        assert me is not None
        assert (me.timezone, me.digest_time, me.digest_days, me.digest_empty) == (
            "America/New_York",
            time(7, 45),
            31,
            False,
        )


async def test_a_follow_up_typed_with_a_time_reminds_then(
    bot, phone, double, session_factory, alice
):
    set_clock(bot.app, datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    jane = seed(session_factory, alice.id, "Jane Timed")
    await phone.send("/find Jane Timed")
    card = await phone.wait_reply()
    await tap(phone, card, "📅 Follow-up")
    await phone.wait_reply()
    await phone.send("tomorrow 14:00")
    card = await phone.wait_reply()
    assert "Next follow-up: Tue 24 Nov 2026 (tomorrow) at 14:00" in card["text"]

    set_clock(bot.app, datetime(2026, 11, 24, 13, 59, tzinfo=UTC))
    await check_now(bot.app)  # that day's digest (late: nothing ran at 08:00), no reminder yet
    digest = await phone.wait_reply()
    assert "1. Jane Timed · Eviction client · New Inquiry\n📅 today 14:00" in digest["text"]
    set_clock(bot.app, datetime(2026, 11, 24, 14, 0, 5, tzinfo=UTC))
    await check_now(bot.app)
    reminder = await phone.wait_reply()
    assert reminder["text"].startswith("⏰ Reminder — 14:00\nJane Timed · Eviction client")
    assert phone.buttons(reminder) == ["📇 Open", "✅ Done", "💤 +1d", "+3d", "+1w"]
    answer = await tap(phone, reminder, "💤 +1d")
    assert answer["text"] == "Snoozed: next follow-up Wed 25 Nov 2026 at 14:00"
    await check_now(bot.app)
    await phone.wait_idle()
    assert [m["text"].startswith("⏰") for m in phone.messages].count(True) == 1
    assert contact(session_factory, jane).next_followup_time == time(14, 0)


async def test_two_applications_on_one_postgresql_send_one_digest_each(
    double: BotApiDouble,
    bot_settings: Settings,
    migrated_url: str,
    backend: str,
    phone,
    bob_phone,
    session_factory,
    alice,
    bob,
):
    """Two bot processes (own engines, own Applications) check at the very same moments."""
    await phone.send("/start")
    await bob_phone.send("/start")
    seed(session_factory, alice.id, "Olive", next_followup_date="today")
    engines = [make_engine(migrated_url) for _ in range(2)]
    apps = [build_application(bot_settings, engine=e, migrate_sqlite=False) for e in engines]
    for app in apps:
        await app.initialize()
    try:
        for day in range(3):
            for app in apps:
                set_clock(app, DIGEST_AT + timedelta(days=day, seconds=day))
            await asyncio.gather(*(check_now(app) for app in apps))  # sending done, too
            assert len(digests_in(phone)) == day + 1
            assert len(digests_in(bob_phone)) == day + 1
    finally:
        for app in apps:
            await app.shutdown()
        for e in engines:
            e.dispose()
    with session_factory() as s:
        assert len(list(s.scalars(select(DigestDelivery)))) == 6


async def test_a_typed_setting_left_for_another_form_lets_later_text_through(
    bot, phone, session_factory, alice
):
    set_clock(bot.app, datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    seed(session_factory, alice.id, "Olive Left")
    await phone.send("/find Olive Left")
    card = await phone.wait_reply()
    await phone.send("/settings")
    shown = await phone.wait_reply()
    await tap(phone, shown, "⏰ Time: 08:00")
    menu = await phone.wait_edit(shown)
    await tap(phone, menu, "⌨️ Type a time")
    await phone.wait_reply()
    await tap(phone, card, "📅 Follow-up")  # another form, started from an older message
    await phone.wait_reply()
    await phone.send("friday")
    assert "Next follow-up: Fri 27 Nov 2026" in (await phone.wait_reply())["text"]
    await phone.send("Olive Left")  # plain text again: a search, not a digest time
    assert (await phone.wait_reply())["text"].startswith("Olive Left")
    with session_factory() as s:
        assert s.get(User, alice.id).digest_time is None  # type: ignore[union-attr]
