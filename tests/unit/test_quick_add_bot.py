"""The bot's side of quick add and forwards, without Telegram: when an answer is a whole
contact, the summary's "not recognised" line and the forward offer (checked against the
double's Telegram HTML parser), and whose name a forward origin carries."""

from __future__ import annotations

from datetime import UTC, date, datetime

from telegram import (
    Chat,
    Message,
    MessageOriginChannel,
    MessageOriginHiddenUser,
    MessageOriginUser,
    User,
)

from bot.actions import ADD_FORWARDED
from bot.callbacks import Cb
from bot.conversations.quick_add import after_command, as_quick_add, unplaced_line
from bot.features.forwarded import sender_name
from bot.views.forwarded import forward_offer
from sandbox import parse_html

TODAY = date(2026, 11, 23)
WHEN = datetime(2026, 11, 23, tzinfo=UTC)


def message(text: str) -> Message:
    return Message(1, WHEN, Chat(1, "private"), text=text)


def test_the_text_after_the_command():
    assert after_command(message("/add Jane Smith, eviction")) == "Jane Smith, eviction"
    assert after_command(message("/add@v3_bot\nJane, eviction")) == "Jane, eviction"
    assert after_command(message("/add")) is None
    assert after_command(message("/add   ")) is None
    assert after_command(None) is None


def test_which_answers_to_the_name_question_are_a_whole_contact():
    assert as_quick_add("Jane Smith", TODAY) is None
    assert as_quick_add("N" * 201, TODAY) is None  # the name question explains the limit
    assert as_quick_add("Jane Smith, eviction", TODAY) is not None
    assert as_quick_add("Smith, Jane", TODAY) is not None  # kept whole: "Jane" not recognised
    parsed = as_quick_add("jane@example.com", TODAY)
    assert parsed is not None
    assert parsed.values == {"email": "jane@example.com"}


def test_the_not_recognised_line_is_escaped_and_cut():
    assert unplaced_line([]) is None
    line = unplaced_line(["<b>rang</b> & left", "Leeds"])
    assert line is not None
    text, entities = parse_html(line)
    assert text == "Not recognised (kept as a note): <b>rang</b> & left · Leeds"
    assert entities == []
    long = unplaced_line(["x" * 5000])
    assert long is not None
    assert len(long) < 1100
    assert long.endswith("…")


def test_the_forward_offer():
    text, markup = forward_offer('Bob & "Co" <Ltd>', 77)
    plain, entities = parse_html(text)
    assert plain == '↪️ Forwarded from Bob & "Co" <Ltd>.'
    assert [e["type"] for e in entities] == ["bold"]
    [[only]] = markup.inline_keyboard
    assert only.text == "➕ Add as contact"
    assert Cb.decode(only.callback_data) == Cb(ADD_FORWARDED, 77)


def test_whose_name_a_forward_origin_carries():
    jane = User(5, "Jane", False, last_name="Smith")
    assert sender_name(MessageOriginUser(WHEN, jane)) == "Jane Smith"
    assert sender_name(MessageOriginUser(WHEN, User(6, "Cher", False))) == "Cher"
    assert sender_name(MessageOriginHiddenUser(WHEN, " Site team ")) == "Site team"
    assert sender_name(MessageOriginHiddenUser(WHEN, "  ")) is None
    assert sender_name(MessageOriginChannel(WHEN, Chat(-100, "channel"), 3)) is None
    assert sender_name(None) is None
