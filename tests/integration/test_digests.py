"""Digests and timed reminders in crm_core, driven by an explicit clock (``now``) on SQLite and
PostgreSQL: when they are due (winter, summer, DST days, other timezones and days), the
ledger (once, across restarts and concurrent processes; retries; takeovers), the content, the
query count, snooze and done, and the admin's settings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.views.digest import NEXT_BY_KEY, NO_NEXT, OUTCOMES_BY_KEY
from crm_core.config import AdminSpec
from crm_core.db import make_engine, make_session_factory
from crm_core.errors import NotFound, ValidationError
from crm_core.models import Contact, DigestDelivery, Note, ReminderDelivery, User
from crm_core.schedule import (
    MON_FRI,
    DeliveryStatus,
)
from crm_core.services import digests as digests_service
from crm_core.services import preferences as prefs
from crm_core.services.contacts import change_stage, create_contact
from crm_core.services.digests import (
    DigestJob,
    build_digest,
    build_digests,
    claim_due_digests,
    digest_part_sent,
    finish_digest,
)
from crm_core.services.followups import log_outcome, set_followup, snooze_followup
from crm_core.services.ledger import LEASE, MAX_CLAIMS, RETRY_DELAY, prune_ledgers
from crm_core.services.notes import add_note
from crm_core.services.reminders import claim_due_reminders, finish_reminder
from crm_core.services.trash import delete_contact
from crm_core.services.users import sync_admins
from crm_core.stages import NoteType
from crm_core.validation import parse_time_of_day
from tests.conftest import ALICE, BOB, TODAY

LONDON = "Europe/London"
EIGHT = time(8, 0)
Factory = sessionmaker[Session]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def claim(factory: Factory, now: datetime) -> list[DigestJob]:
    with factory.begin() as session:
        return claim_due_digests(session, now, default_tz=LONDON, default_time=EIGHT)


def claimed_users(factory: Factory, now: datetime) -> set[int]:
    """Who got a digest claimed at ``now``; each is then recorded as sent."""
    jobs = claim(factory, now)
    for job in jobs:
        finish(factory, job, DeliveryStatus.SENT, now)
    return {job.user_id for job in jobs}


def finish(factory: Factory, job: DigestJob, status: DeliveryStatus, now: datetime) -> None:
    with factory.begin() as session:
        finish_digest(session, job.delivery_id, status, now=now, items=len(job.digest.items))


def make(factory: Factory, owner: User, name: str, *, today: date = TODAY, **fields: Any) -> int:
    with factory.begin() as session:
        values = {"name": name, "contact_type": "eviction_client", **fields}
        return create_contact(session, owner.id, values, today=today).id


def change_user(factory: Factory, user: User, **values: Any) -> None:
    with factory.begin() as session:
        row = session.get(User, user.id)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)


def ledger(factory: Factory) -> dict[int, DigestDelivery]:
    with factory() as session:
        return {r.user_id: r for r in session.scalars(select(DigestDelivery))}


# --------------------------------------------------------------------------- when


def test_digest_at_eight_london_in_winter(session_factory, alice, bob):
    assert claim(session_factory, utc(2026, 11, 23, 7, 59, 59)) == []
    jobs = claim(session_factory, utc(2026, 11, 23, 8, 0))
    assert {j.user_id for j in jobs} == {alice.id, bob.id}
    assert all(not j.late and j.due_at == utc(2026, 11, 23, 8, 0) for j in jobs)
    assert {j.telegram_user_id for j in jobs} == {ALICE.telegram_user_id, BOB.telegram_user_id}


def test_digest_at_eight_london_in_summer_is_seven_utc(session_factory, alice, bob):
    assert claim(session_factory, utc(2026, 6, 15, 6, 59, 59)) == []
    assert claimed_users(session_factory, utc(2026, 6, 15, 7, 0)) == {alice.id, bob.id}


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2026, 10, 24), 7),  # Saturday before the autumn change: BST
        (date(2026, 10, 25), 8),  # the last Sunday of October: GMT from 02:00 BST
        (date(2026, 10, 26), 8),
        (date(2027, 3, 27), 8),  # Saturday before the spring change: GMT
        (date(2027, 3, 28), 7),  # the last Sunday of March: BST from 01:00 GMT
        (date(2027, 3, 29), 7),
    ],
)
def test_digest_on_the_dst_change_days(session_factory, alice, bob, day, utc_hour):
    due = datetime.combine(day, time(utc_hour), tzinfo=UTC)
    assert claim(session_factory, due - timedelta(seconds=1)) == []
    jobs = claim(session_factory, due)
    assert {j.user_id for j in jobs} == {alice.id, bob.id}
    for job in jobs:
        finish(session_factory, job, DeliveryStatus.SENT, due)
    assert claim(session_factory, due + timedelta(hours=3)) == []


def test_a_digest_time_in_the_dst_gap_or_overlap_goes_once(session_factory, alice, bob):
    change_user(session_factory, alice, digest_time=time(1, 30))
    # 28 March 2027: 01:30 does not exist in London; it goes when the clock has passed it.
    assert claim(session_factory, utc(2027, 3, 28, 1, 29, 59)) == []
    assert claimed_users(session_factory, utc(2027, 3, 28, 1, 30)) == {alice.id}
    # 25 October 2026: 01:30 happens twice; the first one counts, the second sends nothing.
    (first,) = claim(session_factory, utc(2026, 10, 25, 0, 30))
    assert first.user_id == alice.id
    finish(session_factory, first, DeliveryStatus.SENT, utc(2026, 10, 25, 0, 30))
    assert claim(session_factory, utc(2026, 10, 25, 1, 30)) == []


def test_each_admin_in_their_own_timezone_time_and_days(session_factory, alice, bob):
    change_user(session_factory, alice, digest_days=MON_FRI)
    change_user(session_factory, bob, timezone="America/New_York", digest_time=time(7, 30))
    assert claimed_users(session_factory, utc(2026, 11, 23, 8, 0)) == {alice.id}  # Monday
    assert claim(session_factory, utc(2026, 11, 23, 12, 29)) == []
    assert claimed_users(session_factory, utc(2026, 11, 23, 12, 30)) == {bob.id}  # 07:30 EST
    saturday = utc(2026, 11, 28, 13, 0)
    assert claimed_users(session_factory, saturday) == {bob.id}  # Alice: Monday-Friday


def test_catch_up_after_downtime_is_late_until_the_admins_day_is_over(session_factory, alice, bob):
    change_user(session_factory, bob, timezone="America/New_York")
    # Down from before 08:00 London until 00:05 the next day (London), 19:05 in New York.
    jobs = claim(session_factory, utc(2026, 11, 24, 0, 5))
    assert [(j.user_id, j.digest.local_date, j.late) for j in jobs] == [
        (bob.id, date(2026, 11, 23), True)
    ]
    # Alice's 23 November is over: nothing until her 08:00 on the 24th.
    assert claim(session_factory, utc(2026, 11, 24, 7, 59)) == []
    jobs = claim(session_factory, utc(2026, 11, 24, 11, 0))
    assert [(j.user_id, j.late) for j in jobs] == [(alice.id, True)]
    assert ledger(session_factory)[alice.id].late is True


def test_sent_once_also_after_a_restart_then_again_the_next_day(
    session_factory, migrated_url, alice, bob
):
    now = utc(2026, 11, 23, 8, 0, 30)
    for job in claim(session_factory, now):
        finish(session_factory, job, DeliveryStatus.SENT, now)
    assert claim(session_factory, now + timedelta(minutes=1)) == []
    restarted = make_engine(migrated_url)
    try:
        assert claim(make_session_factory(restarted), now + timedelta(hours=2)) == []
    finally:
        restarted.dispose()
    rows = ledger(session_factory)
    assert {r.status for r in rows.values()} == {"sent"}
    assert rows[alice.id].sent_at == now
    assert rows[alice.id].attempts == 1
    assert claimed_users(session_factory, now + timedelta(days=1)) == {alice.id, bob.id}


def test_concurrent_processes_claim_each_digest_once(
    session_factory, migrated_url, backend, alice, bob
):
    """Eight "processes" (own engine each) claim at the same instant: one digest per admin."""
    now = utc(2026, 11, 23, 8, 0, 5)
    engines = [make_engine(migrated_url) for _ in range(8)]
    barrier = threading.Barrier(len(engines))
    claimed: list[int] = []
    errors: list[BaseException] = []

    def process(engine: Engine) -> None:
        factory = make_session_factory(engine)
        barrier.wait()
        try:
            claimed.extend(j.user_id for j in claim(factory, now))
        except Exception as err:  # SQLite may say "database is locked": that is no claim
            errors.append(err)

    threads = [threading.Thread(target=process, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert sorted(claimed) == sorted([alice.id, bob.id])
    if backend == "postgres":
        assert errors == []


def test_a_failed_send_is_retried_later_and_a_block_is_final_for_the_day(
    session_factory, alice, bob
):
    now = utc(2026, 11, 23, 8, 0)
    jobs = {j.user_id: j for j in claim(session_factory, now)}
    finish(session_factory, jobs[alice.id], DeliveryStatus.FAILED, now)
    finish(session_factory, jobs[bob.id], DeliveryStatus.BLOCKED, now)
    with session_factory() as s:
        assert s.get(User, bob.id).bot_blocked_at == now  # type: ignore[union-attr]
    assert claim(session_factory, now + RETRY_DELAY - timedelta(seconds=1)) == []
    later = now
    for attempt in range(2, MAX_CLAIMS + 1):
        later += RETRY_DELAY + timedelta(seconds=1)
        retried = claim(session_factory, later)
        assert [j.user_id for j in retried] == [alice.id]
        assert ledger(session_factory)[alice.id].attempts == attempt
        finish(session_factory, retried[0], DeliveryStatus.FAILED, later)
    assert claim(session_factory, later + timedelta(hours=1)) == []  # gave up for today
    assert ledger(session_factory)[bob.id].status == "blocked"
    # The next day both are tried again; a good send clears Bob's mark.
    next_day = {j.user_id: j for j in claim(session_factory, now + timedelta(days=1))}
    finish(session_factory, next_day[bob.id], DeliveryStatus.SENT, now + timedelta(days=1))
    with session_factory() as s:
        assert s.get(User, bob.id).bot_blocked_at is None  # type: ignore[union-attr]


def test_a_claim_left_by_a_dead_process_is_taken_over_where_it_stopped(
    session_factory, alice, bob
):
    now = utc(2026, 11, 23, 8, 0)
    jobs = {j.user_id: j for j in claim(session_factory, now)}
    with session_factory.begin() as s:
        digest_part_sent(s, jobs[alice.id].delivery_id, 2)
    finish(session_factory, jobs[bob.id], DeliveryStatus.SENT, now)
    assert claim(session_factory, now + LEASE - timedelta(seconds=1)) == []
    taken = claim(session_factory, now + LEASE + timedelta(seconds=1))
    assert [(j.user_id, j.start_part, j.delivery_id) for j in taken] == [
        (alice.id, 2, jobs[alice.id].delivery_id)
    ]


def test_an_empty_day_is_skipped_when_turned_off(session_factory, alice, bob):
    change_user(session_factory, alice, digest_empty=False)
    jobs = claim(session_factory, utc(2026, 11, 23, 8, 0))
    assert [(j.user_id, j.digest.empty) for j in jobs] == [(bob.id, True)]
    assert ledger(session_factory)[alice.id].status == "skipped"


# --------------------------------------------------------------------------- content


def test_digest_content_oldest_first_with_last_note_and_team_figures(session_factory, alice, bob):
    old = make(session_factory, alice, "Old", next_followup_date="2026-11-18")
    with session_factory.begin() as s:
        add_note(s, old, alice.id, "call", "first note", now=utc(2026, 11, 1, 9, 0))
        add_note(
            s, old, alice.id, "email", "\nLatest <note>\nsecond line", now=utc(2026, 11, 2, 9, 0)
        )
    make(session_factory, alice, "Yesterday", next_followup_date="yesterday")
    make(session_factory, alice, "Today B", next_followup_date="today")
    make(session_factory, alice, "today A", next_followup_date="today 14:00")  # names ignore case
    make(session_factory, alice, "Tomorrow", next_followup_date="tomorrow")
    make(session_factory, alice, "Undated")
    trashed = make(session_factory, alice, "Trashed", next_followup_date="yesterday")
    make(session_factory, bob, "Bobs", next_followup_date="yesterday")
    quote = make(
        session_factory, bob, "Quote", contact_type="prevention_prospect", potential_value="1000"
    )
    with session_factory.begin() as s:
        delete_contact(s, trashed)
        change_stage(s, quote, "quote_sent", by_user_id=bob.id)
    with session_factory() as s:
        digest = build_digest(s, alice.id, TODAY)
    assert [(i.name, i.days_overdue) for i in digest.items] == [
        ("Old", 5),
        ("Yesterday", 1),
        ("today A", 0),
        ("Today B", 0),
    ]
    assert digest.items[0].last_note == "Latest <note>"
    assert digest.items[2].followup_time == time(14, 0)
    assert (digest.due_total, digest.overdue_total) == (4, 2)
    assert (digest.quotes_pending, digest.potential_revenue) == (1, Decimal("1000.00"))
    with session_factory() as s:
        capped = build_digests(s, {alice.id: TODAY}, limit=2)[alice.id]
    assert [i.name for i in capped.items] == ["Old", "Yesterday"]
    assert capped.more == 2
    # Overdue items repeat every day until done or moved, a day older each time.
    with session_factory() as s:
        tomorrow = build_digest(s, alice.id, TODAY + timedelta(days=1))
    assert [(i.name, i.days_overdue) for i in tomorrow.items][:2] == [("Old", 6), ("Yesterday", 2)]


def _count_queries(engine: Engine, fn: Callable[[], object]) -> int:
    count = 0

    def before(*_: object) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count


def test_queries_do_not_grow_with_admins_or_contacts(
    session_factory, engine, alice, bob, monkeypatch
):
    def seed(admins: list[User], per_admin: int) -> None:
        for user in admins:
            for n in range(per_admin):
                cid = make(
                    session_factory, user, f"C{user.id}-{n}", next_followup_date="yesterday"
                )
                with session_factory.begin() as s:
                    add_note(s, cid, user.id, "call", f"note {n}")

    def queries() -> int:
        targets = {u.id: TODAY for u in users()}

        def run() -> None:
            with session_factory() as s:
                build_digests(s, targets)

        return _count_queries(engine, run)

    def users() -> list[User]:
        with session_factory() as s:
            return list(s.scalars(select(User)))

    seed([alice, bob], 3)
    small = queries()
    with session_factory.begin() as s:
        sync_admins(s, [ALICE, BOB, *(AdminSpec(2000 + n, f"A{n}") for n in range(6))])
    seed(users(), 8)
    # Team figures, the counts (one local date), the items (up to 100 admins per statement).
    assert queries() == small == 3

    # More admins than one statement takes: a few more statements, the same digests.
    everyone = {u.id: TODAY for u in users()}
    with session_factory() as s:
        whole = build_digests(s, everyone)
    monkeypatch.setattr(digests_service, "ADMINS_PER_QUERY", 3)
    with session_factory() as s:
        assert build_digests(s, everyone) == whole
    assert queries() == 2 + 3  # 8 admins, 3 per statement
    monkeypatch.undo()

    def claim_all() -> None:
        claim(session_factory, utc(2026, 11, 23, 8, 0))

    # users, ledger, one insert, then the build: none per admin or per contact.
    assert _count_queries(engine, claim_all) == 6


# --------------------------------------------------------------------------- snooze and done


def test_snooze_moves_the_date_from_today_and_keeps_a_time(session_factory, alice):
    cid = make(session_factory, alice, "Late", next_followup_date="2026-11-10 14:00")
    with session_factory.begin() as s:
        for days in (1, 3, 7):
            contact = snooze_followup(s, cid, days, today=TODAY)
            assert contact.next_followup_date == TODAY + timedelta(days=days)
            assert contact.next_followup_time == time(14, 0)
    with session_factory() as s:
        assert [i.name for i in build_digest(s, alice.id, TODAY).items] == []
        assert [i.name for i in build_digest(s, alice.id, TODAY + timedelta(days=7)).items] == [
            "Late"
        ]
    with session_factory.begin() as s, pytest.raises(ValidationError):
        snooze_followup(s, cid, 0, today=TODAY)


@pytest.mark.parametrize(
    ("outcome", "note_type", "content"),
    [
        ("call", "call", "Called."),
        ("email", "email", "Emailed."),
        ("met", "meeting", "Met."),
        ("noans", "call", "Called — no answer."),
        ("skip", None, None),
    ],
)
def test_done_writes_a_note_of_the_outcome_then_sets_the_next_follow_up(
    session_factory, alice, outcome, note_type, content
):
    cid = make(session_factory, alice, "Due", next_followup_date="today 09:00")
    found = OUTCOMES_BY_KEY[outcome]
    with session_factory.begin() as s:
        log_outcome(s, cid, alice.id, found.note_type, found.note)
    with session_factory() as s:
        notes = [(n.note_type, n.content) for n in s.scalars(select(Note))]
    assert notes == ([(note_type, content)] if note_type else [])
    with session_factory.begin() as s:
        week = TODAY + timedelta(days=NEXT_BY_KEY["1w"].days)
        contact = set_followup(s, cid, week, today=TODAY)
        assert (contact.next_followup_date, contact.next_followup_time) == (
            date(2026, 11, 30),
            None,
        )
        assert NO_NEXT not in NEXT_BY_KEY
        assert set_followup(s, cid, None, today=TODAY).next_followup_date is None
    with session_factory() as s:
        assert build_digest(s, alice.id, TODAY).items == []


def test_buttons_on_a_deleted_contact_say_it_no_longer_exists(session_factory, alice):
    cid = make(session_factory, alice, "Gone", next_followup_date="today")
    with session_factory.begin() as s:
        delete_contact(s, cid)
    for action in (
        lambda s: snooze_followup(s, cid, 1, today=TODAY),
        lambda s: log_outcome(s, cid, alice.id, NoteType.CALL, "Called."),
        lambda s: log_outcome(s, cid, alice.id, None, None),
        lambda s: set_followup(s, cid, TODAY, today=TODAY),
    ):
        with session_factory.begin() as s, pytest.raises(NotFound, match="no longer exists"):
            action(s)


# --------------------------------------------------------------------------- timed reminders


def reminders(factory: Factory, now: datetime) -> list[Any]:
    with factory.begin() as session:
        return claim_due_reminders(session, now, default_tz=LONDON)


def test_a_timed_follow_up_reminds_once_at_its_time(session_factory, migrated_url, alice):
    cid = make(session_factory, alice, "Jane", next_followup_date="tomorrow 14:00")
    with session_factory() as s:
        contact = s.get(Contact, cid)
        assert (contact.next_followup_date, contact.next_followup_time) == (  # type: ignore[union-attr]
            date(2026, 11, 24),
            time(14, 0),
        )
    assert reminders(session_factory, utc(2026, 11, 24, 13, 59, 59)) == []
    (job,) = reminders(session_factory, utc(2026, 11, 24, 14, 0))
    assert (job.item.name, job.telegram_user_id, job.late) == (
        "Jane",
        ALICE.telegram_user_id,
        False,
    )
    assert reminders(session_factory, utc(2026, 11, 24, 14, 1)) == []
    with session_factory.begin() as s:
        finish_reminder(s, job.delivery_id, DeliveryStatus.SENT, now=utc(2026, 11, 24, 14, 0))
    restarted = make_engine(migrated_url)
    try:
        assert reminders(make_session_factory(restarted), utc(2026, 11, 24, 15, 0)) == []
    finally:
        restarted.dispose()
    # Snoozed: a new moment, a new reminder (the time of day is kept).
    with session_factory.begin() as s:
        snooze_followup(s, cid, 1, today=date(2026, 11, 24))
    assert [
        j.item.followup_date for j in reminders(session_factory, utc(2026, 11, 25, 14, 0))
    ] == [date(2026, 11, 25)]


def test_reminders_missed_while_down_go_on_start_up_to_a_day_late(session_factory, alice, bob):
    make(session_factory, alice, "Morning", next_followup_date="today 09:00")
    make(session_factory, alice, "Old", next_followup_date="yesterday 09:00")
    make(session_factory, alice, "Done", next_followup_date="today 09:30")
    make(session_factory, alice, "Untimed", next_followup_date="today")
    with session_factory.begin() as s:
        done = s.scalar(select(Contact.id).where(Contact.name == "Done"))
        set_followup(s, done, None, today=TODAY)  # handled before its time: no reminder
    jobs = reminders(session_factory, utc(2026, 11, 23, 12, 0))
    assert [(j.item.name, j.late) for j in jobs] == [("Morning", True)]  # "Old" is 27h late


def test_reminders_follow_the_owners_timezone_and_summer_time(session_factory, alice, bob):
    change_user(session_factory, bob, timezone="America/New_York")
    make(
        session_factory, alice, "Summer", today=date(2026, 6, 15), next_followup_date="today 14:00"
    )
    make(session_factory, bob, "NY", next_followup_date="today 14:00")
    assert [j.item.name for j in reminders(session_factory, utc(2026, 6, 15, 13, 0))] == ["Summer"]
    assert reminders(session_factory, utc(2026, 11, 23, 18, 59)) == []
    assert [j.item.name for j in reminders(session_factory, utc(2026, 11, 23, 19, 0))] == ["NY"]


def test_a_failed_reminder_is_retried(session_factory, alice):
    make(session_factory, alice, "Flaky", next_followup_date="today 10:00")
    now = utc(2026, 11, 23, 10, 0)
    (job,) = reminders(session_factory, now)
    with session_factory.begin() as s:
        finish_reminder(s, job.delivery_id, DeliveryStatus.FAILED, now=now, error="502")
    assert reminders(session_factory, now + timedelta(minutes=1)) == []
    (again,) = reminders(session_factory, now + RETRY_DELAY + timedelta(seconds=1))
    assert again.delivery_id == job.delivery_id
    with session_factory() as s:
        assert s.get(ReminderDelivery, job.delivery_id).attempts == 2  # type: ignore[union-attr]


def test_typed_times_and_timezones_for_settings(session_factory, alice):
    assert parse_time_of_day("7:45") == time(7, 45)
    assert parse_time_of_day("07:45") == time(7, 45)
    for bad in ("25:00", "7", "soon", ""):
        with pytest.raises(ValidationError, match="HH:MM"):
            parse_time_of_day(bad)
    assert prefs.find_timezone("europe/paris") == "Europe/Paris"
    assert prefs.find_timezone(" New York ") == "America/New_York"
    assert prefs.find_timezone("UTC") == "UTC"
    with pytest.raises(ValidationError, match="IANA"):
        prefs.find_timezone("Mars/Olympus")
    defaults = {"default_tz": LONDON, "default_time": EIGHT}
    with session_factory.begin() as s:
        first = prefs.get_preferences(s, alice.id, **defaults)
        assert (first.timezone, first.digest_time, first.own_time, first.send_empty) == (
            LONDON,
            EIGHT,
            False,
            True,
        )
        prefs.set_digest_time(s, alice.id, "7:45")
        prefs.set_timezone(s, alice.id, "paris")
        prefs.set_digest_days(s, alice.id, "mf")
        prefs.set_send_empty(s, alice.id, False)
        with pytest.raises(ValidationError):
            prefs.set_digest_days(s, alice.id, "weekends")
    with session_factory() as s:
        mine = prefs.get_preferences(s, alice.id, **defaults)
    assert mine == prefs.DigestPreferences("Europe/Paris", time(7, 45), MON_FRI, False, True, True)
    # 07:45 in Paris is 06:45 UTC in November (an empty day: recorded, nothing to send).
    assert claim(session_factory, utc(2026, 11, 23, 6, 44)) == []
    assert ledger(session_factory) == {}
    assert claim(session_factory, utc(2026, 11, 23, 6, 45)) == []
    assert ledger(session_factory)[alice.id].status == "skipped"


def test_old_ledger_rows_are_pruned_and_recent_ones_kept(session_factory, alice, bob):
    """Housekeeping forgets deliveries older than 90 days; the recent ledger still stops a
    second send."""
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with session_factory.begin() as s:
        for day in (date(2026, 8, 1), date(2026, 11, 23)):
            s.add(DigestDelivery(user_id=alice.id, local_date=day, status="sent", sent_at=now))
    with session_factory.begin() as s:
        assert prune_ledgers(s, now) == 1
    with session_factory() as s:
        days = s.scalars(select(DigestDelivery.local_date)).all()
    assert days == [date(2026, 11, 23)]
    with session_factory.begin() as s:
        jobs = claim_due_digests(s, now, default_tz="Europe/London", default_time=time(8, 0))
    assert [job.user_id for job in jobs] == [bob.id]  # Alice had hers today already
