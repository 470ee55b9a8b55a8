"""`crm report`: the report's charts as PNG files and its figures as one CSV, for the office."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from crm_core.charts import render
from crm_core.services.periods import parse_period
from crm_core.services.report import Figures, figures
from crm_core.stages import STAGE_PROBABILITIES, ContactType

#: Charts that don't depend on the pipeline: written once.
SHARED_CHARTS = ("revenue", "partners")


def write_report(
    session: Session,
    out: Path,
    period_text: str,
    now: datetime,
    probabilities: Mapping[str, float] = STAGE_PROBABILITIES,
) -> list[Path]:
    """Write ``figures.csv`` and every chart with something to show; returns the paths."""
    period = parse_period(period_text, now)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows: list[list[str]] = []
    for pipeline in ContactType:
        f = figures(session, pipeline, period, now, probabilities)
        rows += [[pipeline.value, metric, value] for metric, value in _rows(f)]
        for chart in render(f):
            shared = chart.name in SHARED_CHARTS
            if shared and pipeline is not ContactType.EVICTION_CLIENT:
                continue
            path = out / (f"{chart.name}.png" if shared else f"{chart.name}_{pipeline.value}.png")
            path.write_bytes(chart.png)
            written.append(path)
    path = out / "figures.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["pipeline", "figure", "value"])
        writer.writerow(
            ["", "period", f"{period.start:%Y-%m-%d %H:%M}..{period.end:%Y-%m-%d %H:%M}"]
        )
        writer.writerows(rows)
    return [path, *written]


def _rows(f: Figures) -> Iterator[tuple[str, str]]:
    yield "won", str(f.won)
    yield "lost", str(f.lost)
    yield "win_rate", "" if f.win_rate is None else f"{f.win_rate:.4f}"
    yield (
        "median_days_to_won",
        "" if f.median_days_to_won is None else f"{f.median_days_to_won:.1f}",
    )
    yield "paid_revenue", str(f.revenue)
    yield "jobs_paid", str(f.jobs_paid)
    yield "open_value", str(f.open_value)
    yield "weighted_value", str(f.weighted_value)
    yield "stale", str(f.stale)
    for s in f.stages:
        yield f"entered:{s.key}", str(s.entered)
        yield f"moved_on:{s.key}", str(s.moved_on)
        yield f"median_days:{s.key}", "" if s.median_days is None else f"{s.median_days:.1f}"
    for month, value in f.revenue_by_month:
        yield f"revenue:{month}", str(value)
    for name, value in f.top_partners:
        yield f"partner:{name}", str(value)
    for source, won, decided in f.by_source:
        yield f"source:{source}", f"{won}/{decided}"
    for reason, deals in f.lost_reasons:
        yield f"lost_reason:{reason}", str(deals)
    for owner, won, decided in f.by_owner:
        yield f"owner:{owner}", f"{won}/{decided}"
