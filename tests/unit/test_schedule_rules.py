"""The digest's and follow-ups' pure time rules: when a digest is due (wall-clock times, the
admin's days) and follow-up dates typed with a time. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from crm_core.errors import ValidationError
from crm_core.schedule import MON_FRI, digest_due, local_moment, next_digest_at
from crm_core.validation import clean_followup_at, parse_followup
from tests.conftest import TODAY

LONDON = "Europe/London"
EIGHT = time(8, 0)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_digest_due_and_next_digest_are_wall_clock_times():
    london = ZoneInfo(LONDON)
    assert digest_due(utc(2026, 11, 23, 7, 59), london, EIGHT, MON_FRI) is None
    found = digest_due(utc(2026, 11, 23, 8, 16), london, EIGHT, MON_FRI)
    assert found is not None
    assert found.late
    assert found.local_date == TODAY
    assert digest_due(utc(2026, 11, 28, 9, 0), london, EIGHT, MON_FRI) is None  # Saturday
    assert next_digest_at(utc(2026, 11, 27, 9, 0), london, EIGHT, MON_FRI) == local_moment(
        date(2026, 11, 30), EIGHT, london
    )
    assert next_digest_at(utc(2026, 11, 27, 9, 0), london, EIGHT, 0) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tomorrow 14:00", (date(2026, 11, 24), time(14, 0))),
        ("friday 9am", (date(2026, 11, 27), time(9, 0))),
        ("9:30pm friday", (date(2026, 11, 27), time(21, 30))),
        ("1/12 at 10", (date(2026, 12, 1), time(10, 0))),
        ("14:00", (TODAY, time(14, 0))),
        ("in 2 weeks", (date(2026, 12, 7), None)),
        ("3.1.27", (date(2027, 1, 3), None)),
        ("tomorrow", (date(2026, 11, 24), None)),
        ("12am tomorrow", (date(2026, 11, 24), time(0, 0))),
    ],
)
def test_a_follow_up_may_carry_a_time(raw, expected):
    assert parse_followup(raw, TODAY) == expected
    assert clean_followup_at(raw, TODAY) == expected


@pytest.mark.parametrize("raw", ["tomorrow 25:00", "friday 13pm", "tomorrow 9:75"])
def test_a_wrong_time_is_refused(raw):
    with pytest.raises(ValidationError, match="couldn't read that time"):
        clean_followup_at(raw, TODAY)
