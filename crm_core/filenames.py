"""File names from phones, made safe to show and to use inside an object key.

A name sent with a file is untrusted: it may try to climb out of a folder (``../../etc/passwd``),
hide its real extension behind a right-to-left override (``invoice\u202egpj.exe`` shows as
``invoiceexe.jpg``), carry control characters, or be hundreds of characters long. What comes out
of :func:`safe_file_name` has none of that, keeps every other Unicode character (``Сделка.pdf``,
``見積書.pdf``) and fits in one path segment of any file system we store to.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from datetime import UTC, datetime

#: At most this many characters and UTF-8 bytes in a stored name (a file system allows 255
#: bytes per path segment; the key adds a timestamp in front).
MAX_NAME_CHARS = 120
MAX_NAME_BYTES = 180
_MAX_EXTENSION = 10

# Unicode categories dropped outright: controls (Cc), formats (Cf: bidi overrides and isolates,
# zero-width characters, soft hyphens), surrogates (Cs), line and paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Path separators and what Windows refuses in a name.
_REPLACED = re.compile(r'[/\\<>:"|?*]')
_DOTS = re.compile(r"\.{2,}")
_SPACES = re.compile(r"\s+")
_EXTENSION = re.compile(rf"\.[A-Za-z0-9]{{1,{_MAX_EXTENSION}}}$")

#: What ``mimetypes`` guesses badly or not at all.
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}


def extension_for(mime_type: str | None) -> str:
    """The usual extension of a MIME type, with its dot, or ``""`` when unknown."""
    if not mime_type:
        return ""
    mime = mime_type.split(";", 1)[0].strip().lower()
    return _EXTENSIONS.get(mime) or mimetypes.guess_extension(mime, strict=False) or ""


def made_up_name(kind: str, mime_type: str | None, when: datetime) -> str:
    """A name for a file that came without one (photos, voice notes), e.g.
    ``photo_2026-11-23_101500.jpg``; ``kind`` is the category or the Telegram media kind."""
    label = re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_") or "file"
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d_%H%M%S")
    return f"{label}_{stamp}{extension_for(mime_type)}"


def clean_name(raw: str | None) -> str:
    """``raw`` without anything unsafe; may come back empty."""
    if not raw:
        return ""
    text = unicodedata.normalize("NFC", raw)
    text = "".join(c for c in text if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    text = _REPLACED.sub("_", text)
    text = _DOTS.sub(".", text)  # no ".." anywhere, whatever the separators were
    text = _SPACES.sub(" ", text)
    # No hidden files, no name that is only punctuation; no trailing dot or space (Windows).
    text = text.lstrip(" ._-").rstrip(" .")
    if not any(c.isalnum() for c in text):
        return ""
    return _cap(text)


def _cap(name: str) -> str:
    """Shorten the stem so the name fits both limits, keeping the extension."""
    if len(name) <= MAX_NAME_CHARS and len(name.encode()) <= MAX_NAME_BYTES:
        return name
    match = _EXTENSION.search(name)
    ext = match.group(0) if match else ""
    stem = name[: len(name) - len(ext)]
    stem = stem[: MAX_NAME_CHARS - len(ext)]
    while stem and len((stem + ext).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    return (stem + ext) if stem else ext.lstrip(".")


def safe_file_name(raw: str | None, *, kind: str, mime_type: str | None, when: datetime) -> str:
    """The name to store and show: ``raw`` cleaned, or a made-up one when nothing is left.
    A cleaned name without an extension gets the MIME type's (``quote`` -> ``quote.pdf``)."""
    name = clean_name(raw)
    if not name:
        return made_up_name(kind, mime_type, when)
    if not _EXTENSION.search(name) and (mime_type or "") != "application/octet-stream":
        name = _cap(name + extension_for(mime_type))
    return name


def key_timestamp(when: datetime) -> str:
    """The UTC timestamp in front of an object key, to the microsecond: keys sort by upload
    time and two files of one album never share a key."""
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def object_key(contact_id: int, name: str, when: datetime) -> str:
    """``crm/contact_{id}/{UTC timestamp}_{safe name}`` (``name`` already safe)."""
    return f"{contact_prefix(contact_id)}{key_timestamp(when)}_{name}"


def contact_prefix(contact_id: int) -> str:
    return f"crm/contact_{int(contact_id)}/"
