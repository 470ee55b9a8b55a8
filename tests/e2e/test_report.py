"""/report from a phone: the summary with the win rate as a percentage and the deltas, the
charts as one album of PNGs (captions within Telegram's limit), the period and pipeline
buttons redrawing the summary in place, and an empty period saying so without charts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from crm_core.services import contacts as svc
from crm_core.services import jobs
from tests.e2e.flows import NOW, TODAY, press_edit, say, tap

pytestmark = pytest.mark.usefixtures("phone_rules")


@pytest.fixture
def history(session_factory, alice):
    """Two eviction clients in the last 30 days: one paid (a £1,500 job), one still new;
    a prevention prospect won 60 days ago."""
    with session_factory.begin() as s:

        def client(name, created, moves, **fields):
            c = svc.create_contact(s, alice.id, {"name": name, **fields}, today=TODAY, now=created)
            for when, stage in moves:
                svc.change_stage(s, c.id, stage, by_user_id=alice.id, now=when)
            return c

        days = lambda n: NOW - timedelta(days=n)  # noqa: E731
        paid = client(
            "Paid Pete",
            days(20),
            [(days(15), "job_booked"), (days(5), "paid")],
            contact_type="eviction_client",
            how_found_us="Google",
        )
        client("New Nina", days(3), [], contact_type="eviction_client")
        client("Won Wendy", days(70), [(days(60), "won")], contact_type="prevention_prospect")
        job = jobs.add_job(
            s, paid.id, {"value": "1500"}, by_user_id=alice.id, today=TODAY, now=days(15)
        )
        jobs.set_job_status(s, job.id, "paid", now=days(5))


def photos_in(phone, since_id: int) -> list[dict]:
    return [m for m in phone.messages if m["message_id"] > since_id and "photo" in m]


async def album_after(phone, message, count: int) -> list[dict]:
    """The photos sent after ``message`` once there are ``count`` (charts take a moment)."""
    return await phone.double.wait_until(
        lambda: (
            (found := photos_in(phone, message["message_id"])) and len(found) >= count and found
        ),
        timeout=20,
        describe=f"{count} charts",
    )


async def test_report_sends_the_summary_then_an_album(bot, phone, history):
    summary = await say(phone, "/report")
    text = summary["text"]
    assert text.startswith("📊 Eviction clients — last 30 days")
    assert "Win rate: 100% (1 won of 1 decided)" in text
    assert "Won: 1 (+1) · Lost: 0 (=)" in text
    assert "Paid revenue (all pipelines): £1,500 (+£1,500) · 1 job" in text
    assert "New Inquiry: 2 → 1 (50%), 5.0 d" in text  # Pete on after 5 days; Nina not yet
    lines = text.splitlines()
    assert lines[lines.index("Win rate by owner") + 1] == "Alice: 100% of 1"  # Pete, paid
    assert phone.buttons(summary) == [
        "30 days",
        "90 days",
        "12 months",
        "Eviction",
        "Prevention",
        "Partners",
    ]
    album = await album_after(phone, summary, 3)
    await phone.wait_idle(quiet=0.3)
    assert (
        len(photos_in(phone, summary["message_id"])) == 3
    )  # funnel, revenue, win rate by source (no partner referred)
    assert len({m["media_group_id"] for m in album}) == 1
    for message in album:
        assert len(message.get("caption", "")) <= 1024
        data = phone.double.file_bytes(message["photo"][-1]["file_id"])
        image = Image.open(io.BytesIO(data))
        image.load()
        assert image.format == "PNG"


async def test_buttons_switch_pipeline_and_period_in_place(bot, phone, history):
    summary = await say(phone, "/report")
    await album_after(phone, summary, 3)
    edited = await press_edit(phone, summary, "Prevention")
    assert edited["message_id"] == summary["message_id"]
    assert edited["text"].startswith("📊 Prevention prospects — last 30 days")
    assert "No stage moves in the last 30 days." in edited["text"]
    edited = await press_edit(phone, edited, "90 days")
    assert edited["text"].startswith("📊 Prevention prospects — last 90 days")
    assert "Win rate: 100% (1 won of 1 decided)" in edited["text"]
    # 3 charts of evictions; then prevention's 30 days: revenue alone (a single photo); then
    # its 90 days: funnel, revenue and win rate by source.
    await album_after(phone, summary, 3 + 1 + 3)
    await phone.wait_idle(quiet=0.3)
    assert len(photos_in(phone, summary["message_id"])) == 7


async def test_an_empty_period_says_so_and_sends_no_chart(bot, phone):
    summary = await say(phone, "/report")
    assert "No jobs paid in the last 30 days." in summary["text"]
    assert "Win rate: — (0 won of 0 decided)" in summary["text"]
    await phone.wait_idle(quiet=1.5)
    assert photos_in(phone, summary["message_id"]) == []
    answer = await tap(phone, summary, "Partners")
    assert answer.get("text") is None
