"""/report's summary: the period's figures, the deltas against the period before, and the
buttons that switch pipeline and period (the charts come as an album after it)."""

from __future__ import annotations

from decimal import Decimal

from telegram import InlineKeyboardMarkup

from bot.actions import REPORT
from bot.callbacks import Cb
from bot.views.common import button, esc, keyboard, money
from crm_core.services.report import Forecast, Report
from crm_core.stages import ContactType

#: The pipeline buttons: (code in the button, label, pipeline).
PIPELINE_BUTTONS: tuple[tuple[str, str, ContactType], ...] = (
    ("e", "Eviction", ContactType.EVICTION_CLIENT),
    ("p", "Prevention", ContactType.PREVENTION_PROSPECT),
    ("r", "Partners", ContactType.REFERRAL_PARTNER),
)
#: The period buttons: (period as ``parse_period`` reads it, label).
PERIOD_BUTTONS: tuple[tuple[str, str], ...] = (
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("12m", "12 months"),
)
PIPELINES = {code: ctype for code, _, ctype in PIPELINE_BUTTONS}
DEFAULT = ("e", "30d")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _delta(now: float | Decimal, before: float | Decimal, fmt: str = "count") -> str:
    diff = now - before  # type: ignore[operator]  # both counts, or both money: never mixed
    if not diff:
        return " (=)"
    sign = "+" if diff > 0 else "−"
    if fmt == "money":
        return f" ({sign}{money(abs(Decimal(diff)))})"
    if fmt == "points":
        return f" ({sign}{abs(diff) * 100:.0f} pts)"
    return f" ({sign}{abs(diff):,})"


def summary(r: Report) -> str:
    f, p = r.current, r.previous
    period = f.period.label
    lines = [
        f"<b>📊 {f.pipeline.label}s — {esc(period)}</b>",
        "<i>(change against the period before)</i>",
    ]
    rate = percent(f.win_rate)
    if f.win_rate is not None and p.win_rate is not None:
        rate += _delta(f.win_rate, p.win_rate, "points")
    lines.append(f"Win rate: <b>{rate}</b> ({f.won} won of {f.decided} decided)")
    lines.append(f"Won: {f.won}{_delta(f.won, p.won)} · Lost: {f.lost}{_delta(f.lost, p.lost)}")
    if f.median_days_to_won is not None:
        lines.append(f"Median days from first stage to won: {f.median_days_to_won:.1f}")
    if f.revenue:
        change = _delta(f.revenue, p.revenue, "money")
        jobs = f"{f.jobs_paid} job{'s' if f.jobs_paid != 1 else ''}"
        lines.append(f"Paid revenue (all pipelines): {money(f.revenue)}{change} · {jobs}")
    else:
        lines.append(f"No jobs paid in the {esc(period)}.")
    lines.append(f"Open pipeline: {money(f.open_value)} · weighted {money(f.weighted_value)}")
    lines.append(f"Stale (no stage move for a while): {f.stale}")
    entered = [s for s in f.stages if s.entered]
    if entered:
        lines.append("\n<b>Stages</b> (entered → moved on, median days there)")
        for s in entered:
            days = f", {s.median_days:.1f} d" if s.median_days is not None else ""
            lines.append(
                f"{esc(s.name)}: {s.entered} → {s.moved_on} ({percent(s.conversion)}){days}"
            )
    else:
        lines.append(f"\nNo stage moves in the {esc(period)}.")
    if f.by_source:
        lines.append("\n<b>Win rate by source</b>")
        lines += [f"{esc(s)}: {percent(w / n)} of {n}" for s, w, n in f.by_source[:6]]
    if f.lost_reasons:
        lines.append("\n<b>Lost reasons</b>")
        lines += [f"{esc(r)}: {n}" for r, n in f.lost_reasons[:6]]
    if f.by_owner:
        lines.append("\n<b>Win rate by owner</b>")
        lines += [f"{esc(o)}: {percent(w / n)} of {n}" for o, w, n in f.by_owner[:6]]
    return "\n".join(lines)


def report_keyboard(pipeline: str, period: str) -> InlineKeyboardMarkup:
    """Switch the period (same pipeline) or the pipeline (same period); the summary's title
    says which are shown."""
    periods = [
        button(label, Cb(REPORT, 0, f"{pipeline}:{code}")) for code, label in PERIOD_BUTTONS
    ]
    pipelines = [
        button(label, Cb(REPORT, 0, f"{code}:{period}")) for code, label, _ in PIPELINE_BUTTONS
    ]
    return keyboard([periods, pipelines])


def forecast_block(f: Forecast) -> str:
    """/dashboard's forecast lines (issue 12)."""
    return (
        "<b>Forecast</b> (team)\n"
        f"Weighted pipeline: {money(f.weighted)}\n"
        f"Paid this month: {money(f.paid_this_month)}"
    )
