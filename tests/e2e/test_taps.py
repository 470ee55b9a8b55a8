"""Taps per job, measured: each test does one everyday job from a phone, counts the buttons
pressed and the messages sent from the job's starting screen, and fails if either differs
from the figure in ``JOBS`` — which is README's "Taps per job" table (checked below). A count
that grows is a regression; one that shrinks means the README is to be updated."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from sandbox import BotApiDouble, Phone
from tests.e2e.flows import contacts, press, press_edit, say, seed, tap

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass(frozen=True)
class Job:
    starts_at: str
    taps: int
    sent: int
    target: str


#: The figures of README's table, by job.
JOBS: dict[str, Job] = {
    "add an eviction client with name + email": Job("nothing", 2, 3, "≤ 3"),
    "quick add in one line": Job("nothing", 1, 1, "≤ 1"),
    "attach a forwarded photo by replying to a card": Job("the card", 0, 1, "≤ 1"),
    "attach a forwarded photo, no reply (pick the contact)": Job("the card", 1, 1, "≤ 1"),
    "snooze from the digest": Job("the digest", 1, 0, "1"),
    "done with outcome and next date": Job("the digest", 3, 0, "≤ 3"),
    "move a stage from the card": Job("the card", 2, 0, "2"),
}


@dataclass
class Count:
    taps: int = 0
    sent: int = 0


@contextmanager
def counting(double: BotApiDouble, phone: Phone, job: str) -> Iterator[Count]:
    """Count ``phone``'s button presses and messages during the block, then check them."""
    mark = len(double.updates)
    count = Count()
    yield count
    mine = [
        u
        for u in double.updates[mark:]
        if (u.get("callback_query") or u.get("message") or {}).get("from", {}).get("id")
        == phone.user_id
    ]
    count.taps = sum("callback_query" in u for u in mine)
    count.sent = sum("message" in u for u in mine)
    want = JOBS[job]
    assert (count.taps, count.sent) == (want.taps, want.sent), (
        f"{job}: {count.taps} taps and {count.sent} messages, the README says "
        f"{want.taps} and {want.sent}"
    )


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0" + os.urandom(20_000)


async def open_card(phone: Phone, name: str) -> dict:
    card = await say(phone, f"/find {name}")
    assert card["text"].startswith(name + "\n"), card["text"]
    return card


@pytest.mark.usefixtures("phone_rules")
async def test_add_an_eviction_client_with_name_and_email(bot, phone, double, session_factory):
    with counting(double, phone, "add an eviction client with name + email"):
        q = await say(phone, "/add")
        q = await say(phone, "Jane Smith")
        q = await press(phone, q, "Eviction client")
        q = await say(phone, "jane@example.com")
        saved = await press(phone, q, "✅ Save now")
    assert saved["text"] == "✅ Saved Jane Smith."
    [jane] = contacts(session_factory)
    assert (jane.email, jane.contact_type) == ("jane@example.com", "eviction_client")


@pytest.mark.usefixtures("phone_rules")
async def test_quick_add_in_one_line(bot, phone, double, session_factory):
    with counting(double, phone, "quick add in one line"):
        q = await say(phone, "/add Jane Smith, jane@example.com, 07700 900123, eviction")
        saved = await press(phone, q, "✅ Save")
    assert saved["text"] == "✅ Saved Jane Smith."
    [jane] = contacts(session_factory)
    assert (jane.email, jane.phone) == ("jane@example.com", "+447700900123")


async def wait_saved(phone: Phone) -> dict:
    message = await phone.wait_reply(timeout=10)
    assert message["text"].startswith("✅ Saved to Jane Smith: photo_"), message["text"]
    return message


@pytest.mark.usefixtures("phone_rules")
async def test_attach_a_forwarded_photo_by_replying_to_a_card(
    bot, phone, double, session_factory, alice
):
    seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    with counting(double, phone, "attach a forwarded photo by replying to a card"):
        await phone.forward(photo=jpeg(), sender_name="Site team", reply_to=card)
        await wait_saved(phone)


@pytest.mark.usefixtures("phone_rules")
async def test_attach_a_forwarded_photo_without_a_reply(
    bot, phone, double, session_factory, alice
):
    seed(session_factory, alice.id, "Jane Smith")
    await open_card(phone, "Jane Smith")
    with counting(double, phone, "attach a forwarded photo, no reply (pick the contact)"):
        await phone.forward(
            photo=jpeg(), from_user={"id": 7, "is_bot": False, "first_name": "Site"}
        )
        question = await phone.wait_reply()
        assert question["text"] == "Attach this photo to which contact?"
        await tap(phone, question, "Jane Smith · Eviction client · New Inquiry")
        question = await phone.wait_edit(question)  # "Saving…"
        if not question["text"].startswith("✅"):
            question = await phone.wait_edit(question, timeout=10)
    assert question["text"].startswith("✅ Saved to Jane Smith: photo_"), question["text"]


async def digest(phone: Phone, session_factory, alice) -> dict:
    seed(session_factory, alice.id, "Olive", next_followup_date="today")
    message = await say(phone, "/digest")
    assert "1. Olive" in message["text"]
    return message


@pytest.mark.usefixtures("phone_rules")
async def test_snooze_from_the_digest(bot, phone, double, session_factory, alice):
    message = await digest(phone, session_factory, alice)
    with counting(double, phone, "snooze from the digest"):
        answer = await tap(phone, message, "💤 +1d")
    assert answer["text"] == "Snoozed: next follow-up Tue 24 Nov 2026"
    assert contacts(session_factory)[0].next_followup_date == date(2026, 11, 24)


@pytest.mark.usefixtures("phone_rules")
async def test_done_with_outcome_and_next_date(bot, phone, double, session_factory, alice):
    message = await digest(phone, session_factory, alice)
    with counting(double, phone, "done with outcome and next date"):
        message = await press_edit(phone, message, "✅ Done")
        message = await press_edit(phone, message, "Called")
        answer = await tap(phone, message, "Next week")
    assert answer["text"] == "Done. Next follow-up Mon 30 Nov 2026."
    assert contacts(session_factory)[0].next_followup_date == date(2026, 11, 30)


@pytest.mark.usefixtures("phone_rules")
async def test_move_a_stage_from_the_card(bot, phone, double, session_factory, alice):
    seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    with counting(double, phone, "move a stage from the card"):
        menu = await press_edit(phone, card, "📶 Stage")
        card = await press_edit(phone, menu, "Job Booked")
    assert "Stage: Job Booked" in card["text"]
    assert contacts(session_factory)[0].current_stage == "job_booked"


def readme_table() -> dict[str, Job]:
    section = README.read_text(encoding="utf-8").split("## Taps per job", 1)[1]
    rows = re.findall(
        r"^\| (?!job |---)(.+?) \| (.+?) \| (\d+) \| (\d+) \| (.+?) \|$",
        section.split("\n\n#", 1)[0],
        re.MULTILINE,
    )
    return {
        job: Job(start, int(taps), int(sent), target) for job, start, taps, sent, target in rows
    }


def test_the_readme_shows_these_counts():
    assert readme_table() == JOBS
