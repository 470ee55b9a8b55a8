"""Daily digests and timed reminders: what is due, claimed once in a ledger, and built with a
constant number of queries.

The front end calls ``claim_due_digests`` / ``claim_due_reminders`` on a timer with the current
instant. Each returns only what *this* caller has claimed: the ledger row (unique per admin and
local day, or per contact and follow-up moment) is inserted with ``ON CONFLICT DO NOTHING`` and
committed before anything is sent, so two processes on one database send a thing once. The
caller then sends and reports the outcome with ``digest_part_sent`` / ``finish_digest`` /
``finish_reminder``.

A claim that was never finished (the process died mid-send) is taken over after ``LEASE``; a
failed send is tried again after ``RETRY_DELAY``, up to ``MAX_CLAIMS`` claims in all. A sender
stops retrying after ``SEND_DEADLINE`` (well inside the lease), so a takeover never races a
live sender. Blocked and unreachable admins are final for the day: trying again would only
collect more 403s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, and_, case, delete, func, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_core.errors import ValidationError
from crm_core.models import Contact, DigestDelivery, Note, ReminderDelivery, User
from crm_core.schedule import (
    QUICK_DATE,
    DeliveryStatus,
    QuickDate,
    digest_due,
    quick_dates,
    reminder_due,
)
from crm_core.services.contacts import View, get_contact, live
from crm_core.services.dashboard import dashboard
from crm_core.services.notes import add_note
from crm_core.stages import NoteType

#: Items listed in one digest; the rest are counted ("…and 12 more: /today").
DIGEST_LIMIT = 100
#: A claim not finished after this is taken over (its process is presumed dead).
LEASE = timedelta(minutes=10)
#: A sender gives up retrying after this, well inside the lease.
SEND_DEADLINE = timedelta(minutes=4)
#: A failed send is claimed again after this.
RETRY_DELAY = timedelta(minutes=5)
#: Claims (sending attempts) per ledger row at most.
MAX_CLAIMS = 3
#: Admins whose items one statement fetches (SQLite allows 500 branches in a UNION).
ADMINS_PER_QUERY = 100
#: Characters of the last note fetched for its first line.
NOTE_PREVIEW = 200
ERROR_MAX = 500


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One follow-up as a digest or reminder shows it (plain data: no lazy loading later)."""

    contact_id: int
    name: str
    contact_type: str
    stage: str
    followup_date: date
    followup_time: time | None
    days_overdue: int
    last_note: str | None  # the first line of the newest note


@dataclass(frozen=True, slots=True)
class Digest:
    user_id: int
    local_date: date
    items: list[DigestItem]
    due_total: int  # all due items, also those past DIGEST_LIMIT
    overdue_total: int
    quotes_pending: int
    potential_revenue: Decimal

    @property
    def empty(self) -> bool:
        return self.due_total == 0

    @property
    def more(self) -> int:
        return self.due_total - len(self.items)


@dataclass(frozen=True, slots=True)
class DigestJob:
    """A digest this process has claimed and must now send."""

    delivery_id: int
    user_id: int
    telegram_user_id: int
    display_name: str
    timezone: str
    due_at: datetime
    late: bool
    start_part: int  # messages already delivered by an earlier claim
    digest: Digest


@dataclass(frozen=True, slots=True)
class ReminderJob:
    delivery_id: int
    user_id: int
    telegram_user_id: int
    timezone: str
    due_at: datetime
    late: bool
    item: DigestItem


# --------------------------------------------------------------------------- building


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return None


