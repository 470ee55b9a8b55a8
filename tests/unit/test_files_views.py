"""The attachment renderers: pure functions, checked without Telegram."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.callbacks import MAX_BYTES, Cb
from bot.context import CrmContext
from bot.features.attachments.receiving import DOWNLOAD_LIMIT, _too_big
from bot.features.attachments.state import MAX_KEPT, RUN, Item, Pending, keep
from bot.features.cards import contact_id_of
from bot.views import files as views
from crm_core.config import Settings
from crm_core.models import Contact, File
from sandbox import parse_html

TZ = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
HOSTILE = '<b>Bob & "Co"</b>'


def contact(**fields: Any) -> Contact:
    base: dict[str, Any] = {
        "id": 7,
        "name": HOSTILE,
        "contact_type": "prevention_prospect",
        "current_stage": "quote_sent",
    }
    return Contact(**{**base, **fields})


def file(file_id: int, name: str = "quote.pdf", **fields: Any) -> File:
    base: dict[str, Any] = {
        "id": file_id,
        "contact_id": 7,
        "file_name": name,
        "file_type": "application/pdf",
        "file_size": 1_258_291,
        "category": "quote",
        "storage_key": f"crm/contact_7/x_{file_id}",
        "created_at": NOW,
    }
    return File(**{**base, **fields})


def plain(html: str) -> str:
    return parse_html(html)[0]


def callback_data(markup: Any) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


def message_with(markup: Any) -> Any:
    return SimpleNamespace(reply_markup=markup)


@pytest.mark.parametrize(
    ("size", "shown"),
    [(None, "size unknown"), (0, "0 B"), (1023, "1023 B"), (1536, "2 KB"), (1_258_291, "1.2 MB")],
)
def test_human_size(size, shown):
    assert views.human_size(size) == shown


def test_contact_question_is_about_no_contact():
    people = [contact(id=3, name="Jane"), contact(id=4, name="Omar")]
    text, markup = views.contact_question("these 3 photos", people, "1f")
    assert text == "Attach these 3 photos to which contact?"
    assert [b.text for row in markup.inline_keyboard for b in row][-2:] == ["🔎 Search…", "Cancel"]
    assert callback_data(markup)[:2] == ["atc:0:1f:3", "atc:0:1f:4"]
    # Replying to the question with another file must not pick its first contact.
    assert contact_id_of(message_with(markup)) is None


def test_every_button_about_a_contact_carries_its_id():
    c = contact()
    markups = [
        views.category_question("a.pdf", c, "a")[1],
        views.saved_keyboard(7, "a", can_change=True),
        views.change_keyboard(7, "a"),
        views.retry_keyboard(7, "a"),
        views.render_files(c, [file(99), file(98)], TZ)[1],
        views.delete_prompt(c, file(99))[1],
        views.sent_keyboard(7),
    ]
    for markup in markups:
        assert contact_id_of(message_with(markup)) == 7
        for data in callback_data(markup):
            assert len(data.encode()) <= MAX_BYTES
            assert Cb.decode(data).id == 7


def test_saved_text_single_album_duplicates_and_refusals():
    one = views.saved_text(HOSTILE, "photo", [views.Outcome("a<b>.jpg", 2048, "saved")], TZ)
    assert plain(one) == '✅ Saved to <b>Bob & "Co"</b>: a<b>.jpg (2 KB) · Photo'
    album = [
        views.Outcome("1.jpg", 1024 * 1024, "saved"),
        views.Outcome("2.jpg", 1024 * 1024, "saved"),
        views.Outcome("3.jpg", 10, "dup", NOW),
        views.Outcome("big.mov", 25 * 1024 * 1024, "toobig"),
    ]
    text = plain(views.saved_text("Jane", "quote", album, TZ))
    assert text.splitlines() == [
        "✅ Saved 2 files to Jane (2.0 MB) · Quote:",
        "• 1.jpg (1.0 MB)",
        "• 2.jpg (1.0 MB)",
        "Already on Jane, not stored again:",
        "• 3.jpg",
        "Not saved, over Telegram's 20 MB download limit:",
        "• big.mov (25.0 MB)",
    ]
    dup = plain(views.saved_text("Jane", "photo", [views.Outcome("x.jpg", 1, "dup", NOW)], TZ))
    assert dup == "Already saved to Jane on 23 Nov 2026 09:30: x.jpg — not stored again."


def test_file_list_escapes_and_pages():
    c = contact()
    rows = [file(i, name=f"<i>{i}</i>.pdf", caption="a & b") for i in range(20, 0, -1)]
    text, markup = views.render_files(c, rows, TZ, page=1)
    shown = plain(text)
    assert shown.startswith('Files of <b>Bob & "Co"</b> — 20 files, page 1 of 3')
    assert "• <i>20</i>.pdf — Quote · 1.2 MB · 23 Nov 2026 09:30" in shown
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels[0] == "💷 <i>20</i>.pdf · Quote · 1.2 MB · 23 Nov"
    assert labels[1] == "🗑"
    assert labels[-2:] == ["Older »", "« Card"]
    last_text, last = views.render_files(c, rows, TZ, page=9)  # past the end: the last page
    assert "page 3 of 3" in plain(last_text)
    assert [b.text for b in last.inline_keyboard[-2]] == ["« Newer"]


def test_empty_file_list_says_how_to_attach():
    text, markup = views.render_files(contact(name="Jane"), [], TZ)
    assert "No files yet" in plain(text)
    assert callback_data(markup) == ["open:7:"]


def test_sent_caption_fits_telegram():
    long = file(1, name="q" * 120 + ".pdf", caption="<&>" * 1000)
    caption = plain(views.sent_caption(contact(name="N" * 200), long))
    assert len(caption) <= views.CAPTION_LIMIT
    assert caption.startswith("q" * 120 + ".pdf\nQuote · 1.2 MB · " + "N" * 200)


def test_too_big_text_names_the_way_out():
    text = plain(views.too_big_text("video.mov", 25 * 1024 * 1024, 20 * 1024 * 1024))
    assert text.startswith("⚠️ video.mov is 25.0 MB")
    assert "up to 20 MB" in text
    assert "TELEGRAM_API_BASE_URL" in text
    assert "TELEGRAM_FILE_BASE_URL" in text


def test_storage_down_text():
    assert plain(views.storage_down_text(0, 1)).startswith(
        "⚠️ Couldn't save the file: storage unavailable.\nNothing was saved."
    )
    assert "2 of 3 files were saved" in views.storage_down_text(2, 3)


async def test_the_cloud_api_refuses_big_files_without_asking():
    def context(base_url: str) -> Any:
        services = SimpleNamespace(settings=Settings(telegram_api_base_url=base_url))
        return CrmContext(SimpleNamespace(bot_data={"crm": services}, bot=None))

    cloud = context(Settings().telegram_api_base_url)

    def item(size: int | None) -> Item:
        return Item(file_id="x", unique_id="u", kind="video", name=None, mime=None, size=size)

    assert await _too_big(cloud, item(DOWNLOAD_LIMIT + 1))
    assert not await _too_big(cloud, item(DOWNLOAD_LIMIT))
    assert not await _too_big(cloud, item(None))


def test_pending_attachments_being_saved_are_never_forgotten():
    kept: dict[str, Pending] = {}
    for i in range(MAX_KEPT + 5):
        keep(kept, f"q{i}", Pending(chat_id=1))
    assert list(kept) == [f"q{i}" for i in range(5, MAX_KEPT + 5)]  # the newest ones

    kept = {}
    for i in range(MAX_KEPT + 10):
        keep(kept, f"s{i}", Pending(chat_id=1, saving=RUN))  # all in flight: none may go
    keep(kept, "new", Pending(chat_id=1))  # nor the one just asked about
    assert len(kept) == MAX_KEPT + 11
    keep(kept, "stale", Pending(chat_id=1, saving="a-process-that-restarted"))
    assert "new" not in kept
    assert "stale" in kept
    assert all(f"s{i}" in kept for i in range(MAX_KEPT + 10))
