"""One table of quick follow-up dates; each screen offers some of them."""

from __future__ import annotations

from datetime import date

from bot.callbacks import Cb
from bot.views import digest as digest_views
from bot.views.forms import FOLLOWUP_CHOICES, followup_date
from crm_core.schedule import QUICK_DATES, quick_date
from crm_core.services.digests import NEXT_CHOICES

TODAY = date(2026, 11, 23)


def test_every_screen_offers_choices_of_the_one_table():
    for offered in (FOLLOWUP_CHOICES, NEXT_CHOICES, digest_views.SNOOZES):
        assert set(offered) <= set(QUICK_DATES)
    assert [q.label for q in FOLLOWUP_CHOICES] == ["Today", "Tomorrow", "In 3 days", "Next week"]


def test_a_quick_date_is_today_plus_its_days():
    assert quick_date("1w", TODAY) == date(2026, 11, 30)
    assert quick_date("nope", TODAY) is None


def test_a_form_takes_only_the_choices_it_offers():
    assert followup_date("tomorrow", TODAY) == date(2026, 11, 24)
    assert followup_date("2w", TODAY) is None  # the digest's, not the form's


def test_snooze_buttons_carry_days_and_short_labels():
    row = digest_views.action_row(7)
    assert [b.text for b in row] == ["✅ Done", "💤 +1d", "+3d", "+1w"]
    snoozes = [Cb.decode(str(b.callback_data)) for b in row][1:]
    assert [(c.action, c.id, c.arg) for c in snoozes] == [
        (digest_views.SNOOZE, 7, "1"),
        (digest_views.SNOOZE, 7, "3"),
        (digest_views.SNOOZE, 7, "7"),
    ]
