"""Jobs on both databases: statuses with their times, revenue and referral credit kept in the
same transaction, hand edits refused once jobs exist, the drift check, and concurrency."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from crm_core.errors import NotFound, ValidationError
from crm_core.models import Contact, Job
from crm_core.services import contacts as svc
from crm_core.services import jobs, trash
from crm_core.services.revenue import JobSummary, check_totals, job_summary
from crm_core.stages import JobStatus


@pytest.fixture
def make(session, alice, today, now):
    def make(name: str, contact_type: str = "eviction_client", **fields):
        data = {"name": name, "contact_type": contact_type, **fields}
        return svc.create_contact(session, alice.id, data, today=today, now=now)

    return make


@pytest.fixture
def partner(make):
    return make("Leeds Lettings", "referral_partner")


def add(session, contact, value, alice, today, **fields):
    return jobs.add_job(
        session, contact.id, {"value": value, **fields}, by_user_id=alice.id, today=today
    )


def totals(session, contact_id):
    session.expire_all()
    contact = session.get(Contact, contact_id)
    return contact.total_revenue, contact.total_jobs_referred


def test_a_job_is_booked_with_a_typed_value_and_optional_title_and_date(
    session, make, alice, today, now
):
    client = make("Jane Smith")
    job = jobs.add_job(
        session,
        client.id,
        {"value": "£1,500.50", "title": "  Eviction, 12 High St ", "scheduled_date": "tomorrow"},
        by_user_id=alice.id,
        today=today,
        now=now,
    )
    assert (job.value, job.title, job.scheduled_date) == (
        Decimal("1500.50"),
        "Eviction, 12 High St",
        today + timedelta(days=1),
    )
    assert (job.status, job.booked_at, job.created_by) == ("booked", now, alice.id)
    bare = add(session, client, "1.5k", alice, today)
    assert (bare.value, bare.title, bare.scheduled_date) == (Decimal("1500.00"), None, None)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "value"),
        ({"value": "lots"}, "value"),
        ({"value": "-5"}, "value"),
        ({"value": "10", "scheduled_date": "31/02/2026"}, "scheduled_date"),
        ({"value": "10", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_job_is_refused_with_nothing_written(session, make, alice, today, data, field):
    client = make("Jane Smith")
    with pytest.raises(ValidationError) as caught:
        jobs.add_job(session, client.id, data, by_user_id=alice.id, today=today)
    assert caught.value.field == field
    assert jobs.list_jobs(session, client.id) == []


def test_each_status_change_is_stamped(session, make, alice, today, now):
    job = add(session, make("Jane"), "100", alice, today)
    job.booked_at = now
    for i, status in enumerate(JobStatus):
        jobs.set_job_status(session, job.id, status, now=now + timedelta(hours=i))
    assert (job.booked_at, job.started_at, job.completed_at) == (
        now,
        now + timedelta(hours=1),
        now + timedelta(hours=2),
    )
    assert (job.invoiced_at, job.paid_at, job.cancelled_at) == (
        now + timedelta(hours=3),
        now + timedelta(hours=4),
        now + timedelta(hours=5),
    )
    assert job.status == "cancelled"
    assert job.status_changed_at == now + timedelta(hours=5)
    with pytest.raises(ValidationError):
        jobs.set_job_status(session, job.id, "refunded")


def test_revenue_is_the_sum_of_paid_jobs_and_credits_the_partner(
    session, make, partner, alice, today
):
    client = make("Jane", referred_by_id=partner.id, total_revenue="980")
    assert totals(session, client.id) == (Decimal("980.00"), 0)  # typed before jobs existed
    first = add(session, client, "1500", alice, today)
    second = add(session, client, "£250.50", alice, today)
    assert totals(session, client.id)[0] == Decimal("0.00")  # derived from the first job on
    assert totals(session, partner.id)[1] == 2
    jobs.set_job_status(session, first.id, "paid")
    jobs.set_job_status(session, second.id, "paid")
    assert totals(session, client.id)[0] == Decimal("1750.50")
    jobs.cancel_job(session, first.id)  # refunded after being paid
    assert totals(session, client.id)[0] == Decimal("250.50")
    assert totals(session, partner.id)[1] == 1
    summary = job_summary(session, client.id)
    assert summary == JobSummary(
        count=1, open=0, unpaid=Decimal("0.00"), revenue=Decimal("250.50")
    )


def test_card_summary_counts_unpaid_jobs(session, make, alice, today):
    client = make("Jane")
    add(session, client, "100", alice, today)
    paid = add(session, client, "40", alice, today)
    jobs.set_job_status(session, paid.id, "paid")
    invoiced = add(session, client, "60", alice, today)
    jobs.set_job_status(session, invoiced.id, "invoiced")
    assert job_summary(session, client.id) == JobSummary(
        count=3, open=2, unpaid=Decimal("160.00"), revenue=Decimal("40.00")
    )
    assert jobs.open_job(session, client.id).id == invoiced.id


def test_hand_edits_of_derived_totals_are_refused_once_jobs_exist(
    session, make, partner, alice, today
):
    client = make("Jane", referred_by_id=partner.id)
    svc.update_contact(session, client.id, {"total_revenue": "50"}, by_user_id=None, today=today)
    add(session, client, "100", alice, today)
    with pytest.raises(ValidationError, match="paid jobs"):
        svc.update_contact(
            session, client.id, {"total_revenue": "5"}, by_user_id=None, today=today
        )
    with pytest.raises(ValidationError, match="referred contacts' jobs"):
        svc.update_contact(
            session, partner.id, {"total_jobs_referred": "9"}, by_user_id=None, today=today
        )


def test_moving_a_referral_moves_the_credit(session, make, partner, alice, today):
    other = make("Other Agents", "referral_partner")
    client = make("Jane", referred_by_id=partner.id)
    add(session, client, "100", alice, today)
    svc.update_contact(
        session, client.id, {"referred_by_id": other.id}, by_user_id=None, today=today
    )
    assert (totals(session, partner.id)[1], totals(session, other.id)[1]) == (0, 1)


def test_jobs_of_a_trashed_contact_are_out_of_reach(session, make, alice, today):
    client = make("Jane")
    job = add(session, client, "100", alice, today)
    trash.delete_contact(session, client.id)
    with pytest.raises(NotFound):
        jobs.set_job_status(session, job.id, "paid")
    with pytest.raises(NotFound):
        add(session, client, "1", alice, today)


def test_revenue_check_reports_and_fixes_drift(session, make, partner, alice, today):
    client = make("Jane", referred_by_id=partner.id)
    legacy = make("Legacy Client", total_revenue="700")  # no jobs: never drift
    job = add(session, client, "300", alice, today)
    jobs.set_job_status(session, job.id, "paid")
    session.execute(update(Contact).where(Contact.id == client.id).values(total_revenue=5))
    session.execute(update(Contact).where(Contact.id == partner.id).values(total_jobs_referred=7))
    drifts = check_totals(session)
    assert {(d.contact_id, d.field, d.stored, d.computed) for d in drifts} == {
        (client.id, "total_revenue", Decimal("5.00"), Decimal("300.00")),
        (partner.id, "total_jobs_referred", 7, 1),
    }
    assert check_totals(session, fix=True)
    assert check_totals(session) == []
    assert totals(session, client.id) == (Decimal("300.00"), 0)
    assert totals(session, legacy.id)[0] == Decimal("700.00")


# PostgreSQL only: SQLite has one writer at a time, so the race can't happen there.
@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_admins_marking_jobs_paid_at_once_leave_the_sum(
    backend, session_factory, alice, today
):
    """Admin A marks job 1 paid and holds the transaction open; admin B marks job 2 paid
    meanwhile. Without the contact's row lock B's total would miss A's job."""
    with session_factory.begin() as s:
        client = svc.create_contact(
            s, alice.id, {"name": "Jane", "contact_type": "eviction_client"}, today=today
        )
        ids = [add(s, client, v, alice, today).id for v in ("1000", "234.56")]
        contact_id = client.id
    a_marked, errors = threading.Event(), []

    def admin_a() -> None:
        try:
            with session_factory.begin() as s:
                jobs.set_job_status(s, ids[0], "paid")
                a_marked.set()
                time.sleep(0.5)  # B is now waiting for the contact's lock
        except Exception as err:  # reported by the assertion below
            errors.append(err)

    def admin_b() -> None:
        try:
            a_marked.wait(5)
            with session_factory.begin() as s:
                jobs.set_job_status(s, ids[1], "paid")
        except Exception as err:
            errors.append(err)

    threads = [threading.Thread(target=admin_a), threading.Thread(target=admin_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    with session_factory() as s:
        assert s.get(Contact, contact_id).total_revenue == Decimal("1234.56")
        assert check_totals(s) == []
        assert {j.status for j in s.query(Job)} == {"paid"}


def test_job_draft_from_a_contact(make):
    client = make(
        "Jane", service_type="Eviction", property_address="12 High St", potential_value="2k"
    )
    assert jobs.job_draft(client) == {"title": "Eviction · 12 High St", "value": "2000.00"}
    assert jobs.job_draft(make("Bare")) == {"title": ""}
    assert date  # imported for the fixtures' types


# --- referrals ------------------------------------------------------------------------------


def test_partner_card_figures_and_inactive_partners_keep_history(
    session, make, partner, alice, today, now
):
    from crm_core.services.referrals import find_partners, referral_summary

    lonely = make("Lonely Lets", "referral_partner")
    jane = make("Jane", referred_by_id=partner.id)
    make("Tom", referred_by_id=partner.id)
    paid = add(session, jane, "1000", alice, today)
    jobs.set_job_status(session, paid.id, "paid")
    cancelled = add(session, jane, "50", alice, today)
    jobs.cancel_job(session, cancelled.id)
    add(session, jane, "70", alice, today)
    svc.change_stage(session, partner.id, "inactive", by_user_id=alice.id)
    summary = referral_summary(session, partner.id)
    assert (summary.contacts, summary.jobs, summary.revenue) == (2, 2, Decimal("1000.00"))
    assert summary.last_referred_at == now
    assert [name for _, name in summary.latest] == ["Tom", "Jane"]
    empty = referral_summary(session, lonely.id)
    assert (empty.contacts, empty.jobs, empty.revenue, empty.last_referred_at) == (
        0,
        0,
        Decimal("0.00"),
        None,
    )
    assert [p.name for p in find_partners(session)] == ["Leeds Lettings", "Lonely Lets"]
    assert [p.name for p in find_partners(session, "lonely")] == ["Lonely Lets"]
    assert find_partners(session, "jane") == []  # clients are no partners
