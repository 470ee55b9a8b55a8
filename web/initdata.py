"""Telegram Mini App launch data (``initData``), checked exactly as Telegram documents it.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app

- the data-check string is every ``key=value`` pair except ``hash``, sorted by key and joined by
  ``\\n``, with the values as sent (URL-decoded, never re-encoded or parsed first);
- the secret key is HMAC-SHA256 of the bot token keyed with the bytes ``WebAppData``;
- ``hash`` is the hex HMAC-SHA256 of the data-check string under that secret, compared in
  constant time;
- ``auth_date`` is no older than the allowed age and not in the future.

Our own small function rather than a library: libraries have broken on names holding ``&``,
``%`` or ``=`` and on fields Telegram added later (``signature``, ``photo_url``): here every field
sent is signed, whatever its name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

#: Clocks disagree a little: an ``auth_date`` up to this many seconds ahead is not "future".
CLOCK_SKEW = 60
#: A Mini App's launch data is short; anything longer is not Telegram's.
MAX_LENGTH = 8192


class InitDataError(Exception):
    """Launch data that proves nothing. ``str()`` is a sentence fit for the API's answer."""


@dataclass(frozen=True, slots=True)
class InitData:
    """Checked launch data: who opened the Mini App, and when Telegram signed it."""

    user_id: int
    first_name: str
    auth_date: int
    fields: dict[str, str]


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram would put beside these fields (for tests and the sandbox)."""
    check = data_check_string(fields).encode()
    return hmac.new(secret_key(bot_token), check, hashlib.sha256).hexdigest()


def validate(raw: str, bot_token: str, *, max_age: int, now: datetime) -> InitData:
    """Check ``raw`` (the query string ``Telegram.WebApp.initData`` holds) or raise
    ``InitDataError``. The user is whoever Telegram says opened the app; whether they are an
    admin is for the caller to decide, at request time."""
    if not raw or len(raw) > MAX_LENGTH:
        raise InitDataError("Open this page from the bot in Telegram (no launch data).")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("The launch data can't be read.") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a repeated key: which one did Telegram sign?
        raise InitDataError("The launch data can't be read.")
    received = fields.get("hash", "")
    if not received:
        raise InitDataError("The launch data is not signed.")
    expected = sign(fields, bot_token)
    if not hmac.compare_digest(expected.encode(), received.encode()):
        raise InitDataError("The launch data's signature is wrong.")
    auth_date = fields.get("auth_date", "")
    if not auth_date.isascii() or not auth_date.isdigit():
        raise InitDataError("The launch data has no signing date.")
    age = int(now.timestamp()) - int(auth_date)
    if age < -CLOCK_SKEW:
        raise InitDataError("The launch data is dated in the future.")
    if age > max_age:
        raise InitDataError("The launch data has expired: open the app from the bot again.")
    user = _user(fields.get("user"))
    return InitData(
        user_id=user["id"],
        first_name=str(user.get("first_name") or ""),
        auth_date=int(auth_date),
        fields=fields,
    )


def _user(raw: str | None) -> dict[str, Any]:
    try:
        user = json.loads(raw or "")
    except ValueError:
        user = None
    if not isinstance(user, dict) or type(user.get("id")) is not int:
        raise InitDataError("The launch data names no user.")
    return user
