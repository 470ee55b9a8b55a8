"""Renderers are pure: objects in, HTML and keyboards out. Checked against the double's own
Telegram HTML parser, so what passes here is what Telegram would accept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.callbacks import MAX_BYTES, Cb, StaleButton, pattern
from bot.views.cards import card_keyboard, delete_prompt, notes_page, render_card, stage_keyboard
from bot.views.common import escaped_pieces, split_message
from bot.views.lists import list_keyboard, render_list, search_results
from crm_core.models import Contact, Note, User
from crm_core.services.cards import ContactCard
from crm_core.services.listing import ContactFilter, Page, View
from sandbox import parse_html

TZ = ZoneInfo("Europe/London")
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
HOSTILE = '<b>Bob & "Co"</b> _*[x]'


def contact(**fields: object) -> Contact:
    base: dict[str, object] = {
        "id": 7,
        "name": HOSTILE,
        "contact_type": "prevention_prospect",
        "current_stage": "quote_sent",
        "status": "active",
        "urgency_level": "normal",
        "total_revenue": Decimal(0),
        "total_jobs_referred": 0,
        "stage_changed_at": NOW,
        "owner": User(id=1, display_name="Alice <admin>", telegram_user_id=1),
    }
    base.update(fields)
    return Contact(**base)


def note(content: str, **fields: object) -> Note:
    return Note(
        id=fields.get("id", 1),
        note_type="call",
        content=content,
        created_at=NOW,
        author=User(id=1, display_name="Alice", telegram_user_id=1),
    )


def plain(html: str) -> str:
    text, _entities = parse_html(html)
    return text


def test_card_escapes_user_data_and_marks_overdue() -> None:
    c = contact(
        next_followup_date=date(2026, 11, 20), email="a@b.com", potential_value=Decimal("1500")
    )
    card = ContactCard(c, [note("<script>alert(1)</script> & more")], note_count=1, file_count=2)
    text = plain(render_card(card, TODAY, TZ))
    assert HOSTILE in text
    assert "OVERDUE by 3 days" in text
    assert "<script>alert(1)</script> & more" in text
    assert "Quote Sent" in text
    assert "Owner: Alice <admin>" in text
    assert "Files: 2" in text
    assert "£1,500" in text


def test_card_cuts_long_notes_and_stays_under_telegram_limit() -> None:
    notes = [note("&" * 4096, id=i) for i in range(3)]
    card = ContactCard(contact(property_address="x" * 500), notes, note_count=3, file_count=0)
    html = render_card(card, TODAY, TZ)
    text = plain(html)
    assert len(text) <= 4096
    assert "…" in text


def test_notes_view_splits_long_notes_whole_and_valid() -> None:
    notes = [note(("line & <x>\n" * 400)[:4096], id=i) for i in range(5)]
    messages, markup = notes_page(contact(), notes, total=12, offset=0, tz=TZ, page_size=5)
    assert len(messages) > 1
    for m in messages:
        assert len(plain(m)) <= 4096
    # nothing is cut: every "<x>" of every note is shown somewhere
    assert sum(plain(m).count("<x>") for m in messages) == 5 * notes[0].content.count("<x>")
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert "Older »" in labels
    assert "« Newer" not in labels


def test_escaped_pieces_never_split_an_entity() -> None:
    pieces = escaped_pieces("a&b" * 1000, 100)
    for p in pieces:
        assert len(p) <= 100
        plain(p)  # raises if an entity was cut in half
    assert "".join(plain(p) for p in pieces) == "a&b" * 1000


def test_split_message_respects_limit() -> None:
    parts = ["x" * 3000, "y" * 3000, "z" * 5000]
    out = split_message(parts, 4096)
    assert all(len(m) <= 4096 for m in out)
    assert "".join(out).replace("\n", "") == "x" * 3000 + "y" * 3000 + "z" * 5000


def test_callback_codec_round_trip_and_limits() -> None:
    cb = Cb("stgset", 2_000_000_000, "thinking_about_it")
    assert Cb.decode(cb.encode()) == cb
    assert len(cb.encode().encode()) <= MAX_BYTES
    with pytest.raises(ValueError, match="64"):
        Cb("add", 1, "v:" + "€" * 30).encode()
    for bad in [
        "",
        "nonsense",
        "open:x:",
        "OPEN:1:",
        None,
        "open:²:",
        "open:2147483648:",
        "open:" + "9" * 30 + ":",
    ]:
        with pytest.raises(StaleButton):
            Cb.decode(bad)
    assert pattern("stg").match("stg:1:")
    assert not pattern("stg").match("stgset:1:x")


def test_every_keyboard_fits_telegram_limits() -> None:
    c = contact()
    keyboards = [card_keyboard(7, 10), stage_keyboard(c)]
    page = Page(
        items=[contact(id=i, name=f"Name {i} " + "é" * 80) for i in range(10)],
        total=95,
        page=2,
        page_size=10,
    )
    flt = ContactFilter(view=View.MINE)
    keyboards.append(list_keyboard(page, flt))
    _text, markup = search_results("x", page.items)
    assert markup is not None
    keyboards.append(markup)
    for kb in keyboards:
        buttons = [b for row in kb.inline_keyboard for b in row]
        assert len(buttons) <= 100
        for b in buttons:
            assert 1 <= len(b.callback_data.encode()) <= 64
    labels = [b.text for row in keyboards[2].inline_keyboard for b in row]
    assert "« Prev" in labels
    assert "Next »" in labels
    assert "👥 Show team" in labels


def test_stage_keyboard_marks_current_stage() -> None:
    labels = [b.text for row in stage_keyboard(contact()).inline_keyboard for b in row]
    assert "✅ Quote Sent" in labels
    assert "Won" in labels
    assert "Paid" not in labels


def test_list_text_and_delete_prompt() -> None:
    page = Page(items=[contact(next_followup_date=TODAY)], total=1, page=1, page_size=10)
    text = plain(render_list(page, ContactFilter(), TODAY))
    assert HOSTILE in text
    assert "(today)" in text
    card = ContactCard(contact(), [], note_count=1, file_count=3)
    assert "its 1 note and 3 files?" in plain(delete_prompt(card))
