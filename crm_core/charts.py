"""/report's charts as PNG bytes, drawn with matplotlib's object API (a ``Figure`` on an Agg
canvas: no pyplot, so no global state shared between threads). Callers run ``render`` in a
worker thread.

Made for a phone: 1080 x 1080 pixels, large type, at most ``TOP`` bars, the company's orange
for the main series, amounts in GBP with thousands separators. A chart with nothing to show is
not drawn (``None``): the summary says why instead.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from crm_core.services.report import TOP, Figures

ORANGE = "#F28C28"
GREY = "#B0B0B0"
SIZE_INCHES, DPI = 6.0, 160  # 960 x 960 pixels
FONT = 15


@dataclass(frozen=True, slots=True)
class Theme:
    background: str
    text: str
    grid: str


LIGHT = Theme(background="#FFFFFF", text="#222222", grid="#E5E5E5")
DARK = Theme(background="#1E1E1E", text="#EEEEEE", grid="#3A3A3A")


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # a file name stem: funnel, revenue, partners, sources
    caption: str
    png: bytes


def gbp(value: float | Decimal) -> str:
    """£1,500 (pence only when there are any)."""
    text = f"£{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def _figure(
    theme: Theme, title: str, left: float = 0.42, bottom: float = 0.04
) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(SIZE_INCHES, SIZE_INCHES), dpi=DPI, facecolor=theme.background)
    FigureCanvasAgg(figure)
    # Fixed margins: labels up to 20 characters fit, and no layout pass costs a second draw.
    figure.subplots_adjust(left=left, right=0.97, top=0.9, bottom=bottom)
    axes = figure.add_subplot()
    axes.set_facecolor(theme.background)
    figure.suptitle(title, fontsize=FONT + 3, color=theme.text, x=0.03, ha="left")
    axes.tick_params(colors=theme.text, labelsize=FONT)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(theme.grid)
    return figure, axes


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", facecolor=figure.get_facecolor())
    return out.getvalue()


def _hbars(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    texts: Sequence[str],
    theme: Theme,
    colors: Sequence[str] | None = None,
) -> bytes:
    """Horizontal bars, the first at the top, each with its value written at its end."""
    figure, ax = _figure(theme, title)
    positions = list(range(len(labels)))[::-1]
    bars = ax.barh(positions, values, color=colors or ORANGE, height=0.6)
    ax.set_yticks(positions, [_short(label) for label in labels])
    top = max(values) if values else 0
    ax.set_xlim(0, (top or 1) * 1.3)
    ax.xaxis.set_visible(False)
    for bar, text in zip(bars, texts, strict=True):
        ax.text(
            bar.get_width() + (top or 1) * 0.02,
            bar.get_y() + bar.get_height() / 2,
            text,
            va="center",
            fontsize=FONT,
            color=theme.text,
        )
    return _png(figure)


def _short(label: str, limit: int = 20) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def funnel(f: Figures, theme: Theme = LIGHT) -> bytes | None:
    """Contacts that entered each stage (lost stages in grey)."""
    stages = [s for s in f.stages if s.entered]
    if not stages:
        return None
    colors = [GREY if s.key == "lost" else ORANGE for s in stages]
    return _hbars(
        f"{f.pipeline.label}s: entered each stage",
        [s.name for s in stages],
        [s.entered for s in stages],
        [f"{s.entered:,}" for s in stages],
        theme,
        colors,
    )


def revenue(f: Figures, theme: Theme = LIGHT) -> bytes | None:
    """Paid revenue per month (the last six months of the period at most)."""
    months = f.revenue_by_month[-TOP:]
    if not months:
        return None
    figure, ax = _figure(theme, "Revenue by month (paid jobs)", left=0.2, bottom=0.12)
    labels = [_month_label(m) for m, _ in months]
    values = [float(v) for _, v in months]
    bars = ax.bar(labels, values, color=ORANGE, width=0.6)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: gbp(v)))
    ax.set_ylim(0, max(values) * 1.2 or 1)
    ax.grid(axis="y", color=theme.grid)
    ax.set_axisbelow(True)
    for bar, value in zip(bars, values, strict=True):
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            bar.get_height(),
            gbp(value),
            ha="center",
            va="bottom",
            fontsize=FONT - 2,
            color=theme.text,
        )
    return _png(figure)


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return date(int(year), int(number), 1).strftime("%b\n%Y")


def partners(f: Figures, theme: Theme = LIGHT) -> bytes | None:
    """Referral partners by the paid revenue of the contacts they sent."""
    if not f.top_partners:
        return None
    return _hbars(
        "Top partners by referred revenue",
        [n for n, _ in f.top_partners],
        [float(v) for _, v in f.top_partners],
        [gbp(v) for _, v in f.top_partners],
        theme,
    )


def sources(f: Figures, theme: Theme = LIGHT) -> bytes | None:
    """Win rate per source (how they found us), the sources with most decisions first."""
    rows = [r for r in f.by_source if r[2]][:TOP]
    if not rows:
        return None
    return _hbars(
        "Win rate by source",
        [s for s, _, _ in rows],
        [100.0 * w / n for _, w, n in rows],
        [f"{100 * w / n:.0f}% of {n}" for _, w, n in rows],
        theme,
    )


CHARTS: tuple[tuple[str, Callable[[Figures, Theme], bytes | None]], ...] = (
    ("funnel", funnel),
    ("revenue", revenue),
    ("partners", partners),
    ("sources", sources),
)


def render(f: Figures, theme: Theme = LIGHT) -> list[Chart]:
    """Every chart that has something to show, in album order."""
    captions = {
        "funnel": f"{f.pipeline.label}s — stages entered, {f.period.label}",
        "revenue": f"Paid revenue by month, {f.period.label}: {gbp(f.revenue)}",
        "partners": f"Top referral partners by referred revenue, {f.period.label}",
        "sources": f"{f.pipeline.label}s — win rate by source, {f.period.label}",
    }
    charts = []
    for name, draw in CHARTS:
        png = draw(f, theme)
        if png is not None:
            charts.append(Chart(name, captions[name], png))
    return charts
