"""/report's charts: valid PNGs of the expected size, one per chart with data, none for an
empty period, amounts written in GBP."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PIL import Image

from crm_core.charts import DARK, DPI, SIZE_INCHES, funnel, gbp, render
from crm_core.services.periods import parse_period
from crm_core.services.report import Figures, StageFigure
from crm_core.stages import PIPELINES, ContactType

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PIXELS = int(SIZE_INCHES * DPI)


def sample(empty: bool = False) -> Figures:
    pipeline = ContactType.PREVENTION_PROSPECT
    stages = [
        StageFigure(s.key, s.name, 0 if empty else 10 - i, 0 if empty else 5 - i // 2, None)
        for i, s in enumerate(PIPELINES[pipeline])
    ]
    return Figures(
        pipeline=pipeline,
        period=parse_period("90d", NOW),
        stages=stages,
        won=0 if empty else 3,
        lost=0 if empty else 2,
        median_days_to_won=None,
        revenue=Decimal(0 if empty else "26500"),
        revenue_by_month=[]
        if empty
        else [
            ("2026-09", Decimal("1500")),
            ("2026-10", Decimal("12000")),
            ("2026-11", Decimal("13000")),
        ],
        top_partners=[]
        if empty
        else [(f"Partner {i}", Decimal(1000 * i)) for i in range(6, 0, -1)],
        by_source=[] if empty else [("Google", 2, 3), ("Referred by a partner", 1, 2)],
        open_value=Decimal(0),
        weighted_value=Decimal(0),
        stale=0,
    )


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()  # fails on a truncated or corrupt file
    return image


def test_every_chart_is_a_phone_sized_png():
    charts = render(sample())
    assert [c.name for c in charts] == ["funnel", "revenue", "partners", "sources"]
    for chart in charts:
        image = decode(chart.png)
        assert (image.format, image.size) == ("PNG", (PIXELS, PIXELS))
        assert len(chart.caption) <= 1024  # Telegram's caption limit
    assert charts[1].caption == "Paid revenue by month, last 90 days: £26,500"


def test_an_empty_period_draws_nothing():
    assert render(sample(empty=True)) == []


def test_the_dark_variant_has_a_dark_background():
    png = funnel(sample(), DARK)
    assert png is not None
    assert decode(png).convert("RGB").getpixel((2, 2)) == (30, 30, 30)


def test_charts_render_in_parallel_threads():
    """No pyplot: two threads drawing at once don't share a figure."""
    results: list[int] = []

    def draw() -> None:
        results.append(len(render(sample())))

    threads = [threading.Thread(target=draw) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [4, 4, 4]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1500"), "£1,500"),
        (Decimal("1500.5"), "£1,500.50"),
        (0, "£0"),
        (1234567.0, "£1,234,567"),
    ],
)
def test_gbp(value, text):
    assert gbp(value) == text


def test_no_pyplot_is_imported():
    import sys

    render(sample())
    assert "matplotlib.pyplot" not in sys.modules
