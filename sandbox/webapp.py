"""Launching a Mini App the way Telegram does: the URL with ``#tgWebAppData=...`` init data
signed with the bot's token.

Telegram's recipe (core.telegram.org/bots/webapps, "Validating data received via the Mini
App"): the data-check-string is every ``key=value`` but ``hash``, sorted by key, joined by
newlines; the secret key is HMAC-SHA256 of the bot token keyed with ``"WebAppData"``; ``hash``
is the hex HMAC-SHA256 of the data-check-string under that secret key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode

WEB_APP_VERSION = "8.0"
#: Telegram's light theme, as a client passes it in ``tgWebAppThemeParams``.
THEME = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#3390ec",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
}


def sign(token: str, fields: dict[str, str]) -> str:
    """The ``hash`` Telegram puts in the init data ``fields`` for the bot with ``token``."""
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def init_data(
    token: str,
    user: dict[str, Any],
    *,
    chat_instance: str,
    auth_date: int | None = None,
    query_id: str | None = None,
) -> str:
    """``Telegram.WebApp.initData`` for ``user`` opening the app from a private chat."""
    fields = {
        "query_id": query_id or "AAH" + secrets.token_urlsafe(18),
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "chat_instance": chat_instance,
        "chat_type": "private",
        "auth_date": str(auth_date if auth_date is not None else int(time.time())),
    }
    fields["hash"] = sign(token, fields)
    return urlencode(fields, quote_via=quote)


def launch_url(url: str, data: str) -> str:
    """``url`` with the launch parameters in its fragment, as Telegram opens it."""
    fragment = urlencode(
        {
            "tgWebAppData": data,
            "tgWebAppVersion": WEB_APP_VERSION,
            "tgWebAppPlatform": "web",
            "tgWebAppThemeParams": json.dumps(THEME, separators=(",", ":")),
        },
        quote_via=quote,
    )
    return f"{url.split('#', 1)[0]}#{fragment}"
