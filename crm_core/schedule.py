"""When things are due: pure time arithmetic for digests and timed reminders.

Everything here takes an aware UTC ``now`` and an admin's ``ZoneInfo`` and never reads a clock,
so the rules are tested with any instant (DST changes included). A local moment is built with
``datetime.combine(day, time, tzinfo=zone)``: zoneinfo resolves a wall time that does not exist
(the spring gap) with the offset before the change, i.e. an hour later on the new clock, and a
wall time that happens twice (the autumn overlap) as its first occurrence. Comparing aware
datetimes then makes "is it due yet?" right on every day of the year by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import IntFlag, StrEnum
from zoneinfo import ZoneInfo

#: A digest sent more than this after its time is flagged as late (the bot was down).
LATE_AFTER = timedelta(minutes=15)
#: Timed reminders missed for longer than this are not sent on start: the follow-up is then in
#: the overdue list of the next digest, which is the better place for it.
REMINDER_CATCH_UP = timedelta(hours=24)


class DeliveryStatus(StrEnum):
    """Where a scheduled message stands in its ledger."""

    SENDING = "sending"  # claimed by a process that is sending it now
    SENT = "sent"
    SKIPPED = "skipped"  # nothing to send (an empty day with empty digests turned off)
    FAILED = "failed"  # gave up for now (network, 429s); retried later the same day
    BLOCKED = "blocked"  # the admin blocked the bot (403)
    UNREACHABLE = "unreachable"  # no chat with the admin (never pressed Start) or similar 400


class Weekdays(IntFlag):
    """Days of the week as bits, Monday first (``date.weekday()``)."""

    MON = 1
    TUE = 2
    WED = 4
    THU = 8
    FRI = 16
    SAT = 32
    SUN = 64


EVERY_DAY = int(Weekdays(127))
MON_FRI = int(Weekdays.MON | Weekdays.TUE | Weekdays.WED | Weekdays.THU | Weekdays.FRI)
MON_SAT = MON_FRI | int(Weekdays.SAT)

#: The choices /settings offers: key -> (bit mask, label).
DAY_PRESETS: dict[str, tuple[int, str]] = {
    "all": (EVERY_DAY, "Every day"),
    "mf": (MON_FRI, "Monday–Friday"),
    "ms": (MON_SAT, "Monday–Saturday"),
}


def days_label(mask: int) -> str:
    for value, label in DAY_PRESETS.values():
        if value == mask:
            return label
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return ", ".join(n for i, n in enumerate(names) if mask & (1 << i)) or "Never"


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The aware instant of wall time ``at`` on ``day`` in ``zone`` (see the module notes)."""
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)


@dataclass(frozen=True, slots=True)
class DueDigest:
    local_date: date
    due_at: datetime
    late: bool


def digest_due(now: datetime, zone: ZoneInfo, at: time, days: int) -> DueDigest | None:
    """Today's digest if its time has come in ``zone`` (and today is one of ``days``).

    Only the admin's current local day counts: once it is over, a missed digest is gone (the
    next day's digest lists the same follow-ups as overdue anyway).
    """
    today = now.astimezone(zone).date()
    if not days & (1 << today.weekday()):
        return None
    due_at = local_moment(today, at, zone)
    if now < due_at:
        return None
    return DueDigest(today, due_at, now - due_at > LATE_AFTER)


def next_digest_at(now: datetime, zone: ZoneInfo, at: time, days: int) -> datetime | None:
    """The next digest moment after ``now`` (for /settings to show), or None with no days."""
    today = now.astimezone(zone).date()
    for offset in range(8):
        day = today + timedelta(days=offset)
        if days & (1 << day.weekday()):
            moment = local_moment(day, at, zone)
            if moment > now:
                return moment
    return None


def reminder_due(
    now: datetime, day: date, at: time, zone: ZoneInfo
) -> tuple[datetime, bool] | None:
    """``(due_at, late)`` if a reminder for ``day`` ``at`` should go out now, else None."""
    due_at = local_moment(day, at, zone)
    if now < due_at or now - due_at > REMINDER_CATCH_UP:
        return None
    return due_at, now - due_at > LATE_AFTER


@dataclass(frozen=True, slots=True)
class QuickDate:
    """A follow-up date one tap away: ``days`` from today."""

    key: str
    label: str
    #: The label where space is short (the digest's snooze buttons).
    short: str
    days: int


#: Every quick follow-up choice; each screen names the ones it offers.
QUICK_DATES: tuple[QuickDate, ...] = (
    QuickDate("today", "Today", "+0d", 0),
    QuickDate("tomorrow", "Tomorrow", "+1d", 1),
    QuickDate("3d", "In 3 days", "+3d", 3),
    QuickDate("1w", "Next week", "+1w", 7),
    QuickDate("2w", "In 2 weeks", "+2w", 14),
)
QUICK_DATE = {q.key: q for q in QUICK_DATES}


def quick_dates(*keys: str) -> tuple[QuickDate, ...]:
    return tuple(QUICK_DATE[key] for key in keys)


def quick_date(key: str, today: date) -> date | None:
    """The date a quick choice means, or None for a key that is none."""
    choice = QUICK_DATE.get(key)
    return None if choice is None else today + timedelta(days=choice.days)
