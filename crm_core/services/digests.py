"""Daily digests: what is due for each admin, built with a constant number of queries, and
claimed once in the delivery ledger (``crm_core.services.ledger``) before it is sent.

The front end calls ``claim_due_digests`` on a timer with the current instant. It returns only
what *this* caller has claimed; the caller then sends and reports the outcome with
``digest_part_sent`` / ``finish_digest``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, union_all, update
from sqlalchemy.orm import Session

from crm_core.models import Contact, DigestDelivery, Note, User
from crm_core.schedule import DeliveryStatus, digest_due
from crm_core.services.contacts import live
from crm_core.services.dashboard import dashboard
from crm_core.services.ledger import finish, insert_claims, is_reclaimable, reclaim
from crm_core.services.listing import View

#: Items listed in one digest; the rest are counted ("…and 12 more: /today").
DIGEST_LIMIT = 100
#: Admins whose items one statement fetches (SQLite allows 500 branches in a UNION).
ADMINS_PER_QUERY = 100
#: Characters of the last note fetched for its first line.
NOTE_PREVIEW = 200


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


# --------------------------------------------------------------------------- building


def first_line(text: str | None) -> str | None:
    if not text:
        return None
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return None


def last_note(contact_id: Any) -> Any:
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
            select(top, last_note(top.c.id).label("last_note")).order_by(
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
                    last_note=first_line(row.last_note),
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


# --------------------------------------------------------------------------- the claim


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
    inserted = insert_claims(
        session,
        DigestDelivery,
        [
            {
                "user_id": uid,
                "local_date": d.local_date,
                "status": DeliveryStatus.SENDING.value,
                "late": d.late,
                "attempts": 1,
                "items": 0,
                "parts_sent": 0,
                "claimed_at": now,
            }
            for uid, (_, d, _) in due.items()
            if uid not in existing
        ],
        ("user_id", "local_date"),
    )
    for row in inserted:
        claimed[row.user_id] = row.id
    stale = [row for row in existing.values() if is_reclaimable(row, now)]
    for row in stale:
        if reclaim(session, DigestDelivery, row.id, row.attempts, now, due[row.user_id][1].late):
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
            finish(session, DigestDelivery, delivery_id, DeliveryStatus.SKIPPED, now, None)
            continue
        jobs.append(
            DigestJob(
                delivery_id=delivery_id,
                user_id=uid,
                telegram_user_id=user.telegram_user_id,
                display_name=user.display_name,
                timezone=tz,
                due_at=found.due_at,
                late=found.late,
                start_part=start_parts.get(uid, 0),
                digest=digest,
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


def finish_digest(
    session: Session,
    delivery_id: int,
    status: DeliveryStatus,
    *,
    now: datetime,
    error: str | None = None,
    items: int | None = None,
) -> None:
    """Record how sending went (sent, failed, blocked, unreachable); a block marks the admin."""
    finish(session, DigestDelivery, delivery_id, status, now, error)
    if items is not None:
        row = session.get(DigestDelivery, delivery_id)
        if row is not None:
            row.items = items
