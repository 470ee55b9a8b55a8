"""Issue 12's renderers: the card's jobs and referral lines, the job list and job, the offers,
the partner picker and /report's summary, checked against the double's Telegram HTML parser."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.actions import JOB_ID_ACTIONS
from bot.arguments import Partner, parse_answer
from bot.callbacks import Cb
from bot.views import jobs as views
from bot.views.referrals import card_lines, partner_picker
from bot.views.report import forecast_block, report_keyboard, summary
from crm_core.models import Contact, Job
from crm_core.services.periods import parse_period
from crm_core.services.referrals import ReferralSummary
from crm_core.services.report import Figures, Forecast, Report, StageFigure
from crm_core.services.revenue import JobSummary
from crm_core.stages import PIPELINES, ContactType
from sandbox import parse_html

TZ = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
HOSTILE = '<b>Bob & "Co"</b>'


def plain(html: str) -> str:
    return parse_html(html)[0]


def buttons(markup) -> list[tuple[str, Cb]]:
    return [(b.text, Cb.decode(b.callback_data)) for row in markup.inline_keyboard for b in row]


def client(**fields) -> Contact:
    return Contact(id=7, name=HOSTILE, contact_type="eviction_client", **fields)


def job(**fields) -> Job:
    base = {
        "id": 3,
        "contact_id": 7,
        "title": "Eviction <12 High St>",
        "value": Decimal("1500"),
        "status": "booked",
    }
    return Job(**{**base, **fields})


def test_card_lines_once_jobs_exist():
    assert views.card_lines(None) == []
    assert views.card_lines(JobSummary(0, 0, Decimal(0), Decimal(0))) == []
    summary = JobSummary(count=3, open=2, unpaid=Decimal("300"), revenue=Decimal("1500"))
    assert views.card_lines(summary) == ["Revenue: £1,500", "Jobs: 3 (£300 unpaid)"]


def test_job_list_and_job_view_escape_and_name_the_statuses():
    text, markup = views.job_list(client(), [])
    assert plain(text) == f"Jobs for {HOSTILE}\nNo jobs yet."
    assert [t for t, _ in buttons(markup)] == ["➕ Add job", "« Card"]
    text, markup = views.job_list(client(), [job(scheduled_date=date(2026, 12, 1))])
    assert (
        plain(text).splitlines()[1] == "1. Eviction <12 High St> · £1,500 · Booked · 01 Dec 2026"
    )
    text, markup = views.job_view(client(), job(status="invoiced"))
    assert "Status: Invoiced" in plain(text)
    labels = [t for t, _ in buttons(markup)]
    assert labels == [
        "Booked",
        "In progress",
        "Completed",
        "✅ Invoiced",
        "Paid",
        "Cancel job",
        "« Jobs",
    ]
    assert {cb.action for _, cb in buttons(markup)[:-1]} <= JOB_ID_ACTIONS
    assert buttons(markup)[4][1] == Cb("jobst", 3, "paid")


def test_offers():
    text, markup = views.create_job_offer(
        client(potential_value=Decimal("2000"), current_stage="job_booked"),
        {"title": "Eviction", "value": "2000.00"},
    )
    assert plain(text) == f"📌 {HOSTILE} is at Job Booked. Create Eviction for £2,000?"
    assert [t for t, _ in buttons(markup)] == ["Create job", "Not now"]
    prospect = Contact(id=8, name="Pat", contact_type="prevention_prospect", current_stage="won")
    text, _ = views.create_job_offer(prospect, {"title": "CCTV"})
    assert plain(text) == "📌 Pat is at Won. Create CCTV?\n(You'll be asked its value.)"
    text, _ = views.create_job_offer(client(current_stage="job_booked"), {"title": ""})
    assert plain(text).endswith("Create a job?\n(You'll be asked its value.)")
    text, markup = views.move_to_paid_offer(client())
    assert buttons(markup)[0] == ("Move to Paid", Cb("stgset", 7, "paid"))


def test_partner_picker_and_forged_buttons():
    partners = [Contact(id=i, name=f"P{i}") for i in (4, 5)]
    text, markup = partner_picker("add", 0, partners)
    assert text.startswith("Which partner referred them?")
    assert buttons(markup) == [
        ("P4", Cb("add", 0, "rp:4")),
        ("P5", Cb("add", 0, "rp:5")),
        ("« Back", Cb("add", 0, "refback")),
    ]
    text, _ = partner_picker("ev", 7, [], HOSTILE)
    assert plain(text).startswith(f"No referral partner matches “{HOSTILE}”")
    assert parse_answer("rp:12") == Partner(12)
    for bad in ("rp:²", "rp:-1", "rp:"):
        with pytest.raises(ValueError):
            parse_answer(bad)


def test_partner_card_lines():
    s = ReferralSummary(2, 3, Decimal("1500"), NOW, [(1, HOSTILE), (2, "Tom")])
    assert [plain(line) for line in card_lines(s, TZ)] == [
        "Referred: 2 contacts",
        "Their jobs: 3 · £1,500 paid",
        "Last referral: 23 Nov 2026",
        f"Latest: {HOSTILE}, Tom",
    ]
    assert card_lines(ReferralSummary(0, 0, Decimal(0), None), TZ) == ["Referred: 0 contacts"]


def figures(won: int, lost: int, revenue: str, period: str = "30d") -> Figures:
    pipeline = ContactType.PREVENTION_PROSPECT
    return Figures(
        pipeline=pipeline,
        period=parse_period(period, NOW),
        stages=[
            StageFigure(
                s.key, s.name, 4 if i == 0 else 0, 2 if i == 0 else 0, 1.5 if i == 0 else None
            )
            for i, s in enumerate(PIPELINES[pipeline])
        ],
        won=won,
        lost=lost,
        median_days_to_won=None,
        revenue=Decimal(revenue),
        revenue_by_month=[],
        top_partners=[],
        by_source=[(HOSTILE, won, won + lost)] if won + lost else [],
        open_value=Decimal("1000"),
        weighted_value=Decimal("250"),
        stale=2,
        jobs_paid=1 if Decimal(revenue) else 0,
        by_owner=[("Sam", won, won + lost)] if won + lost else [],
        lost_reasons=[(HOSTILE, lost)] if lost else [],
    )


def test_report_summary_with_deltas():
    text = plain(summary(Report(figures(3, 1, "1500"), figures(1, 1, "2000"))))
    lines = text.splitlines()
    assert lines[0] == "📊 Prevention prospects — last 30 days"
    assert "Win rate: 75% (+25 pts) (3 won of 4 decided)" in lines
    assert "Won: 3 (+2) · Lost: 1 (=)" in lines
    assert "Paid revenue (all pipelines): £1,500 (−£500) · 1 job" in lines
    assert "Prospect: 4 → 2 (50%), 1.5 d" in lines
    assert f"{HOSTILE}: 75% of 4" in lines
    assert lines[lines.index("Win rate by owner") + 1] == "Sam: 75% of 4"
    assert lines[lines.index("Lost reasons") + 1] == f"{HOSTILE}: 1"
    empty = plain(summary(Report(figures(0, 0, "0"), figures(0, 0, "0"))))
    assert "Win rate: — (0 won of 0 decided)" in empty
    assert "No jobs paid in the last 30 days." in empty
    assert "No stage moves" not in empty  # prospects did enter


@pytest.mark.parametrize(("pipeline", "period"), [("e", "30d"), ("r", "12m")])
def test_report_buttons_fit_and_round_trip(pipeline, period):
    pairs = buttons(report_keyboard(pipeline, period))
    assert [t for t, _ in pairs] == [
        "30 days",
        "90 days",
        "12 months",
        "Eviction",
        "Prevention",
        "Partners",
    ]
    assert pairs[1][1].arg == f"{pipeline}:90d"
    assert pairs[5][1].arg == f"r:{period}"


def test_forecast_block():
    text = plain(forecast_block(Forecast(Decimal("1450.25"), Decimal("0"))))
    assert text == "Forecast (team)\nWeighted pipeline: £1,450.25\nPaid this month: £0"
