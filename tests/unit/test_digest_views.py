"""Digest, reminder and /settings renderers: pure, checked against the double's Telegram HTML
parser and Telegram's limits (4096 characters, ~100 buttons, 64-byte callback data)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardMarkup

from bot.callbacks import MAX_BYTES, Cb
from bot.views import digest as views
from bot.views import settings as settings_views
from crm_core.schedule import EVERY_DAY, MON_FRI
from crm_core.services.digests import Digest, DigestItem
from crm_core.services.preferences import DigestPreferences
from sandbox import parse_html

TODAY = date(2026, 11, 23)
LONDON = ZoneInfo("Europe/London")
HOSTILE = '<b>Bob & "Co"</b> _*[x]'


def item(
    n: int,
    *,
    overdue: int = 0,
    name: str | None = None,
    note: str | None = "Called.",
    at: time | None = None,
) -> DigestItem:
    return DigestItem(
        contact_id=1000 + n,
        name=name or f"Contact {n}",
        contact_type="prevention_prospect",
        stage="quote_sent",
        followup_date=date.fromordinal(TODAY.toordinal() - overdue),
        followup_time=at,
        days_overdue=overdue,
        last_note=note,
    )


def digest(items: list[DigestItem], *, total: int | None = None) -> Digest:
    return Digest(
        user_id=1,
        local_date=TODAY,
        items=items,
        due_total=len(items) if total is None else total,
        overdue_total=sum(1 for i in items if i.days_overdue > 0),
        quotes_pending=4,
        potential_revenue=Decimal("12500.00"),
    )


def plain(html: str) -> str:
    return parse_html(html)[0]


def callbacks(markup: InlineKeyboardMarkup | None) -> list[Cb]:
    if markup is None:
        return []
    return [Cb.decode(str(b.callback_data)) for row in markup.inline_keyboard for b in row]


def test_an_item_shows_name_type_stage_overdue_and_the_last_note_escaped():
    text = plain(views.item_text(item(1, overdue=3, name=HOSTILE, note="<i>left & voicemail"), 1))
    assert HOSTILE in text
    assert "Prevention prospect · Quote Sent" in text
    assert "3 days overdue (Fri 20 Nov)" in text
    assert "<i>left & voicemail" in text
    assert "1 day overdue" in plain(views.item_text(item(2, overdue=1)))
    assert "today 14:00" in plain(views.item_text(item(3, at=time(14, 0))))


def test_a_digest_has_header_items_with_buttons_and_team_figures():
    ((text, markup),) = views.digest_messages(digest([item(1, overdue=2), item(2)]))
    shown = plain(text)
    assert shown.startswith("📋 Your follow-ups — Mon 23 Nov")
    assert "2 due: 1 overdue, 1 today." in shown
    assert shown.index("1. Contact 1") < shown.index("2. Contact 2")
    assert "Team: 4 quotes pending · £12,500 potential revenue" in shown
    assert [b.text for b in markup.inline_keyboard[1]] == ["✅ Done", "💤 +1d", "+3d", "+1w"]
    assert [(c.action, c.id, c.arg) for c in callbacks(markup)[:5]] == [
        ("open", 1001, ""),
        ("dgdone", 1001, ""),
        ("dgsnz", 1001, "1"),
        ("dgsnz", 1001, "3"),
        ("dgsnz", 1001, "7"),
    ]


def test_an_empty_day_is_one_short_line():
    ((text, markup),) = views.digest_messages(digest([]))
    assert plain(text) == "☀️ Nothing due today — 4 quotes pending."
    assert markup is None


def test_a_late_digest_says_so():
    due = datetime(2026, 11, 23, 8, 0, tzinfo=LONDON)
    ((text, _),) = views.digest_messages(digest([item(1)]), late_due=due)
    assert "Sent late: it was due at 08:00." in plain(text)
    ((text, _),) = views.digest_messages(digest([]), late_due=due)
    assert "Sent late" in plain(text)


@pytest.mark.parametrize("long_fields", [False, True])
def test_sixty_items_split_under_the_limits_each_keeping_its_buttons(long_fields):
    name = ("Ó Súilleabháin & <Sons> " * 9)[:200] if long_fields else None
    note = ("Spoke to them & <b>they</b> want a quote " * 20) if long_fields else "Called."
    items = [item(n, overdue=60 - n, name=name, note=note) for n in range(60)]
    messages = views.digest_messages(digest(items))
    assert len(messages) >= 6
    seen: list[int] = []
    for text, markup in messages:
        assert len(text) <= 4096
        assert len(plain(text)) <= 4096
        buttons = callbacks(markup)
        assert len(buttons) <= 100
        assert all(len(c.encode().encode()) <= MAX_BYTES for c in buttons)
        opened = [c.id for c in buttons if c.action == "open"]
        # Every item in this message has its own Open, Done and three snoozes, here.
        for contact_id in opened:
            assert {(c.action, c.arg) for c in buttons if c.id == contact_id} == {
                ("open", ""),
                ("dgdone", ""),
                ("dgsnz", "1"),
                ("dgsnz", "3"),
                ("dgsnz", "7"),
            }
        shown = plain(text)
        assert shown.count("overdue (") + shown.count("📅 today") == len(opened)
        seen += opened
    assert seen == [1000 + n for n in range(60)]  # all, once, oldest first
    assert plain(messages[0][0]).startswith("📋 Your follow-ups")
    assert "Team: 4 quotes pending" in plain(messages[-1][0])


def test_items_past_the_digest_limit_are_counted():
    text, _ = views.digest_messages(digest([item(1)], total=13))[-1]
    assert "…and 12 more — see /today." in plain(text)


def test_a_reminder_has_the_time_the_item_and_its_buttons():
    due = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    text, markup = views.reminder_message(item(1, at=time(14, 0)), due, LONDON)
    assert plain(text).startswith("⏰ Reminder — 14:00\nContact 1 · Prevention prospect")
    assert [b.text for row in markup.inline_keyboard for b in row] == [
        "📇 Open",
        "✅ Done",
        "💤 +1d",
        "+3d",
        "+1w",
    ]
    late, _ = views.reminder_message(item(1), due, LONDON, late=True)
    assert "Sent late: it was due Tue 24 Nov at 14:00." in plain(late)


def test_acting_on_an_item_rewrites_only_its_action_row():
    ((_, markup),) = views.digest_messages(digest([item(1), item(2)]))
    with_outcomes = views.replace_item_rows(markup, 1002, views.outcome_rows(1002))
    assert with_outcomes is not None
    labels = [[b.text for b in row] for row in with_outcomes.inline_keyboard]
    assert labels == [
        ["📇 1. Contact 1"],
        ["✅ Done", "💤 +1d", "+3d", "+1w"],
        ["📇 2. Contact 2"],
        ["Called", "Emailed", "Met"],
        ["No answer", "Skip", "« Back"],
    ]
    asking = views.replace_item_rows(with_outcomes, 1002, views.next_rows(1002, "call"))
    assert asking is not None
    assert [c.arg for c in callbacks(asking) if c.action == "dgnext"] == [
        "tomorrow:call",
        "3d:call",
        "1w:call",
        "2w:call",
        "0:call",
    ]
    closed = views.replace_item_rows(
        asking, 1002, views.status_rows(1002, views.done_label("call", date(2026, 11, 30)))
    )
    assert closed is not None
    assert [[b.text for b in row] for row in closed.inline_keyboard][2:] == [
        ["📇 2. Contact 2"],
        ["✅ Called · next Mon 30 Nov"],
    ]
    # A closed item has no action rows left to rewrite; other items still have theirs.
    assert views.replace_item_rows(closed, 1002, views.outcome_rows(1002)) is None
    assert views.replace_item_rows(closed, 1001, views.outcome_rows(1001)) is not None
    assert views.replace_item_rows(None, 1001, []) is None


def test_labels_after_done_and_snooze():
    assert views.done_label("skip", None) == "✅ Done · no follow-up"
    assert views.done_label("noans", date(2026, 11, 24)) == "✅ No answer · next Tue 24 Nov"
    assert views.snoozed_label(date(2026, 11, 26), None) == "💤 Snoozed to Thu 26 Nov"
    assert views.snoozed_answer(date(2026, 11, 26), time(9, 0)) == (
        "Snoozed: next follow-up Thu 26 Nov 2026 at 09:00"
    )
    assert len(views.snoozed_answer(date(2026, 11, 26), time(9, 0))) <= 60  # a toast, no alert


def test_settings_screen_and_menus():
    prefs = DigestPreferences("Europe/London", time(8, 0), EVERY_DAY, True, False, False)
    text, markup = settings_views.render_settings(prefs, datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    shown = plain(text)
    assert "Time: 08:00 (company default)" in shown
    assert "Days: Every day" in shown
    assert "Next digest: Tue 24 Nov at 08:00." in shown
    assert "🔔 Empty days: on" in [b.text for row in markup.inline_keyboard for b in row]
    mine = DigestPreferences("America/New_York", time(7, 30), MON_FRI, False, True, True)
    shown = plain(settings_views.render_settings(mine, None)[0])
    assert "Time: 07:30\n" in shown
    assert "Monday–Friday" in shown
    assert "no message" in shown
    menu = settings_views.time_menu(time(7, 30))[1]
    times = [b.text for row in menu.inline_keyboard for b in row]
    assert times[:7] == ["07:00", "✅ 07:30", "08:00", "08:30", "09:00", "09:30", "10:00"]
    zones = callbacks(settings_views.timezone_menu("Europe/Paris")[1])
    assert all(len(c.encode().encode()) <= MAX_BYTES for c in zones)
    assert "Europe/London" in {c.arg.removeprefix("z:") for c in zones}
    days = [b.text for row in settings_views.days_menu(MON_FRI)[1].inline_keyboard for b in row]
    assert days == ["Every day", "✅ Monday–Friday", "Monday–Saturday", "« Back"]
    assert "⚠️ nope" in plain(settings_views.ask_time_text("nope"))
