"""Conversion, revenue and forecast figures for /report and `crm report`.

Everything is aggregated by the database, in a fixed number of statements whatever the data
(``STATEMENTS`` per period): stage entries and moves from ``crm_stage_changes`` (window
functions, on both databases), paid revenue from ``crm_jobs``, the forecast from the live
contacts. Trashed contacts are left out everywhere.

Definitions:
- a contact *entered* a stage when a stage change to it falls in the period;
- it *moved on* when a later change (by the period's end) takes it further down the pipeline
  (a move back, or to Lost, is not moving on);
- *decided* contacts reached a won or lost stage in the period, judged by the last of those
  moves (a lost deal reopened and won counts once, as won); win rate = won / decided;
- days in a stage run from entering it to the next move, for entries in the period that were
  left by its end; the medians are computed in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    cast,
    distinct,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from crm_core.models import Contact, Job, LostReason, StageChange, User
from crm_core.services.periods import Period
from crm_core.stages import (
    PIPELINES,
    STAGE_PROBABILITIES,
    STALE_DAYS,
    ContactType,
    JobStatus,
    Status,
)

CENTS = Decimal("0.01")
#: How many partners and sources a chart shows (readable on a phone).
TOP = 6


@dataclass(frozen=True, slots=True)
class StageFigure:
    key: str
    name: str
    entered: int
    moved_on: int
    median_days: float | None

    @property
    def conversion(self) -> float | None:
        return self.moved_on / self.entered if self.entered else None


@dataclass(frozen=True, slots=True)
class Figures:
    pipeline: ContactType
    period: Period
    stages: list[StageFigure]
    won: int
    lost: int
    median_days_to_won: float | None
    #: Paid jobs of the period, all pipelines: the total and per month ("2026-11", £).
    revenue: Decimal
    revenue_by_month: list[tuple[str, Decimal]]
    #: Partners by the paid revenue of the contacts they referred (jobs paid in the period).
    top_partners: list[tuple[str, Decimal]]
    #: Per source (how_found_us; "Not recorded" when empty): (source, won, decided).
    by_source: list[tuple[str, int, int]]
    open_value: Decimal
    weighted_value: Decimal
    stale: int
    jobs_paid: int = 0
    #: Per owner (display name): (owner, won, decided), as by source.
    by_owner: list[tuple[str, int, int]] = field(default_factory=list)
    #: The reasons recorded for the deals lost in the period: (reason, deals), most first.
    lost_reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def decided(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        return self.won / self.decided if self.decided else None


@dataclass(frozen=True, slots=True)
class Report:
    current: Figures
    previous: Figures


def report(
    session: Session,
    pipeline: ContactType,
    period: Period,
    now: datetime,
    probabilities: Mapping[str, float] = STAGE_PROBABILITIES,
) -> Report:
    """The period's figures and the previous period's (for deltas)."""
    return Report(
        current=figures(session, pipeline, period, now, probabilities),
        previous=figures(session, pipeline, period.previous(), now, probabilities),
    )


def _days(session: Session, later: Any, earlier: Any) -> Any:
    """Days between two timestamps, as a number, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _stage_weight(probabilities: Mapping[str, float]) -> Any:
    """The contact's current stage's probability (the forecast's weight), in SQL."""
    return case(*((Contact.current_stage == k, p) for k, p in probabilities.items()), else_=0.0)


def _rank(pipeline: ContactType) -> Any:
    """A stage's place down the pipeline; lost stages rank lowest (never "further")."""
    whens = [
        (StageChange.to_stage == s.key, -1 if s.status is Status.LOST else i)
        for i, s in enumerate(PIPELINES[pipeline])
    ]
    return case(*whens, else_=-1)


