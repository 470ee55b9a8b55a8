"""One table of quick follow-up dates; each screen offers some of them."""

from __future__ import annotations

from datetime import date

from bot.actions import SNOOZE
from bot.arguments import QuickDate, parse_answer
from bot.callbacks import Cb
from bot.views import digest as digest_views
from bot.views.forms import FOLLOWUP_CHOICES
from crm_core.schedule import QUICK_DATES, quick_date

TODAY = date(2026, 11, 23)


def test_every_screen_offers_choices_of_the_one_table():
    for offered in (FOLLOWUP_CHOICES, digest_views.NEXT_CHOICES, digest_views.SNOOZES):
        assert set(offered) <= set(QUICK_DATES)
    assert [q.label for q in FOLLOWUP_CHOICES] == ["Today", "Tomorrow", "In 3 days", "Next week"]


def test_a_quick_date_is_today_plus_its_days():
    assert quick_date("1w", TODAY) == date(2026, 11, 30)
    assert quick_date("nope", TODAY) is None


def test_a_quick_date_button_reads_back_from_the_one_table():
    answer = parse_answer("d:tomorrow")
    assert isinstance(answer, QuickDate)
    assert answer.on(TODAY) == date(2026, 11, 24)
    assert parse_answer("fu:1w") == QuickDate(QUICK_DATES[3])  # buttons of older versions


def test_snooze_buttons_carry_days_and_short_labels():
    row = digest_views.action_row(7)
    assert [b.text for b in row] == ["✅ Done", "💤 +1d", "+3d", "+1w"]
    snoozes = [Cb.decode(str(b.callback_data)) for b in row][1:]
    assert [(c.action, c.id, c.arg) for c in snoozes] == [
        (SNOOZE, 7, "1"),
        (SNOOZE, 7, "3"),
        (SNOOZE, 7, "7"),
    ]
