"""Why a deal was lost, from a phone: the stage menu's Lost moves the prospect and asks for an
optional one-line reason (typed, or Skip; a bad answer gets a sentence and the question
again), and /report lists the reasons of the deals lost in the period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm_core.models import LostReason, StageChange
from crm_core.services import contacts as svc
from crm_core.services.lost_reasons import record_lost_reason
from tests.e2e.flows import NOW, TODAY, contacts, press, press_edit, say, seed

pytestmark = pytest.mark.usefixtures("phone_rules")


def reasons(factory) -> list[tuple[str, str]]:
    with factory() as s:
        rows = s.execute(
            select(StageChange.to_stage, LostReason.reason).join(
                LostReason, LostReason.stage_change_id == StageChange.id
            )
        )
        return [tuple(r) for r in rows]


async def lose(phone, name: str) -> dict:
    """Move the contact to Lost from its card; returns the question asked after the move."""
    menu = await press_edit(phone, await say(phone, f"/find {name}"), "📶 Stage")
    return await press(phone, menu, "Lost")


async def test_lost_asks_why_and_keeps_the_one_line_answer(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Pat Prospect", "prevention_prospect")
    question = await lose(phone, "Pat Prospect")
    assert (
        question["text"] == "Why was Pat Prospect lost? One line (it shows in /report), or Skip."
    )
    assert phone.buttons(question) == ["Skip"]
    again = await say(phone, "x" * 201)
    assert again["text"].startswith("⚠️ A lost reason is at most 200 characters; that was 201.")
    assert again["text"].endswith(question["text"])
    done = await say(phone, "Went with a\ncheaper firm")
    assert done["text"] == "✅ Lost reason kept for Pat Prospect: Went with a cheaper firm"
    assert reasons(session_factory) == [("lost", "Went with a cheaper firm")]
    card = await say(phone, "/find Pat Prospect")  # the next text is a search again
    assert "Stage: Lost" in card["text"]


async def test_skip_keeps_no_reason(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Pat Prospect", "prevention_prospect")
    question = await lose(phone, "Pat Prospect")
    skipped = await press_edit(phone, question, "Skip")
    assert skipped["text"] == "OK, no reason kept."
    assert reasons(session_factory) == []
    assert [c.current_stage for c in contacts(session_factory)] == ["lost"]


async def test_report_lists_the_lost_reasons(bot, phone, session_factory, alice):
    with session_factory.begin() as s:
        for name, reason in [("Ann", "Too expensive"), ("Ben", "Too expensive"), ("Cy", None)]:
            c = svc.create_contact(
                s,
                alice.id,
                {"name": name, "contact_type": "prevention_prospect"},
                today=TODAY,
                now=NOW - timedelta(days=20),
            )
            svc.change_stage(s, c.id, "lost", by_user_id=alice.id, now=NOW - timedelta(days=10))
            if reason:
                record_lost_reason(s, c.id, reason)
    summary = await say(phone, "/report")
    edited = await press_edit(phone, summary, "Prevention")
    lines = edited["text"].splitlines()
    assert "Won: 0 (=) · Lost: 3 (+3)" in lines
    assert lines[lines.index("Lost reasons") + 1] == "Too expensive: 2"  # Cy gave none
