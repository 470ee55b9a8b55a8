"""/report's figures on both databases, against a small history worked out by hand (see each
number's comment): a lost deal, a contact moved backwards, one reopened after being lost, a
trashed contact (left out), an empty period, a partner without referrals, a job cancelled
after being paid."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event

from crm_core.errors import ValidationError
from crm_core.services import contacts as svc
from crm_core.services import jobs, trash
from crm_core.services.lost_reasons import record_lost_reason
from crm_core.services.periods import parse_period
from crm_core.services.report import STATEMENTS, figures, report
from crm_core.stages import ContactType

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PROSPECT = ContactType.PREVENTION_PROSPECT


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=UTC)


@pytest.fixture
def history(session, alice, bob, today):
    """Prevention prospects, the period being the 30 days to 23 Nov (from 24 Oct); Bob owns D,
    Alice the others."""

    def contact(name, created, moves, owner=alice, **fields):
        c = svc.create_contact(
            session,
            owner.id,
            {"name": name, "contact_type": PROSPECT.value, **fields},
            today=today,
            now=created,
        )
        for when, stage in moves:
            svc.change_stage(session, c.id, stage, by_user_id=alice.id, now=when)
        return c

    def paid_job(c, value, when, *, cancel_at=None):
        job = jobs.add_job(
            session, c.id, {"value": value}, by_user_id=alice.id, today=today, now=when
        )
        jobs.set_job_status(session, job.id, "paid", now=when)
        if cancel_at:
            jobs.cancel_job(session, job.id, now=cancel_at)

    partner = svc.create_contact(
        session,
        alice.id,
        {"name": "Leeds Lettings", "contact_type": "referral_partner"},
        today=today,
        now=at(9, 1),
    )
    svc.create_contact(
        session,
        alice.id,
        {"name": "Lonely Lets", "contact_type": "referral_partner"},
        today=today,
        now=at(9, 1),
    )
    a = contact(
        "A",
        at(10, 1),
        [(at(11, 1), "first_contact_made"), (at(11, 5), "quote_sent"), (at(11, 10), "won")],
        how_found_us="Google",
        referred_by_id=partner.id,
        potential_value="2000",
    )
    b = contact(
        "B", at(11, 2), [(at(11, 4), "quote_sent"), (at(11, 8), "lost")], how_found_us="Google"
    )
    c = contact(
        "C",
        at(11, 3),
        [(at(11, 6), "in_discussion"), (at(11, 7), "first_contact_made")],
        potential_value="1000",
    )  # moved backwards
    record_lost_reason(session, b.id, "Too\n expensive ")  # kept as one line
    d = contact("D", at(11, 1), [(at(11, 2), "lost")], owner=bob)
    record_lost_reason(session, d.id, "Went quiet")  # then reopened: not a lost deal
    for when, stage in [(at(11, 12), "in_discussion"), (at(11, 20), "won")]:
        svc.change_stage(session, d.id, stage, by_user_id=alice.id, now=when)  # reopened, then won
    e = contact("E", at(11, 1), [(at(11, 2), "won")], how_found_us="Google")
    contact("F", at(10, 1), [], potential_value="400")  # stale since 1 Oct
    paid_job(a, "1000", at(11, 12))
    paid_job(c, "500", at(10, 10))  # before the period
    paid_job(b, "300", at(11, 15), cancel_at=at(11, 16))  # cancelled after being paid
    paid_job(e, "999", at(11, 2))
    trash.delete_contact(session, e.id)  # trashed: left out everywhere
    session.flush()


def test_figures_match_the_hand_computed_history(session, history):
    f = figures(session, PROSPECT, parse_period("30d", NOW), NOW)
    by_key = {s.key: (s.entered, s.moved_on, s.median_days) for s in f.stages}
    assert by_key == {
        "prospect": (3, 3, 2.0),  # B, C, D; stays of 2, 3 and 1 days
        "first_contact_made": (2, 1, 4.0),  # A on, C not (yet); A's stay of 4 days
        "in_discussion": (2, 1, 4.5),  # C went back, D on to won; 1 and 8 days
        "quote_sent": (2, 1, 4.5),  # A won, B lost; 5 and 4 days
        "thinking_about_it": (0, 0, None),
        "won": (2, 0, None),  # A and D
        "lost": (2, 1, 10.0),  # B, and D who was reopened after 10 days
    }
    assert (f.won, f.lost, f.decided) == (2, 1, 3)  # D counts once, as won
    assert f.win_rate == pytest.approx(2 / 3)
    assert f.median_days_to_won == 29.5  # A 40 days (from 1 Oct), D 19 days
    assert f.by_source == [("Google", 1, 2), ("Not recorded", 1, 1)]
    assert f.by_owner == [("Alice", 1, 2), ("Bob", 1, 1)]  # A won, B lost; D won
    assert f.lost_reasons == [("Too expensive", 1)]  # B's; D's was before it was won
    assert (f.revenue, f.jobs_paid) == (Decimal("1000.00"), 1)
    assert f.revenue_by_month == [("2026-11", Decimal("1000.00"))]
    assert f.top_partners == [("Leeds Lettings", Decimal("1000.00"))]  # not Lonely Lets
    assert (f.open_value, f.weighted_value) == (Decimal("1400.00"), Decimal("120.00"))
    assert f.stale == 1  # F: no move since 1 Oct


def test_previous_period_for_deltas(session, history):
    r = report(session, PROSPECT, parse_period("30d", NOW), NOW)
    p = r.previous
    assert (p.period.start, p.period.end) == (at(9, 24), at(10, 24))
    assert {s.key: s.entered for s in p.stages if s.entered} == {"prospect": 2}  # A, F
    assert (p.won, p.revenue, p.revenue_by_month) == (
        0,
        Decimal("500.00"),
        [("2026-10", Decimal("500.00"))],
    )


def test_an_empty_period(session, history):
    f = figures(session, PROSPECT, parse_period("2020-01-01..2020-01-31", NOW), NOW)
    assert all((s.entered, s.moved_on, s.median_days) == (0, 0, None) for s in f.stages)
    assert (f.won, f.decided, f.win_rate, f.median_days_to_won) == (0, 0, None, None)
    assert (f.revenue, f.revenue_by_month, f.top_partners, f.by_source) == (
        Decimal("0.00"),
        [],
        [],
        [],
    )


def test_a_constant_number_of_statements(session, history):
    statements = []
    engine = session.get_bind()
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        for pipeline in ContactType:
            statements.clear()
            figures(session, pipeline, parse_period("12m", NOW), NOW)
            assert len(statements) == STATEMENTS
    finally:
        event.remove(engine, "before_cursor_execute", listen)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("30d", "last 30 days"),
        ("90d", "last 90 days"),
        ("12m", "last 12 months"),
        ("2026-01-01..2026-03-31", "01 Jan 2026 to 31 Mar 2026"),
    ],
)
def test_periods(text, label):
    assert parse_period(text, NOW).label == label


@pytest.mark.parametrize(
    "text", ["soon", "0d", "2026-03-31..2026-01-01", "2026-02-30..2026-03-01"]
)
def test_bad_periods(text):
    with pytest.raises(ValidationError):
        parse_period(text, NOW)


def test_dashboard_forecast(session, history):
    from crm_core.services.report import forecast

    ahead = forecast(session, at(11, 1))
    assert ahead.weighted == Decimal("120.00")  # C 1,000 × 10%, F 400 × 5%
    assert ahead.paid_this_month == Decimal("1000.00")  # A; B's was cancelled, E is trashed


def test_configured_stage_probabilities_weigh_the_forecast(session, history):
    from crm_core.config import parse_stage_probabilities
    from crm_core.services.report import forecast

    weights = parse_stage_probabilities("first_contact_made:0.5,prospect:0.25")
    f = figures(session, PROSPECT, parse_period("30d", NOW), NOW, weights)
    assert f.weighted_value == Decimal("600.00")  # C 1,000 × 50%, F 400 × 25%
    assert forecast(session, at(11, 1), weights).weighted == Decimal("600.00")


def test_a_lost_reason_is_one_line_kept_only_while_lost(session, alice, today):
    c = svc.create_contact(
        session, alice.id, {"name": "Pat", "contact_type": PROSPECT.value}, today=today
    )
    with pytest.raises(ValidationError, match="Pat is no longer lost"):
        record_lost_reason(session, c.id, "Price")
    svc.change_stage(session, c.id, "lost", by_user_id=alice.id)
    for bad in ("  \n ", "x" * 201):
        with pytest.raises(ValidationError) as info:
            record_lost_reason(session, c.id, bad)
        assert info.value.field == "lost_reason"
    assert record_lost_reason(session, c.id, " Chose\na rival ").reason == "Chose a rival"
