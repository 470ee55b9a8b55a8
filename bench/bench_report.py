"""How fast /report is: its figures over 100,000 contacts, ~170,000 stage changes and 50,000
jobs, and each chart's rendering.

For each backend: a fresh migrated database, the benchmark seed, then ``jobs`` jobs on random
eviction clients and prevention prospects (values £200-£8,000; a third paid over the last 400
days, some invoiced, booked or cancelled) and a fifth of those contacts referred by a random
partner; then ANALYZE. Timed, each run in its own session as the bot does it:

- ``figures <pipeline> <period>``: ``figures()`` (4 statements) for each pipeline and period;
- ``/report``: ``report()`` as the bot calls it (the period and the one before: 8 statements);
- ``chart <name>``: each chart of the 12-month eviction figures, drawn to PNG bytes (no
  database), with the peak RSS growth while rendering them all.

Targets (issue 12): figures p95 under 300 ms on both databases; each chart under 400 ms; peak
RSS growth under 60 MB while rendering.
"""

from __future__ import annotations

import json
import random
import resource
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bench.bench_core import BACKEND_TITLES, Timing, analyze, fresh_database, timing_of
from bench.seed import seed
from crm_core.charts import CHARTS, LIGHT
from crm_core.db import make_engine, make_session_factory
from crm_core.migrate import upgrade
from crm_core.models import Contact, Job, StageChange
from crm_core.services.periods import parse_period
from crm_core.services.report import figures, report
from crm_core.stages import ContactType, JobStatus

FIGURES_TARGET_MS = 300.0
CHART_TARGET_MS = 400.0
RSS_TARGET_MB = 60.0
PERIODS = ("30d", "90d", "12m")


