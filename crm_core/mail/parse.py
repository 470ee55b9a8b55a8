"""Reading mail: envelope addresses and subjects, a short plain-text snippet, attachments.

Pure functions over what IMAPClient returns and the standard library's ``email`` package. Mail
comes in any shape (HTML only, unknown charsets, broken encodings): nothing here raises on bad
content; undecodable text is replaced, unknown charsets are read as UTF-8.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from html.parser import HTMLParser
from typing import Any

SNIPPET_MAX = 500
_BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"}
# Where a reply's quoted original starts (Gmail, Apple Mail, Outlook), or a signature.
_CUT_AT = re.compile(
    r"^(On .{0,200}wrote:|-----\s*Original Message\s*-----|_{8,}|From: .+|-- ?|Sent from my .+)$",
    re.IGNORECASE,
)


def normalise_address(address: str) -> str:
    """The form addresses are compared in: trimmed and lower-cased (as SQL's lower() does, so
    the database can compare them too)."""
    return address.strip().strip("<>").lower()


def decode_words(raw: bytes | str | None) -> str:
    """A header value with its RFC 2047 encoded words decoded; never raises."""
    if raw is None:
        return ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        return str(make_header(decode_header(text))).strip()
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        return text.strip()


def envelope_addresses(addresses: Iterable[Any] | None) -> list[tuple[str, str]]:
    """(display name, address) of each IMAPClient ``Address`` (groups are skipped)."""
    found = []
    for item in addresses or ():
        if not item.mailbox or not item.host:
            continue
        mailbox = item.mailbox.decode("utf-8", "replace")
        host = item.host.decode("utf-8", "replace")
        found.append((decode_words(item.name), f"{mailbox}@{host}"))
    return found


def format_address(name: str, address: str) -> str:
    return f"{name} <{address}>" if name else address


def message_key(message_id: bytes | str | None, when: datetime, sender: str, subject: str) -> str:
    """The Message-ID, or (none given) a hash of date, sender and subject: the same message read
    from two mailboxes, or twice from one, gets the same key."""
    text = message_id.decode("utf-8", "replace") if isinstance(message_id, bytes) else message_id
    text = (text or "").strip()
    if text:
        return text[:255]
    digest = hashlib.sha256(f"{when.isoformat()}|{sender.casefold()}|{subject}".encode())
    return "sha256:" + digest.hexdigest()


def as_utc(when: datetime | None, fallback: datetime) -> datetime:
    if when is None:
        return fallback
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclass(frozen=True)
class Attachment:
    name: str
    mime_type: str
    data: bytes


@dataclass(frozen=True)
class Body:
    snippet: str
    attachments: list[tuple[str, int]]


def read_message(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.default)


def summarise(raw: bytes) -> Body:
    """The snippet (at most ``SNIPPET_MAX`` characters) and attachment names and sizes."""
    message = read_message(raw)
    return Body(
        snippet=snippet_of(message),
        attachments=[(a.name, len(a.data)) for a in attachments_of(message)],
    )


def snippet_of(message: Message) -> str:
    plain = html = None
    for part in message.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _text_of(part)
        elif kind == "text/html" and html is None:
            html = _text_of(part)
    text = plain if plain and plain.strip() else html_to_text(html or "")
    return cut_quoted(text)


def attachments_of(message: Message) -> list[Attachment]:
    found = []
    for part in message.walk():
        if part.is_multipart() or not _is_attachment(part):
            continue
        data = part.get_payload(decode=True)
        name = decode_words(part.get_filename()) or "attachment"
        found.append(
            Attachment(name, part.get_content_type(), data if isinstance(data, bytes) else b"")
        )
    return found


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or bool(part.get_filename())


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # a charset Python doesn't know
        return payload.decode("utf-8", "replace")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head", "title"}:
            self._skip += 1
        elif tag == "blockquote":
            self.parts.append("\n> ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head", "title"} and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # hopeless markup: keep what was read
        pass
    return "".join(parser.parts)


def cut_quoted(text: str) -> str:
    """The new part of a message: quoted replies and signatures cut, whitespace tidied, at most
    ``SNIPPET_MAX`` characters."""
    kept: list[str] = []
    for raw_line in text.replace("\r\n", "\n").replace("\xa0", " ").split("\n"):
        line = " ".join(raw_line.split())
        if _CUT_AT.match(line) and kept:
            break
        if line.startswith(">"):
            continue
        if line or (kept and kept[-1]):
            kept.append(line)
    snippet = "\n".join(kept).strip()
    if len(snippet) > SNIPPET_MAX:
        snippet = snippet[: SNIPPET_MAX - 1].rstrip() + "…"
    return snippet
