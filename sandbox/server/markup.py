"""Keyboards: Telegram's checks of ``reply_markup`` (inline and reply keyboards, buttons and their
one action), and the helpers tests use to read a message's inline keyboard."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .records import JSON, bad_request
from .rules import CALLBACK_DATA_LIMIT, INLINE_BUTTONS_LIMIT

#: Whether Telegram would open a WebAppInfo (the double's ``web_app_url_ok``).
WebAppCheck = Callable[[Any], bool]

INLINE_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def check_markup(
    value: Any, web_app_ok: WebAppCheck, *, inline_only: bool = False
) -> tuple[str, JSON] | None:
    """Validate reply_markup; returns (kind, normalized markup) or None."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(value, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in value:
        return "inline", {"inline_keyboard": inline_keyboard(value["inline_keyboard"], web_app_ok)}
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in value:
        rows = value["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise bad_request("keyboard button text must be non-empty")
        return "reply", value
    if value.get("remove_keyboard"):
        return "remove", value
    if value.get("force_reply"):
        return "force", value
    raise bad_request("can't parse reply keyboard markup JSON object")


def inline_keyboard(rows: Any, web_app_ok: WebAppCheck) -> list[list[JSON]]:
    """An inline keyboard's rows, every button checked."""
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > INLINE_BUTTONS_LIMIT:
        raise bad_request(
            f"REPLY_MARKUP_TOO_LONG (more than {INLINE_BUTTONS_LIMIT} inline buttons)"
        )
    return [[inline_button(button, web_app_ok) for button in row] for row in rows]


def inline_button(button: Any, web_app_ok: WebAppCheck) -> JSON:
    """One inline keyboard button checked as Telegram does, returned without null fields."""
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: object expected")
    if "text" not in button:
        raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
    if not isinstance(button["text"], str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_EMPTY: inline keyboard button text is empty")
    actions = [
        key
        for key in INLINE_BUTTON_ACTIONS
        if button.get(key) is not None and button.get(key) != ""
    ]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields "
            f"must be used, got {actions}"
        )
    check_button_action(actions[0], button[actions[0]], web_app_ok)
    return {k: v for k, v in button.items() if v is not None}


def check_button_action(action: str, value: Any, web_app_ok: WebAppCheck) -> None:
    """The button's one action (its callback data, Web App or link) as Telegram checks it."""
    if action == "callback_data" and (
        not isinstance(value, str) or not 1 <= len(value.encode()) <= CALLBACK_DATA_LIMIT
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    if action == "web_app" and not web_app_ok(value):
        raise bad_request(
            f"inline keyboard button Web App URL {value!r} is invalid: "
            "Only HTTPS links are allowed"
        )
    if action == "url" and (
        not isinstance(value, str)
        or not re.match(r"^(https?://[^\s/]+|tg://\S+)", value, re.IGNORECASE)
    ):
        raise bad_request("BUTTON_URL_INVALID")


def web_app_url_ok(web_app: Any, *, local: bool) -> bool:
    """A WebAppInfo whose URL Telegram would open (HTTPS; local HTTP when ``local``)."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str):
        return False
    if re.match(r"^https://[^\s/]+", url):
        return True
    return local and bool(re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?(/|$)", url))


# ------------------------------------------------------------------------- reading keyboards


def keyboard(message: Mapping[str, Any]) -> list[list[str]]:
    """Rows of inline button texts of ``message`` (empty if it has no inline keyboard)."""
    markup = message.get("reply_markup") or {}
    return [[button["text"] for button in row] for row in markup.get("inline_keyboard", [])]


def buttons(message: Mapping[str, Any]) -> list[str]:
    """Inline button texts of ``message``, row by row."""
    return [text for row in keyboard(message) for text in row]


def button_data(message: Mapping[str, Any]) -> dict[str, str]:
    """Inline button text -> callback_data (buttons without callback_data are left out)."""
    markup = message.get("reply_markup") or {}
    return {
        button["text"]: button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    }
