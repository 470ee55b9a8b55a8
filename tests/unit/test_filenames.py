from datetime import UTC, datetime

import pytest

from crm_core.filenames import (
    MAX_NAME_BYTES,
    MAX_NAME_CHARS,
    clean_name,
    made_up_name,
    object_key,
    safe_file_name,
)
from crm_core.storage import is_crm_key

WHEN = datetime(2026, 11, 23, 10, 15, 0, 123456, tzinfo=UTC)


def safe(raw: str | None, mime: str | None = "application/pdf", kind: str = "document") -> str:
    return safe_file_name(raw, kind=kind, mime_type=mime, when=WHEN)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("quote.pdf", "quote.pdf"),
        ("../../etc/passwd", "etc_passwd.pdf"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/abs/path.pdf", "abs_path.pdf"),
        ("a..b.pdf", "a.b.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # the override is gone, the truth shows
        ("\u2066quote\u2069.pdf", "quote.pdf"),
        ("line\nbreak\t.pdf", "linebreak.pdf"),
        ("nul\x00byte.pdf", "nulbyte.pdf"),
        ("Сделка №5.pdf", "Сделка №5.pdf"),  # Unicode kept
        ("見積書.pdf", "見積書.pdf"),
        ('what?<>:"|*.pdf', "what_______.pdf"),
        ("  spaced   out  .pdf", "spaced out .pdf"),
        ("trailing dot.", "trailing dot.pdf"),
        ("quote", "quote.pdf"),  # the MIME type's extension when there is none
    ],
)
def test_names_are_made_safe(raw, expected):
    assert safe(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "..", "/", "\u202e", "...///", " . "])
def test_nothing_left_gives_a_made_up_name(raw):
    assert safe(raw, mime="image/jpeg", kind="photo") == "photo_2026-11-23_101500.jpg"


def test_made_up_names_from_kind_and_mime():
    assert made_up_name("voice", "audio/ogg", WHEN) == "voice_2026-11-23_101500.ogg"
    assert made_up_name("document", None, WHEN) == "document_2026-11-23_101500"
    assert made_up_name("Quote", "application/pdf", WHEN) == "quote_2026-11-23_101500.pdf"


def test_octet_stream_adds_no_extension():
    assert safe("notes", mime="application/octet-stream") == "notes"


@pytest.mark.parametrize("stem", ["a" * 300, "é" * 300, "見" * 300])
def test_long_names_are_capped_keeping_the_extension(stem):
    name = safe(stem + ".pdf")
    assert name.endswith(".pdf")
    assert len(name) <= MAX_NAME_CHARS
    assert len(name.encode()) <= MAX_NAME_BYTES


def test_a_cleaned_name_has_no_separators_or_dot_dot():
    for raw in ["../../etc/passwd", "a/../../b", "....//....//x", "..\\..\\x"]:
        name = clean_name(raw)
        assert "/" not in name
        assert "\\" not in name
        assert ".." not in name


def test_object_key_shape():
    key = object_key(7, safe("../../etc/passwd"), WHEN)
    assert key == "crm/contact_7/20261123T101500123456Z_etc_passwd.pdf"
    assert is_crm_key(key)
    assert not is_crm_key("crm/contact_7/../x")
