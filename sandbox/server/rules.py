"""Telegram's rules the double enforces on parameters and texts: limits, error wordings, how a
form value is decoded, how a text or caption with its entities is checked."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from typing import Any

from ..html import EntityParseError, UnsupportedParseModeError, parse_entities, utf16_len
from .records import JSON, bad_request

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
CALLBACK_DATA_LIMIT = 64
INLINE_BUTTONS_LIMIT = 100
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
UPLOAD_LIMIT = 50 * 1024 * 1024  # multipart uploads by bots
PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WRONG_FILE_ID = "wrong file identifier/HTTP URL specified"

# Telegram's default when allowed_updates was never set (or set to []).
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
MESSAGE_UPDATE_KEYS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)
MEDIA_KINDS = ("photo", "document", "video", "audio", "voice")

# Form and multipart bodies carry every value as a string (PTB JSON-encodes non-strings);
# Telegram decodes each parameter by its declared type, and so does the double.
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "user_id",
        "offset",
        "limit",
        "cache_time",
        "max_connections",
        "duration",
        "width",
        "height",
    }
)
_FLOAT_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "show_alert",
        "drop_pending_updates",
        "has_spoiler",
        "show_caption_above_media",
        "supports_streaming",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "media",
        "message_ids",
        "menu_button",
    }
)


def decode_params(raw: Mapping[str, Any]) -> JSON:
    """Decode string parameters by their Bot API type (see _INT_FIELDS etc.)."""
    params: JSON = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _JSON_FIELDS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif key in _INT_FIELDS:
                with contextlib.suppress(ValueError):
                    value = int(value)
            elif key in _FLOAT_FIELDS:
                with contextlib.suppress(ValueError):
                    value = float(value)
            elif key in _BOOL_FIELDS:
                value = value.strip().lower() in ("true", "1")
        params[key] = value
    return params


def trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram strips leading and trailing whitespace from texts and captions."""
    stripped = text.strip(" \t\r\n\x0b\x0c")
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip(" \t\r\n\x0b\x0c"))])
    limit = utf16_len(stripped)
    kept: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def formatted(
    params: JSON,
    key: str,
    entities_key: str,
    *,
    limit: int,
    required: bool,
    too_long: str,
    strict_entities: bool,
    empty: str = "message text is empty",
) -> tuple[str, list[JSON]]:
    """``params[key]`` parsed by its parse_mode (or with its explicit entities), trimmed, and
    checked for emptiness and length as Telegram does."""
    raw = params.get(key)
    text = "" if raw is None else str(raw)
    explicit = params.get(entities_key)
    if explicit is not None:
        entities = check_entities(explicit, entities_key)
    else:
        try:
            text, entities = parse_entities(
                text, params.get("parse_mode"), strict_entities=strict_entities
            )
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc.reason}") from None
        except UnsupportedParseModeError:
            raise bad_request("unsupported parse_mode") from None
    text, entities = trim(text, entities)
    if required and not text:
        raise bad_request(empty)
    if utf16_len(text) > limit:
        raise bad_request(too_long)
    return text, entities


def message_text(params: JSON, *, strict_entities: bool) -> tuple[str, list[JSON]]:
    """A message's ``text`` and ``entities``: required, at most MESSAGE_LIMIT."""
    return formatted(
        params,
        "text",
        "entities",
        limit=MESSAGE_LIMIT,
        required=True,
        too_long="message is too long",
        strict_entities=strict_entities,
    )


def caption(params: JSON, *, strict_entities: bool) -> tuple[str, list[JSON]]:
    """A media message's ``caption`` and ``caption_entities``: optional, at most CAPTION_LIMIT."""
    return formatted(
        params,
        "caption",
        "caption_entities",
        limit=CAPTION_LIMIT,
        required=False,
        too_long="message caption is too long",
        strict_entities=strict_entities,
    )


def check_entities(value: Any, key: str) -> list[JSON]:
    """Explicit entities: a list of objects with a type, an offset and a length."""
    if not isinstance(value, list) or not all(
        isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in value
    ):
        raise bad_request(f"can't parse {key} JSON object")
    return [dict(e) for e in value]


_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


def looks_like_image(data: bytes) -> bool:
    return data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_])")


def command_entities(text: str) -> list[JSON]:
    """The bot_command entity Telegram adds to a message starting with /command."""
    match = _COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def media_kind(message: Mapping[str, Any]) -> str | None:
    """Which media a message carries (None: a text)."""
    return next((k for k in MEDIA_KINDS if k in message), None)


def update_type(update: Mapping[str, Any]) -> str:
    """An update's kind, as allowed_updates names it."""
    return next((key for key in update if key != "update_id"), "unknown")