def _last_note(contact_id: Any) -> Any:
    """The newest note's opening characters, as a correlated scalar subquery (one query in
    all, served by the (contact_id, created_at) index)."""
    return (
        select(func.substr(Note.content, 1, NOTE_PREVIEW))
        .where(Note.contact_id == contact_id)
        .order_by(Note.created_at.desc(), Note.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _due(owner_id: Any, day: date) -> tuple[Any, ...]:
    """An admin's live follow-ups due on ``day`` or before. Matches the partial index
    ``ix_crm_contacts_owner_followup`` (owner, date, name, id WHERE deleted_at IS NULL), which
    serves the counts alone and hands each admin's rows over already in digest order."""
    return (live(), Contact.owner_id == owner_id, Contact.next_followup_date <= day)


def build_digests(
    session: Session, targets: Mapping[int, date], *, limit: int = DIGEST_LIMIT
) -> dict[int, Digest]:
    """Digests of several admins (users.id -> their local date), oldest follow-up first.

    Queries, whatever the number of admins and contacts: the team figures; the counts, one
    GROUP BY per distinct local date (usually one); the items, one UNION ALL of each admin's
    first ``limit`` rows (a LIMIT per admin, read in index order; one statement per
    ``ADMINS_PER_QUERY`` admins), with the newest note of each item from a correlated subquery.
    A window function over all due rows does the same in one statement but has to sort every
    due follow-up of everyone (about 40,000 in the benchmark) where this reads ``limit`` each.
    """
    if not targets:
        return {}
    team = dashboard(session, 0, View.TEAM, next(iter(targets.values())))
    by_date: dict[date, list[int]] = defaultdict(list)
    for user_id, day in targets.items():
        by_date[day].append(user_id)
    totals: dict[int, tuple[int, int]] = {}
    for day, user_ids in by_date.items():
        counts = session.execute(
            select(
                Contact.owner_id,
                func.count(),
                func.coalesce(func.sum(case((Contact.next_followup_date < day, 1), else_=0)), 0),
            )
            .where(live(), Contact.owner_id.in_(user_ids), Contact.next_followup_date <= day)
            .group_by(Contact.owner_id)
        )
        totals.update({owner: (int(n), int(overdue)) for owner, n, overdue in counts})
    items: dict[int, list[DigestItem]] = defaultdict(list)
    wanted = [uid for uid in targets if totals.get(uid, (0, 0))[0] > 0]
    for start in range(0, len(wanted), ADMINS_PER_QUERY):
        branches = [
            select(
                Contact.id,
                Contact.owner_id,
                Contact.name,
                Contact.name_key,
                Contact.contact_type,
                Contact.current_stage,
                Contact.next_followup_date,
                Contact.next_followup_time,
            )
            .where(*_due(uid, targets[uid]))
            .order_by(Contact.next_followup_date, Contact.name_key, Contact.id)
            .limit(limit)
            .subquery()
            .select()  # SQLite wants each LIMITed branch of a UNION in its own subquery
            for uid in wanted[start : start + ADMINS_PER_QUERY]
        ]
        top = union_all(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
        rows = session.execute(
            select(top, _last_note(top.c.id).label("last_note")).order_by(
                top.c.owner_id, top.c.next_followup_date, top.c.name_key, top.c.id
            )
        )
        for row in rows:
            day = targets[row.owner_id]
            items[row.owner_id].append(
                DigestItem(
                    contact_id=row.id,
                    name=row.name,
                    contact_type=row.contact_type,
                    stage=row.current_stage,
                    followup_date=row.next_followup_date,
                    followup_time=row.next_followup_time,
                    days_overdue=(day - row.next_followup_date).days,
                    last_note=_first_line(row.last_note),
                )
            )
    return {
        user_id: Digest(
            user_id=user_id,
            local_date=day,
            items=items.get(user_id, []),
            due_total=totals.get(user_id, (0, 0))[0],
            overdue_total=totals.get(user_id, (0, 0))[1],
            quotes_pending=team.quotes_pending,
            potential_revenue=team.potential_revenue,
        )
        for user_id, day in targets.items()
    }


def build_digest(session: Session, user_id: int, today: date) -> Digest:
    """One admin's digest for ``today`` (``/digest``): nothing is claimed or recorded."""
    return build_digests(session, {user_id: today})[user_id]


# --------------------------------------------------------------------------- the ledger


def _insert_claims(
    session: Session, model: type[DigestDelivery] | type[ReminderDelivery],
    rows: list[dict[str, Any]], keys: Sequence[str],
) -> list[Any]:
    """Insert ledger rows, skipping those another process holds; return those inserted."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    # Each dialect's insert has its own on_conflict_do_nothing: the statement is built untyped.
    insert: Callable[[type[Any]], Any]
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - the two supported databases
        raise NotImplementedError(dialect)
    table = model.__table__
    stmt = (
        insert(model)
        .values(rows)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(table.c.id, *(table.c[k] for k in keys))
    )
    return list(session.execute(stmt))


def _reclaimable(model: type[DigestDelivery] | type[ReminderDelivery], now: datetime) -> Any:
    """SQL: a claim left sending past the lease, or a failed one due for another try."""
    return and_(
        model.attempts < MAX_CLAIMS,
        or_(
            and_(model.status == DeliveryStatus.SENDING.value, model.claimed_at < now - LEASE),
            and_(
                model.status == DeliveryStatus.FAILED.value,
                model.claimed_at < now - RETRY_DELAY,
            ),
        ),
    )


def _is_reclaimable(row: DigestDelivery | ReminderDelivery, now: datetime) -> bool:
    """``_reclaimable`` for a row already loaded."""
    if row.attempts >= MAX_CLAIMS:
        return False
    if row.status == DeliveryStatus.SENDING.value:
        return row.claimed_at < now - LEASE
    return row.status == DeliveryStatus.FAILED.value and row.claimed_at < now - RETRY_DELAY


def _reclaim(
    session: Session, model: type[DigestDelivery] | type[ReminderDelivery], row_id: int,
    attempts: int, now: datetime, late: bool,
) -> bool:
    """Take over a stale or failed claim; ``attempts`` is the version read, so of two
    processes trying at once exactly one wins."""
    result = session.execute(
        update(model)
        .where(
            model.id == row_id,
            model.attempts == attempts,
            model.status.in_([DeliveryStatus.SENDING.value, DeliveryStatus.FAILED.value]),
        )
        .values(
            status=DeliveryStatus.SENDING.value, attempts=attempts + 1, claimed_at=now,
            late=late, error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(cast("CursorResult[Any]", result).rowcount == 1)


def claim_due_digests(
    session: Session, now: datetime, *, default_tz: str, default_time: time
) -> list[DigestJob]:
    """Claim every active admin's digest whose time has come today (in their timezone, on
    their days) and that nobody has claimed; return them built, ready to send.

    An empty day with empty digests turned off is recorded as skipped and not returned.
    Queries: users, ledger, at most one insert, then ``build_digests`` — none per contact.
    """
    due: dict[int, tuple[User, Any, str]] = {}
    for user in session.scalars(select(User).where(User.active)):
        tz = user.timezone or default_tz
        found = digest_due(now, ZoneInfo(tz), user.digest_time or default_time, user.digest_days)
        if found is not None:
            due[user.id] = (user, found, tz)
    if not due:
        return []
    dates = {d.local_date for _, d, _ in due.values()}
    existing = {
        row.user_id: row
        for row in session.scalars(
            select(DigestDelivery).where(
                DigestDelivery.user_id.in_(list(due)), DigestDelivery.local_date.in_(dates)
            )
        )
        if row.local_date == due[row.user_id][1].local_date
    }
    claimed: dict[int, int] = {}  # users.id -> delivery id
    start_parts: dict[int, int] = {}
    inserted = _insert_claims(
        session,
        DigestDelivery,
        [
            {
                "user_id": uid, "local_date": d.local_date, "status": DeliveryStatus.SENDING.value,
                "late": d.late, "attempts": 1, "items": 0, "parts_sent": 0, "claimed_at": now,
            }
            for uid, (_, d, _) in due.items()
            if uid not in existing
        ],
        ("user_id", "local_date"),
    )
    for row in inserted:
        claimed[row.user_id] = row.id
    stale = [row for row in existing.values() if _is_reclaimable(row, now)]
    for row in stale:
        if _reclaim(session, DigestDelivery, row.id, row.attempts, now, due[row.user_id][1].late):
            claimed[row.user_id] = row.id
            start_parts[row.user_id] = row.parts_sent
    if not claimed:
        return []
    digests = build_digests(session, {uid: due[uid][1].local_date for uid in claimed})
    jobs: list[DigestJob] = []
    for uid, delivery_id in claimed.items():
        user, found, tz = due[uid]
        digest = digests[uid]
        if digest.empty and not user.digest_empty:
            _finish(session, DigestDelivery, delivery_id, DeliveryStatus.SKIPPED, now, None)
            continue
        jobs.append(
            DigestJob(
                delivery_id=delivery_id, user_id=uid, telegram_user_id=user.telegram_user_id,
                display_name=user.display_name, timezone=tz, due_at=found.due_at,
                late=found.late, start_part=start_parts.get(uid, 0), digest=digest,
            )
        )
    return jobs


def digest_part_sent(session: Session, delivery_id: int, parts_sent: int) -> None:
    """Record progress after each message, so that a takeover resumes instead of repeating."""
    session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.id == delivery_id)
        .values(parts_sent=parts_sent)
        .execution_options(synchronize_session=False)
    )


_Ledger = TypeVar("_Ledger", DigestDelivery, ReminderDelivery)


def _finish(
    session: Session, model: type[_Ledger], delivery_id: int,
    status: DeliveryStatus, now: datetime, error: str | None,
) -> None:
    row = session.get(model, delivery_id)
    if row is None:  # the contact was erased meanwhile (reminder rows cascade)
        return
    row.status = status.value
    row.error = error[:ERROR_MAX] if error else None
    if status is DeliveryStatus.SENT:
        row.sent_at = now
    user = session.get(User, row.user_id)
    if user is not None:
        if status is DeliveryStatus.BLOCKED:
            user.bot_blocked_at = user.bot_blocked_at or now
        elif status is DeliveryStatus.SENT:
            user.bot_blocked_at = None
    session.flush()


def finish_digest(
    session: Session, delivery_id: int, status: DeliveryStatus, *, now: datetime,
    error: str | None = None, items: int | None = None,
) -> None:
    """Record how sending went (sent, failed, blocked, unreachable); a block marks the admin."""
    _finish(session, DigestDelivery, delivery_id, status, now, error)
    if items is not None:
        row = session.get(DigestDelivery, delivery_id)
        if row is not None:
            row.items = items


def finish_reminder(
    session: Session, delivery_id: int, status: DeliveryStatus, *, now: datetime,
    error: str | None = None,
) -> None:
    _finish(session, ReminderDelivery, delivery_id, status, now, error)


# --------------------------------------------------------------------------- reminders


def claim_due_reminders(session: Session, now: datetime, *, default_tz: str) -> list[ReminderJob]:
    """Claim timed follow-ups whose moment has come (up to a day late), once each.

    The ledger key is the contact and its follow-up date and time, so a follow-up moved to a
    new moment reminds again, and one done or moved before its time never reminds. One query
    finds candidates (timed follow-ups near today with no live claim), then one insert.
    """
    utc_day = now.date()
    ledger = ReminderDelivery
    rows = session.execute(
        select(
            Contact.id,
            Contact.owner_id,
            Contact.name,
            Contact.contact_type,
            Contact.current_stage,
            Contact.next_followup_date,
            Contact.next_followup_time,
            User.timezone,
            User.telegram_user_id,
            ledger.id.label("delivery_id"),
            ledger.attempts,
            _last_note(Contact.id).label("last_note"),
        )
        .join(User, User.id == Contact.owner_id)
        .outerjoin(
            ledger,
            and_(
                ledger.contact_id == Contact.id,
                ledger.due_date == Contact.next_followup_date,
                ledger.due_time == Contact.next_followup_time,
            ),
        )
        .where(
            live(),
            User.active,
            Contact.next_followup_time.is_not(None),
            # Local dates are within a day of the UTC date; the catch-up reaches one more back.
            Contact.next_followup_date.between(utc_day - timedelta(days=2),
                                               utc_day + timedelta(days=1)),
            or_(ledger.id.is_(None), _reclaimable(ledger, now)),
        )
    ).all()
    fresh: list[dict[str, Any]] = []
    candidates: dict[tuple[int, date, time], tuple[Any, datetime, bool, str]] = {}
    reclaimed: list[tuple[Any, int]] = []
    for row in rows:
        tz = row.timezone or default_tz
        found = reminder_due(now, row.next_followup_date, row.next_followup_time, ZoneInfo(tz))
        if found is None:
            continue
        due_at, late = found
        key = (row.id, row.next_followup_date, row.next_followup_time)
        candidates[key] = (row, due_at, late, tz)
        if row.delivery_id is None:
            fresh.append(
                {
                    "contact_id": row.id, "user_id": row.owner_id,
                    "due_date": row.next_followup_date, "due_time": row.next_followup_time,
                    "due_at": due_at, "status": DeliveryStatus.SENDING.value, "late": late,
                    "attempts": 1, "claimed_at": now,
                }
            )
        elif _reclaim(session, ledger, row.delivery_id, row.attempts, now, late):
            reclaimed.append((key, row.delivery_id))
    won = [
        ((r.contact_id, r.due_date, r.due_time), r.id)
        for r in _insert_claims(session, ledger, fresh, ("contact_id", "due_date", "due_time"))
    ]
    jobs = []
    for key, delivery_id in [*won, *reclaimed]:
        row, due_at, late, tz = candidates[key]
        jobs.append(
            ReminderJob(
                delivery_id=delivery_id, user_id=row.owner_id,
                telegram_user_id=row.telegram_user_id, timezone=tz, due_at=due_at, late=late,
                item=DigestItem(
                    contact_id=row.id, name=row.name, contact_type=row.contact_type,
                    stage=row.current_stage, followup_date=row.next_followup_date,
                    followup_time=row.next_followup_time, days_overdue=0,
                    last_note=_first_line(row.last_note),
                ),
            )
        )
    return sorted(jobs, key=lambda j: (j.due_at, j.item.name))


# --------------------------------------------------------------------------- acting on items


@dataclass(frozen=True, slots=True)
class Outcome:
    key: str
    label: str
    note_type: NoteType | None
    note: str | None


#: "Done" answers: each writes a note of its type (Skip writes none).
OUTCOMES: tuple[Outcome, ...] = (
    Outcome("call", "Called", NoteType.CALL, "Called."),
    Outcome("email", "Emailed", NoteType.EMAIL, "Emailed."),
    Outcome("met", "Met", NoteType.MEETING, "Met."),
    Outcome("noans", "No answer", NoteType.CALL, "Called — no answer."),
    Outcome("skip", "Skip", None, None),
)
_OUTCOMES = {o.key: o for o in OUTCOMES}

#: "Next follow-up?" after Done: quick dates, then ``NO_NEXT`` (clear it).
NEXT_CHOICES: tuple[QuickDate, ...] = quick_dates("tomorrow", "3d", "1w", "2w")
NO_NEXT = "0"


def log_outcome(
    session: Session, contact_id: int, author_id: int | None, outcome: str, *,
    now: datetime | None = None,
) -> tuple[Contact, Outcome]:
    """Record how a follow-up went, as a note of that type (nothing for Skip)."""
    found = _OUTCOMES.get(outcome)
    if found is None:
        raise ValidationError("outcome", "That answer isn't one of the buttons.")
    contact = get_contact(session, contact_id)
    if found.note_type is not None and found.note is not None:
        add_note(session, contact_id, author_id, found.note_type, found.note, now=now)
    return contact, found


def next_followup(
    session: Session, contact_id: int, choice: str, *, today: date,
    now: datetime | None = None,
) -> Contact:
    """Set the follow-up after Done: today + the chosen days, or none."""
    from crm_core.services.followups import clear_followup, set_followup

    if choice == NO_NEXT:
        return clear_followup(session, contact_id, now=now)
    quick = QUICK_DATE.get(choice)
    if quick is None or quick not in NEXT_CHOICES:
        raise ValidationError("next_followup_date", "That choice isn't one of the buttons.")
    when = today + timedelta(days=quick.days)
    return set_followup(session, contact_id, when, today=today, now=now)


#: How long the delivery ledgers keep their rows (what was sent, when, and what failed).
LEDGER_KEEP_DAYS = 90


def prune_ledgers(session: Session, now: datetime, *, keep_days: int = LEDGER_KEEP_DAYS) -> int:
    """Forget digest and reminder deliveries older than ``keep_days`` days: the ledgers only
    need to cover the days a send could still be repeated for."""
    cutoff = now - timedelta(days=keep_days)
    digests = session.execute(
        delete(DigestDelivery).where(DigestDelivery.local_date < cutoff.date())
    )
    reminders = session.execute(
        delete(ReminderDelivery).where(ReminderDelivery.due_at < cutoff)
    )
    return sum(int(cast("CursorResult[Any]", r).rowcount or 0) for r in (digests, reminders))
