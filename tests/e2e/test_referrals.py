"""Referrals from a phone: "Referred by a partner" in /add and Edit, the partner picker (recent
partners or a typed search), the referred card naming its partner and the partner's card."""

from __future__ import annotations

from typing import Any

import pytest

from crm_core.models import Contact
from crm_core.services import jobs as job_service
from tests.e2e.flows import TODAY, contacts, press, press_edit, say, seed

JSON = dict[str, Any]

pytestmark = pytest.mark.usefixtures("phone_rules")


def by_name(factory, name: str) -> Contact:
    [found] = [c for c in contacts(factory) if c.name == name]
    return found


async def test_add_a_referred_client_picking_a_recent_partner(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Leeds Lettings", "referral_partner")
    seed(session_factory, alice.id, "York Agents", "referral_partner")
    q = await say(phone, "/add")
    q = await say(phone, "Jane Smith")
    q = await press(phone, q, "Eviction client")
    for _ in range(4):  # email, phone, company, property address
        q = await say(phone, "/skip")
    assert "How did they find us?" in q["text"]
    assert "Referred by a partner" in phone.buttons(q)
    picker = await press(phone, q, "Referred by a partner")
    assert picker["text"].startswith("Which partner referred them?")
    assert set(phone.buttons(picker)) == {"Leeds Lettings", "York Agents", "« Back"}
    await press(phone, picker, "York Agents")
    q = await phone.wait_reply()
    assert "How urgent is it?" in q["text"]
    for _ in range(3):  # urgency, follow-up, potential value
        q = await say(phone, "/skip")
    assert "How they found us: Referred by a partner" in q["text"]
    await press(phone, q, "✅ Save")
    card = await phone.wait_reply()
    assert "Referred by: York Agents" in card["text"].splitlines()
    jane = by_name(session_factory, "Jane Smith")
    assert (jane.how_found_us, jane.referred_by_id) == (
        "Referred by a partner",
        by_name(session_factory, "York Agents").id,
    )


async def test_edit_searches_partners_by_typing(bot, phone, session_factory, alice):
    for i in range(7):
        seed(session_factory, alice.id, f"Agent {i}", "referral_partner")
    seed(session_factory, alice.id, "Harrogate Homes", "referral_partner")
    jane = seed(session_factory, alice.id, "Jane Smith", how_found_us="Google")
    card = await say(phone, "/find Jane Smith")
    fields = await press(phone, card, "✏️ Edit")
    q = await press(phone, fields, "How they found us")
    picker = await press(phone, q, "Referred by a partner")
    assert len(phone.buttons(picker)) == 6  # the recent five and Back
    picker = await say(phone, "nobody")
    assert picker["text"].startswith("No referral partner matches “nobody”")
    picker = await say(phone, "harro")
    assert phone.buttons(picker) == ["Harrogate Homes", "« Back"]
    done = await press(phone, picker, "Harrogate Homes")
    assert done["text"] == "✅ Referring partner updated."
    card = await phone.wait_reply()
    assert "Referred by: Harrogate Homes" in card["text"].splitlines()
    assert "Found us via: Referred by a partner" in card["text"].splitlines()
    assert by_name(session_factory, "Jane Smith").referred_by_id is not None
    assert jane


async def test_partner_card_shows_its_referrals_and_keeps_them_when_inactive(
    bot, phone, session_factory, alice
):
    partner = seed(session_factory, alice.id, "Leeds Lettings", "referral_partner")
    seed(session_factory, alice.id, "Lonely Lets", "referral_partner")
    jane = seed(session_factory, alice.id, "Jane Smith", referred_by_id=partner)
    seed(session_factory, alice.id, "Tom Jones", referred_by_id=partner)
    with session_factory.begin() as s:
        job = job_service.add_job(s, jane, {"value": "1500"}, by_user_id=alice.id, today=TODAY)
        job_service.set_job_status(s, job.id, "paid")
    card = await say(phone, "/find Leeds Lettings")
    lines = card["text"].splitlines()
    for line in (
        "Referred: 2 contacts",
        "Their jobs: 1 · £1,500 paid",
        "Latest: Tom Jones, Jane Smith",
        "Jobs referred: 1",
    ):
        assert line in lines, (line, lines)
    assert any(line.startswith("Last referral: ") for line in lines)
    menu = await press_edit(phone, card, "📶 Stage")
    card = await press_edit(phone, menu, "Inactive")
    assert "Stage: Inactive" in card["text"]
    assert "Referred: 2 contacts" in card["text"].splitlines()
    lonely = await say(phone, "/find Lonely Lets")
    assert "Referred: 0 contacts" in lonely["text"].splitlines()
    assert "Their jobs:" not in lonely["text"]