def _median(part: str, value: Any, key: Any) -> Any:
    """SELECT part, key, NULL, NULL, median(value) ... GROUP BY key: the middle row(s) by
    ROW_NUMBER and COUNT (window functions both databases have; SQLite has no
    percentile_cont)."""
    numbered = select(
        key.label("key"),
        value.label("v"),
        func.row_number().over(partition_by=key, order_by=value).label("rn"),
        func.count().over(partition_by=key).label("n"),
    ).subquery()
    c = numbered.c
    middle = or_(c.rn == (c.n + 1) // 2, c.rn == (c.n + 2) // 2)
    return (
        select(
            literal(part),
            c.key,
            cast(null(), Integer),
            cast(null(), Integer),
            cast(func.avg(c.v), Float),
        )
        .where(middle)
        .group_by(c.key)
    )


def figures(
    session: Session,
    pipeline: ContactType,
    period: Period,
    now: datetime,
    probabilities: Mapping[str, float] = STAGE_PROBABILITIES,
) -> Figures:
    """One pipeline's figures over one period (``STATEMENTS`` statements); the forecast
    weighs open contacts by ``probabilities`` (``Settings.stage_probabilities``)."""
    start, end = period.start, period.end
    live_of_pipeline = and_(
        Contact.id == StageChange.contact_id,
        Contact.deleted_at.is_(None),
        Contact.contact_type == pipeline.value,
    )
    rank = _rank(pipeline)
    by_contact = StageChange.contact_id
    in_order = (StageChange.changed_at, StageChange.id)
    # Every change of the pipeline's live contacts from the period's start to its end, with
    # the furthest rank reached afterwards and when the contact next moved. A CTE read by the
    # four parts of one statement (both databases materialise a CTE used more than once).
    moves = (
        select(
            StageChange.contact_id.label("contact_id"),
            StageChange.to_stage.label("stage"),
            StageChange.changed_at.label("at"),
            rank.label("rank"),
            func.max(rank)
            .over(partition_by=by_contact, order_by=in_order, rows=(1, None))
            .label("later_rank"),
            func.lead(StageChange.changed_at)
            .over(partition_by=by_contact, order_by=in_order)
            .label("next_at"),
            Contact.how_found_us.label("source"),
            Contact.owner_id.label("owner_id"),
            LostReason.reason.label("lost_reason"),
            # The first stage's time: a contact's first stage change is its creation.
            Contact.created_at.label("created"),
        )
        .join(Contact, live_of_pipeline)
        .outerjoin(LostReason, LostReason.stage_change_id == StageChange.id)
        .where(StageChange.changed_at >= start, StageChange.changed_at < end)
        .cte("moves")
    )
    outcome_keys = {
        s.key: s.status for s in PIPELINES[pipeline] if s.status in (Status.WON, Status.LOST)
    }
    won_keys = [k for k, st in outcome_keys.items() if st is Status.WON]
    nothing = null()
    # 1. Entered / moved on per stage.
    entered_part = select(
        literal("entered").label("part"),
        moves.c.stage.label("key"),
        func.count(distinct(moves.c.contact_id)).label("a"),
        func.count(distinct(case((moves.c.later_rank > moves.c.rank, moves.c.contact_id)))),
        cast(nothing, Float),
    ).group_by(moves.c.stage)
    # 2. Median days in each stage (entries of the period left by its end).
    stays = (
        select(
            moves.c.stage.label("stage"),
            _days(session, moves.c.next_at, moves.c.at).label("days"),
        )
        .where(moves.c.next_at.is_not(None))
        .subquery()
    )
    medians_part = _median("median", stays.c.days, stays.c.stage)
    # 3. Decisions: each contact's last won/lost move of the period, by source and by owner,
    # and the reasons of those lost.
    decisions = (
        select(
            moves.c.stage,
            func.coalesce(func.nullif(moves.c.source, ""), "Not recorded").label("source"),
            moves.c.owner_id,
            moves.c.lost_reason,
            func.row_number()
            .over(partition_by=moves.c.contact_id, order_by=moves.c.at.desc())
            .label("latest"),
        )
        .where(moves.c.stage.in_(list(outcome_keys)) if outcome_keys else false())
        .subquery()
    )
    is_won = decisions.c.stage.in_(won_keys) if won_keys else false()
    sources_part = (
        select(
            literal("source"),
            decisions.c.source,
            func.count(case((is_won, 1))),
            func.count(),
            cast(nothing, Float),
        )
        .where(decisions.c.latest == 1)
        .group_by(decisions.c.source)
    )
    owners_part = (
        select(
            literal("owner"),
            User.display_name,
            func.count(case((is_won, 1))),
            func.count(),
            cast(nothing, Float),
        )
        .select_from(decisions)
        .join(User, User.id == decisions.c.owner_id)
        .where(decisions.c.latest == 1)
        .group_by(User.id, User.display_name)
    )
    lost_keys = [k for k, st in outcome_keys.items() if st is Status.LOST]
    reasons_part = (
        select(
            literal("lost_reason"),
            decisions.c.lost_reason,
            func.count(),
            cast(nothing, Integer),
            cast(nothing, Float),
        )
        .where(
            decisions.c.latest == 1,
            decisions.c.stage.in_(lost_keys) if lost_keys else false(),
            decisions.c.lost_reason.is_not(None),
        )
        .group_by(decisions.c.lost_reason)
    )
    # 4. Median days from the first stage to won (contacts won in the period).
    won_days = (
        select(
            literal("").label("stage"),
            _days(session, moves.c.at, moves.c.created).label("days"),
        )
        .where(moves.c.stage.in_(won_keys) if won_keys else false())
        .subquery()
    )
    to_won_part = _median("to_won", won_days.c.days, won_days.c.stage)
    entered: dict[str, tuple[int, int]] = {}
    medians: dict[str, float] = {}
    source_rows: list[tuple[str, int, int]] = []
    owner_rows: list[tuple[str, int, int]] = []
    reasons: list[tuple[str, int]] = []
    to_won: float | None = None
    for part, key, a, b, value in session.execute(
        union_all(entered_part, medians_part, sources_part, owners_part, reasons_part, to_won_part)
    ):
        if part == "entered":
            entered[key] = (int(a), int(b))
        elif part == "median":
            medians[key] = float(value)
        elif part == "source":
            source_rows.append((key, int(a), int(b)))
        elif part == "owner":
            owner_rows.append((key, int(a), int(b)))
        elif part == "lost_reason":
            reasons.append((key, int(a)))
        else:
            to_won = float(value)
    won = sum(w for _, w, _ in source_rows)
    decided = sum(n for _, _, n in source_rows)
    by_source = sorted(source_rows, key=lambda r: (-r[2], r[0]))
    # 5. Revenue: jobs paid in the period (all pipelines), per month.
    month = _month(session, Job.paid_at)
    paid_live = and_(
        Job.status == JobStatus.PAID.value,
        Job.paid_at >= start,
        Job.paid_at < end,
        Contact.id == Job.contact_id,
        Contact.deleted_at.is_(None),
    )
    month_rows = session.execute(
        select(month.label("month"), func.sum(Job.value), func.count())
        .select_from(Job)
        .join(Contact, paid_live)
        .group_by(month)
        .order_by(month)
    ).all()
    revenue_by_month = [(str(m), Decimal(v).quantize(CENTS)) for m, v, _ in month_rows]
    # 6. Top partners by the paid revenue of the contacts they referred.
    partner = Contact.__table__.alias("partner")
    partner_rows = session.execute(
        select(partner.c.name, func.sum(Job.value).label("paid"))
        .select_from(Job)
        .join(Contact, paid_live)
        .join(
            partner, and_(partner.c.id == Contact.referred_by_id, partner.c.deleted_at.is_(None))
        )
        .group_by(partner.c.id, partner.c.name)
        .order_by(func.sum(Job.value).desc(), partner.c.name)
        .limit(TOP)
    ).all()
    # 7. Forecast and stale contacts (open contacts of the pipeline, as they stand now).
    weight = _stage_weight(probabilities)
    stale_before = now - timedelta(days=STALE_DAYS[pipeline])
    open_value, weighted, stale = session.execute(
        select(
            func.coalesce(func.sum(Contact.potential_value), 0),
            func.coalesce(func.sum(Contact.potential_value * weight), 0),
            func.count(
                case(
                    (func.coalesce(Contact.stage_changed_at, Contact.created_at) < stale_before, 1)
                )
            ),
        ).where(
            Contact.deleted_at.is_(None),
            Contact.contact_type == pipeline.value,
            Contact.status == Status.ACTIVE.value,
        )
    ).one()
    stages = [
        StageFigure(s.key, s.name, *entered.get(s.key, (0, 0)), median_days=medians.get(s.key))
        for s in PIPELINES[pipeline]
    ]
    return Figures(
        pipeline=pipeline,
        period=period,
        stages=stages,
        won=won,
        lost=decided - won,
        median_days_to_won=to_won,
        revenue=sum((v for _, v in revenue_by_month), Decimal(0)).quantize(CENTS),
        revenue_by_month=revenue_by_month,
        top_partners=[(str(n), Decimal(v).quantize(CENTS)) for n, v in partner_rows],
        by_source=by_source,
        by_owner=sorted(owner_rows, key=lambda r: (-r[2], r[0])),
        lost_reasons=sorted(reasons, key=lambda r: (-r[1], r[0])),
        open_value=Decimal(open_value).quantize(CENTS),
        weighted_value=Decimal(str(weighted)).quantize(CENTS),
        stale=int(stale),
        jobs_paid=sum(int(n) for _, _, n in month_rows),
    )


@dataclass(frozen=True, slots=True)
class Forecast:
    """/dashboard's team forecast: open pipeline value weighted by stage probability, and the
    jobs paid since the month began."""

    weighted: Decimal
    paid_this_month: Decimal


def forecast(
    session: Session,
    month_start: datetime,
    probabilities: Mapping[str, float] = STAGE_PROBABILITIES,
) -> Forecast:
    """One statement, every pipeline."""
    weight = _stage_weight(probabilities)
    weighted = (
        select(func.coalesce(func.sum(Contact.potential_value * weight), 0))
        .where(Contact.deleted_at.is_(None), Contact.status == Status.ACTIVE.value)
        .scalar_subquery()
    )
    paid = (
        select(func.coalesce(func.sum(Job.value), 0))
        .join(Contact, and_(Contact.id == Job.contact_id, Contact.deleted_at.is_(None)))
        .where(Job.status == JobStatus.PAID.value, Job.paid_at >= month_start)
        .scalar_subquery()
    )
    w, p = session.execute(select(weighted, paid)).one()
    return Forecast(Decimal(str(w)).quantize(CENTS), Decimal(p).quantize(CENTS))


#: Statements ``figures`` runs, whatever the data.
STATEMENTS = 4


def _month(session: Session, column: Any) -> Any:
    """'YYYY-MM' of a UTC timestamp."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.substr(column, 1, 7)