def add_jobs(engine: Engine, jobs: int, today: date, rng: random.Random) -> None:
    """``jobs`` jobs on random clients and prospects, and referrals to random partners."""
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC).replace(hour=9)
    with Session(engine) as session, session.begin():
        workers = list(
            session.scalars(
                select(Contact.id).where(
                    Contact.contact_type != ContactType.REFERRAL_PARTNER.value
                )
            )
        )
        partners = list(
            session.scalars(
                select(Contact.id).where(
                    Contact.contact_type == ContactType.REFERRAL_PARTNER.value
                )
            )
        )
        statuses = [JobStatus.PAID] * 5 + [
            JobStatus.INVOICED,
            JobStatus.BOOKED,
            JobStatus.COMPLETED,
            JobStatus.CANCELLED,
        ]
        rows = []
        for _ in range(jobs):
            status = rng.choice(statuses)
            created = now - timedelta(days=rng.randint(0, 400), minutes=rng.randint(0, 1439))
            stamp = min(now, created + timedelta(days=rng.randint(0, 40)))
            rows.append(
                {
                    "contact_id": rng.choice(workers),
                    "title": "Job",
                    "value": Decimal(rng.randint(200_00, 8_000_00)) / 100,
                    "status": status.value,
                    "created_at": created,
                    "booked_at": created,
                    "paid_at": stamp if status is JobStatus.PAID else None,
                    "cancelled_at": stamp if status is JobStatus.CANCELLED else None,
                    "status_changed_at": stamp,
                }
            )
        for start in range(0, len(rows), 5_000):
            session.execute(insert(Job), rows[start : start + 5_000])
        referred = rng.sample(workers, len(workers) // 5)
        for start in range(0, len(referred), 5_000):
            chunk = referred[start : start + 5_000]
            session.execute(
                update(Contact)
                .where(Contact.id.in_(chunk))
                .values(referred_by_id=rng.choice(partners))
            )


def measure(
    factory: sessionmaker[Session], call: Callable[[Session], object], runs: int, warmup: int
) -> Timing:
    for _ in range(warmup):
        with factory() as s:
            call(s)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with factory() as s:
            call(s)
        times.append((time.perf_counter() - started) * 1000)
    return timing_of(times)


def run_backend(
    backend: str, *, contacts: int, jobs: int, pg_url: str, runs: int, warmup: int
) -> dict[str, Timing]:
    today = date(2026, 11, 23)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    results: dict[str, Timing] = {}
    with fresh_database(backend, pg_url) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            stats = seed(engine, contacts=contacts, today=today)
            add_jobs(engine, jobs, today, random.Random(12))
            analyze(engine)
            with Session(engine) as s:
                counted = s.execute(
                    select(
                        select(func.count()).select_from(StageChange).scalar_subquery(),
                        select(func.count()).select_from(Job).scalar_subquery(),
                    )
                ).one()
            print(
                f"{BACKEND_TITLES[backend]}: {stats.contacts:,} contacts, {counted[0]:,} stage "
                f"changes, {counted[1]:,} jobs seeded in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            factory = make_session_factory(engine)
            for pipeline in ContactType:
                for period in PERIODS:
                    span = parse_period(period, now)
                    name = f"figures {pipeline.value} {period}"
                    results[name] = measure(
                        factory,
                        lambda s, p=pipeline, sp=span: figures(s, p, sp, now),
                        runs,
                        warmup,
                    )
                    print(f"  {name}: p95 {results[name].p95:.1f} ms", flush=True)
            span = parse_period("30d", now)
            results["/report (2 periods)"] = measure(
                factory, lambda s: report(s, ContactType.EVICTION_CLIENT, span, now), runs, warmup
            )
        finally:
            engine.dispose()
    return results


def chart_times(runs: int) -> tuple[dict[str, Timing], float]:
    """Each chart of a realistic 12-month figure set; and peak RSS growth while drawing."""
    from crm_core.services.report import Figures, StageFigure
    from crm_core.stages import PIPELINES

    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    pipeline = ContactType.EVICTION_CLIENT
    f = Figures(
        pipeline=pipeline,
        period=parse_period("12m", now),
        stages=[
            StageFigure(s.key, s.name, 9000 - 1100 * i, 7000 - 1000 * i, 3.5 + i)
            for i, s in enumerate(PIPELINES[pipeline])
        ],
        won=1800,
        lost=0,
        median_days_to_won=21.0,
        revenue=Decimal("3456789"),
        revenue_by_month=[(f"2026-{m:02d}", Decimal(200_000 + 13_579 * m)) for m in range(1, 12)],
        top_partners=[(f"Partner Lettings {i}", Decimal(90_000 - 9_000 * i)) for i in range(6)],
        by_source=[
            (s, 300 - 40 * i, 500 - 50 * i)
            for i, s in enumerate(
                ("Google", "Referred by a partner", "Repeat client", "Facebook", "Flyer", "Other")
            )
        ],
        open_value=Decimal("1234567"),
        weighted_value=Decimal("456789"),
        stale=321,
    )
    draw = dict(CHARTS)
    for chart in draw.values():  # fonts and caches loaded once, as in a running bot
        chart(f, LIGHT)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results = {}
    for name, chart in draw.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            chart(f, LIGHT)
            times.append((time.perf_counter() - started) * 1000)
        results[f"chart {name}"] = timing_of(times)
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return results, growth_mb


def run(
    *,
    contacts: int,
    jobs: int,
    backends: list[str],
    pg_url: str,
    runs: int,
    warmup: int,
    chart_runs: int,
    json_path: Path | None,
) -> int:
    charts, rss = chart_times(chart_runs)
    results = {
        b: run_backend(b, contacts=contacts, jobs=jobs, pg_url=pg_url, runs=runs, warmup=warmup)
        for b in backends
    }
    lines = [
        f"/report at {contacts:,} contacts and {jobs:,} jobs ({runs} runs; ms)",
        "",
        "| operation | " + " | ".join(f"{BACKEND_TITLES[b]} p50 | p95" for b in backends) + " |",
        "|---|" + "---:|---:|" * len(backends),
    ]
    names = list(next(iter(results.values())))
    for name in names:
        cells = " | ".join(
            f"{results[b][name].p50:.1f} | {results[b][name].p95:.1f}" for b in backends
        )
        lines.append(f"| {name} | {cells} |")
    lines += [
        "",
        f"Charts ({chart_runs} runs each; ms; no database)",
        "",
        "| chart | p50 | p95 |",
        "|---|---:|---:|",
    ]
    lines += [f"| {n} | {t.p50:.0f} | {t.p95:.0f} |" for n, t in charts.items()]
    lines.append(f"\nPeak RSS growth while rendering: {rss:.1f} MB")
    print("\n".join(lines))
    if json_path is not None:
        json_path.write_text(
            json.dumps(
                {
                    "figures": {
                        b: {n: [t.p50, t.p95] for n, t in r.items()} for b, r in results.items()
                    },
                    "charts": {n: [t.p50, t.p95] for n, t in charts.items()},
                    "rss_mb": rss,
                },
                indent=2,
            )
        )
    ok = (
        all(
            t.p95 < FIGURES_TARGET_MS
            for r in results.values()
            for n, t in r.items()
            if n.startswith("figures")
        )
        and all(t.p95 < CHART_TARGET_MS for t in charts.values())
        and rss < RSS_TARGET_MB
    )
    return 0 if ok else 1
