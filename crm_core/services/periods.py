"""The periods of /report and `crm report`: the last N days, or a range of dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from crm_core.errors import ValidationError

#: Named periods: the buttons' and the CLI's.
PERIODS: dict[str, int] = {"30d": 30, "90d": 90, "12m": 365, "365d": 365}
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime
    label: str

    def previous(self) -> Period:
        length = self.end - self.start
        return Period(self.start - length, self.start, f"the {self.label} before")


def parse_period(text: str, now: datetime) -> Period:
    """'30d', '90d', '12m', 'Nd' (the days up to now) or 'YYYY-MM-DD..YYYY-MM-DD' (inclusive)."""
    text = text.strip().lower()
    if m := _RANGE.fullmatch(text):
        try:
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError:
            raise ValidationError("period", f"{text!r} has a date that doesn't exist.") from None
        if last < first:
            raise ValidationError("period", "The period ends before it starts.")
        start = datetime.combine(first, time(), UTC)
        end = datetime.combine(last + timedelta(days=1), time(), UTC)
        return Period(start, end, f"{first:%d %b %Y} to {last:%d %b %Y}")
    days = PERIODS.get(text)
    if days is None and (m := re.fullmatch(r"(\d{1,4})d", text)):
        days = int(m[1])
    if not days:
        raise ValidationError(
            "period", "A period is 30d, 90d, 12m, 45d or 2026-01-01..2026-03-31."
        )
    label = "12 months" if text == "12m" else f"{days} days"
    return Period(now - timedelta(days=days), now, f"last {label}")
