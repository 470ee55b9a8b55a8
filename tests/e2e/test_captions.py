"""A photo's caption files it silently only when it clearly names one contact (issue 9,
defect 6); a caption that describes the photo gets "Attach to which contact?" with the
likely contact first."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox import BotApiDouble
from tests.e2e.flows import all_answered, seed
from tests.e2e.test_files import files_of, jpeg, label_starting, press, wait_text


@pytest.fixture(autouse=True)
async def _every_button_answered(double: BotApiDouble) -> AsyncIterator[None]:
    yield
    await double.wait_idle()
    all_answered(double)


@pytest.mark.parametrize("caption", ["door", "keys", "12", "Smith", "lettings door 12"])
async def test_a_caption_that_describes_the_photo_asks_with_the_likely_one_first(
    bot, phone, session_factory, alice, caption
):
    jane = seed(
        session_factory,
        alice.id,
        "Jane Smith",
        company="Oak Door & Keys Lettings",
        phone="07700 900112",
    )
    seed(session_factory, alice.id, "Omar Khan")  # touched last: first of the recent ones
    waiting = wait_text(phone, "to which contact?")
    await phone.send_photo(jpeg(30_000), caption=caption)
    question = await waiting
    assert question["text"] == "Attach this photo to which contact?"
    assert phone.buttons(question)[0].startswith("Jane Smith")
    assert files_of(session_factory) == []
    saved = await press(phone, question, label_starting(phone, question, "Jane"), "Saved to")
    assert saved["text"].startswith("✅ Saved to Jane Smith")
    assert [f.contact_id for f in files_of(session_factory)] == [jane]


@pytest.mark.parametrize("caption", ["Jane Smith", "jane smith - back door, flat 12"])
async def test_a_caption_naming_one_contact_files_the_photo_at_once(
    bot, phone, session_factory, alice, caption
):
    jane = seed(session_factory, alice.id, "Jane Smith", company="Oak Door Lettings")
    seed(session_factory, alice.id, "Jane")
    seed(session_factory, alice.id, "Omar Khan")
    waiting = wait_text(phone, "Saved to")
    await phone.send_photo(jpeg(30_000), caption=caption)
    saved = await waiting
    assert saved["text"].startswith("✅ Saved to Jane Smith")
    assert [f.contact_id for f in files_of(session_factory)] == [jane]
