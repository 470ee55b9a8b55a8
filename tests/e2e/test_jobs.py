"""Jobs from a phone: the card's Jobs button, Add job, the status buttons, the offers that keep
the eviction pipeline and jobs in step, revenue and referral credit on the cards, and Edit
saying where revenue comes from."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from crm_core.models import Contact, Job
from crm_core.services import jobs as job_service
from tests.e2e.flows import TODAY, press, press_edit, say, seed, tap

JSON = dict[str, Any]
STATUS_BUTTONS = ["Booked", "In progress", "Completed", "Invoiced", "Paid", "Cancel job"]

pytestmark = pytest.mark.usefixtures("phone_rules")


def jobs_of(factory, contact_id: int) -> list[Job]:
    with factory() as s:
        return list(s.scalars(select(Job).where(Job.contact_id == contact_id).order_by(Job.id)))


def contact(factory, contact_id: int) -> Contact:
    with factory() as s:
        return s.get(Contact, contact_id)


def add_job(factory, contact_id: int, value: str, owner_id: int, status: str = "booked") -> int:
    with factory.begin() as s:
        job = job_service.add_job(
            s,
            contact_id,
            {"value": value, "title": "Eviction"},
            by_user_id=owner_id,
            today=TODAY,
        )
        if status != "booked":
            job_service.set_job_status(s, job.id, status)
        return job.id


async def open_card(phone, name: str) -> JSON:
    return await say(phone, f"/find {name}")


async def test_add_a_job_from_the_card(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    assert "💷 Jobs" in phone.buttons(card)
    assert "Jobs:" not in card["text"]
    listing = await press(phone, card, "💷 Jobs")
    assert listing["text"] == "Jobs for Jane Smith\nNo jobs yet."
    ask = await press(phone, listing, "➕ Add job")
    assert "title" in ask["text"]
    ask = await say(phone, "Eviction, 12 High St")
    assert "value" in ask["text"]
    assert "Skip" not in phone.buttons(ask)  # the value is the one answer required
    ask = await say(phone, "a lot")
    assert ask["text"].startswith("⚠️ Job value must be an amount in pounds, e.g. 1500.")
    ask = await say(phone, "£1,500.50")
    assert phone.buttons(ask) == ["Today", "Tomorrow", "Skip", "Cancel"]
    done = await press(phone, ask, "Skip")
    assert (
        done["text"] == "✅ Job booked for Jane Smith: Eviction, 12 High St · £1,500.50 · Booked"
    )
    card = await phone.wait_reply()
    assert "Revenue: £0" in card["text"].splitlines()
    assert "Jobs: 1 (£1,500.50 unpaid)" in card["text"].splitlines()
    [job] = jobs_of(session_factory, contact_id)
    assert (job.title, job.value, job.status, job.created_by) == (
        "Eviction, 12 High St",
        Decimal("1500.50"),
        "booked",
        alice.id,
    )


async def test_only_the_value_is_needed_and_a_date_can_be_typed(
    bot, phone, session_factory, alice
):
    contact_id = seed(session_factory, alice.id, "Jane Smith")
    listing = await press(phone, await open_card(phone, "Jane Smith"), "💷 Jobs")
    ask = await press(phone, await press(phone, listing, "➕ Add job"), "Skip")
    ask = await say(phone, "1.5k")
    ask = await say(phone, "31/02/2027")
    assert ask["text"].startswith("⚠️ ")  # no 31 February: the same question again
    await say(phone, "1/12/2026")
    [job] = jobs_of(session_factory, contact_id)
    assert (job.title, job.value, str(job.scheduled_date)) == (
        None,
        Decimal("1500.00"),
        "2026-12-01",
    )


async def test_status_buttons_mark_paid_and_offer_to_move_the_client_to_paid(
    bot, phone, session_factory, alice
):
    partner = seed(session_factory, alice.id, "Leeds Lettings", "referral_partner")
    contact_id = seed(session_factory, alice.id, "Jane Smith", referred_by_id=partner)
    add_job(session_factory, contact_id, "1500", alice.id)
    listing = await press(phone, await open_card(phone, "Jane Smith"), "💷 Jobs")
    assert listing["text"].splitlines()[1] == "1. Eviction · £1,500 · Booked"
    job = await press_edit(phone, listing, "1. Eviction · £1,500 · Booked")
    assert phone.buttons(job) == ["✅ Booked", *STATUS_BUTTONS[1:], "« Jobs"]
    answer = await tap(phone, job, "Paid")
    assert answer["text"] == "Job paid. Revenue: £1,500"
    offer = await phone.wait_reply()
    assert offer["text"] == "📌 That was Jane Smith's last open job. Move them to Paid?"
    card = await press_edit(phone, offer, "Move to Paid")
    assert "Stage: Paid" in card["text"]
    assert "Revenue: £1,500" in card["text"].splitlines()
    assert "Jobs: 1 (£0 unpaid)" in card["text"].splitlines()
    partner_card = await open_card(phone, "Leeds Lettings")
    assert "Jobs referred: 1" in partner_card["text"].splitlines()
    assert contact(session_factory, contact_id).total_revenue == Decimal("1500.00")


async def test_cancel_job_after_paid_takes_the_revenue_back(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Jane Smith", current_stage="paid")
    add_job(session_factory, contact_id, "800", alice.id, status="paid")
    listing = await press(phone, await open_card(phone, "Jane Smith"), "💷 Jobs")
    job = await press_edit(phone, listing, "1. Eviction · £800 · Paid")
    answer = await tap(phone, job, "Cancel job")
    assert answer["text"] == "Job cancelled. Revenue: £0"
    assert contact(session_factory, contact_id).total_revenue == Decimal("0.00")


async def test_move_to_job_booked_offers_create_job_in_one_tap(bot, phone, session_factory, alice):
    contact_id = seed(
        session_factory,
        alice.id,
        "Jane Smith",
        service_type="Eviction",
        property_address="12 High St",
        potential_value="2000",
    )
    menu = await press_edit(phone, await open_card(phone, "Jane Smith"), "📶 Stage")
    await tap(phone, menu, "Job Booked")
    offer = await phone.wait_reply()
    assert (
        offer["text"] == "📌 Jane Smith is at Job Booked. Create Eviction · 12 High St for £2,000?"
    )
    await tap(phone, offer, "Create job")
    done = await phone.wait_reply()
    assert done["text"].startswith("✅ Job booked for Jane Smith: Eviction · 12 High St · £2,000")
    [job] = jobs_of(session_factory, contact_id)
    assert (job.value, job.status) == (Decimal("2000.00"), "booked")


async def test_create_job_without_a_potential_value_asks_it(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Jane Smith", service_type="Eviction")
    menu = await press_edit(phone, await open_card(phone, "Jane Smith"), "📶 Stage")
    await tap(phone, menu, "Job Booked")
    offer = await phone.wait_reply()
    await tap(phone, offer, "Create job")
    ask = await phone.wait_reply()
    assert "value" in ask["text"]
    ask = await say(phone, "950")
    await press(phone, ask, "Today")
    [job] = jobs_of(session_factory, contact_id)
    assert (job.title, job.value, job.scheduled_date) == ("Eviction", Decimal("950.00"), TODAY)


async def test_declining_an_offer_changes_nothing(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Jane Smith", potential_value="100")
    menu = await press_edit(phone, await open_card(phone, "Jane Smith"), "📶 Stage")
    await tap(phone, menu, "Job Booked")
    offer = await phone.wait_reply()
    declined = await press_edit(phone, offer, "Not now")
    assert declined["text"] == "OK, nothing changed."
    assert jobs_of(session_factory, contact_id) == []


async def test_move_to_invoiced_offers_to_mark_the_open_job(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Jane Smith", current_stage="job_booked")
    job_id = add_job(session_factory, contact_id, "600", alice.id)
    menu = await press_edit(phone, await open_card(phone, "Jane Smith"), "📶 Stage")
    await tap(phone, menu, "Invoiced")
    offer = await phone.wait_reply()
    assert offer["text"] == "📌 Mark Jane Smith's job Eviction · £600 · Booked as invoiced too?"
    view = await press_edit(phone, offer, "Mark job invoiced")
    assert "Status: Invoiced" in view["text"]
    assert [j.status for j in jobs_of(session_factory, contact_id)] == ["invoiced"]
    assert job_id


async def test_a_prospect_moved_to_won_is_offered_create_job_in_one_tap(
    bot, phone, session_factory, alice
):
    contact_id = seed(
        session_factory,
        alice.id,
        "Pat Prospect",
        "prevention_prospect",
        service_type="CCTV",
        property_address="3 Mill Lane",
        potential_value="2400",
    )
    menu = await press_edit(phone, await open_card(phone, "Pat Prospect"), "📶 Stage")
    card = await press_edit(phone, menu, "Won")
    assert "Stage: Won" in card["text"]
    offer = await phone.wait_reply()
    assert offer["text"] == "📌 Pat Prospect is at Won. Create CCTV · 3 Mill Lane for £2,400?"
    await tap(phone, offer, "Create job")
    done = await phone.wait_reply()
    assert done["text"].startswith("✅ Job booked for Pat Prospect: CCTV · 3 Mill Lane · £2,400")
    [job] = jobs_of(session_factory, contact_id)
    assert (job.title, job.value) == ("CCTV · 3 Mill Lane", Decimal("2400.00"))


async def test_prospects_get_no_other_pipeline_offers(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Pat Prospect", "prevention_prospect")
    menu = await press_edit(phone, await open_card(phone, "Pat Prospect"), "📶 Stage")
    card = await press_edit(phone, menu, "Quote Sent")
    assert "Stage: Quote Sent" in card["text"]
    await phone.wait_idle(quiet=0.1)
    assert phone.last_message["message_id"] == card["message_id"]  # no offer after it


async def test_edit_says_revenue_comes_from_jobs(bot, phone, session_factory, alice):
    contact_id = seed(session_factory, alice.id, "Jane Smith")
    add_job(session_factory, contact_id, "300", alice.id, status="paid")
    fields = await press(phone, await open_card(phone, "Jane Smith"), "✏️ Edit")
    again = await press(phone, fields, "Total revenue")
    assert again["text"].startswith(
        "⚠️ Revenue is the sum of this contact's paid jobs (£300.00): change it through 💷 Jobs."
    )
    assert contact(session_factory, contact_id).total_revenue == Decimal("300.00")
