"""One-line quick add: "Jane Smith, jane@example.com, 07700 900123, eviction, fri, £1,500".

The line is cut into parts at commas (but not the thousands comma of "£1,500"), semicolons
and line breaks. The first part is the name, unless it is plainly an email address or a phone
number. Every other part is recognised by its shape (an email, a type word, an urgency word,
an amount, a follow-up date, a UK phone number, a property address, how they found us, a
company) and cleaned by
that field's own cleaner in ``crm_core.validation``. A part that matches no shape, fails its
cleaner, or would fill a field a second time is returned in ``unplaced``, for the caller to
show and keep: nothing typed is lost.

Shapes are checked before cleaners on purpose: dateparser reads almost anything as a date
("May", "2 Oak Rd"), so only a part that looks like a date is handed to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from crm_core.errors import ValidationError
from crm_core.stages import ContactType, Urgency, find_contact_type
from crm_core.validation import clean_field

#: Words (besides each type's key and label) that name a contact type.
TYPE_WORDS: dict[str, ContactType] = {
    "eviction": ContactType.EVICTION_CLIENT,
    "evictions": ContactType.EVICTION_CLIENT,
    "evict": ContactType.EVICTION_CLIENT,
    "prevention": ContactType.PREVENTION_PROSPECT,
    "prevent": ContactType.PREVENTION_PROSPECT,
    "prospect": ContactType.PREVENTION_PROSPECT,
    "cctv": ContactType.PREVENTION_PROSPECT,
    "security": ContactType.PREVENTION_PROSPECT,
    "partner": ContactType.REFERRAL_PARTNER,
    "referral": ContactType.REFERRAL_PARTNER,
    "referrer": ContactType.REFERRAL_PARTNER,
}
#: Words that set the urgency.
URGENCY_WORDS: dict[str, str] = {u.value: u.value for u in Urgency} | {
    "asap": Urgency.URGENT.value
}

# A thousands comma ("£1,500") sits between a digit and exactly three digits: not a cut.
_CUT = re.compile(r"[;\n]|,(?!(?<=\d,)\d{3}(?!\d))")
_DAY = (
    r"today|tomorrow|tmrw|mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
)
_MONTH = r"jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec"
_DATE = re.compile(
    # An optional lead-in that says what the date is for: "follow up fri", "call back 1/12".
    r"(?:(?:follow[ -]?up|f/u|call(?: back)?|chase)(?: on)? )?"
    r"(?P<date>"
    rf"(?:(?:next|this) )?(?:{_DAY})"
    r"|in \d{1,3} (?:day|week|month)s?|next (?:week|month)"
    r"|\d{1,2}[/.]\d{1,2}(?:[/.](?:\d{2}|\d{4}))?|\d{4}-\d{1,2}-\d{1,2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)? (?:{_MONTH})[a-z]*(?: \d{{4}})?"
    rf"|(?:{_MONTH})[a-z]* \d{{1,2}}(?:st|nd|rd|th)?(?: \d{{4}})?"
    r")"
    # A time of day may follow ("fri 9am", "tomorrow 14:00"); the date is what is kept.
    r"(?: (?:at )?\d{1,2}(?::\d{2})? ?(?:am|pm)?)?"
)
_AMOUNT = re.compile(r"£ ?\d[\d,]*(?:\.\d+)?k?|\d[\d,]*(?:\.\d+)?k")
_PHONE = re.compile(r"\+?[\d ()-]{7,}")
_POSTCODE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]? ?\d[a-z]{2}\b")
_STREET = re.compile(
    r"(?:flat|unit|apartment|apt) \d+[a-z]?$"
    r"|\d+[a-z]? .*\b(?:road|rd|street|st|avenue|ave|lane|ln|close|drive|dr|way|court|ct"
    r"|crescent|place|pl|terrace|grove|gardens|square|sq|hill|row|walk|mews|parade)\b\.?"
)
# "via Google", "found us on Facebook", or a channel's name on its own.
_HOW = re.compile(
    r"(?:via|found us (?:on|via|through)|heard (?:of us )?(?:on|via|from|through)) (?P<how>.+)"
    r"|(?P<channel>google|facebook|instagram|linkedin|website|checkatrade|yell|word of mouth"
    r"|repeat client)"
)
_COMPANY = re.compile(
    r"(?:^|\s)(?:ltd|limited|llp|plc|inc|& ?co|lettings?|estates?|agents?|agency|properties"
    r"|property|homes|housing|group|services|management|associates|holdings|investments"
    r"|developments|solicitors|council|trust|association|partnership)\.?(?=\s|$)"
)


@dataclass(frozen=True, slots=True)
class QuickAdd:
    """What a line gave: cleaned field values (as the cleaners return them) and the parts
    that went nowhere, as typed."""

    values: dict[str, Any]
    unplaced: tuple[str, ...]


def split_parts(text: str) -> list[str]:
    """The line's parts, trimmed, empty ones dropped."""
    return [p for p in (" ".join(part.split()) for part in _CUT.split(text)) if p]


def parse_quick_add(text: str, today: date) -> QuickAdd:
    """Read a one-line contact (see the module docstring)."""
    values: dict[str, Any] = {}
    unplaced: list[str] = []
    for index, part in enumerate(split_parts(text)):
        found = _recognise(part, today, first=index == 0)
        if found is None:
            unplaced.append(part)
            continue
        field, value = found
        if field == "property_address" and field in values:
            values[field] = clean_field(field, f"{values[field]}, {value}")
        elif field in values:
            unplaced.append(part)  # a second email, phone, type…: shown, never overwritten
        else:
            values[field] = value
    if values.get("contact_type") is ContactType.REFERRAL_PARTNER and "property_address" in values:
        unplaced.append(values.pop("property_address"))  # partners have no property address
    return QuickAdd(values, tuple(unplaced))


def _recognise(part: str, today: date, *, first: bool) -> tuple[str, Any] | None:
    """The field ``part`` fills and its cleaned value, or None."""
    low = part.casefold()
    field = _shape(part, low, first=first)
    if field is None:
        return None
    if field == "contact_type":
        return field, TYPE_WORDS.get(low) or find_contact_type(low)
    if field == "urgency_level":
        return field, URGENCY_WORDS[low]
    raw: Any = part
    if field == "next_followup_date" and (match := _DATE.fullmatch(low)):
        raw = low[match.start("date") :]  # without the lead-in ("follow up", "call back")
    if field == "how_found_us" and (match := _HOW.fullmatch(low)) and match["how"]:
        raw = part[match.start("how") :]  # "via Google": Google
    try:
        value = clean_field(field, raw, today=today)
    except ValidationError:
        return None
    return (field, value) if value not in (None, "") else None


def _shape(part: str, low: str, *, first: bool) -> str | None:
    """The field whose shape ``part`` has (``low`` is it casefolded)."""
    if "@" in part and " " not in part:
        return "email"
    if first:
        return "phone" if _is_phone(part) else "name"
    if low in TYPE_WORDS or find_contact_type(low) is not None:
        return "contact_type"
    if low in URGENCY_WORDS:
        return "urgency_level"
    if _AMOUNT.fullmatch(low):
        return "potential_value"
    if _DATE.fullmatch(low):
        return "next_followup_date"  # before the phone: "2026-12-01" has a phone's shape
    if _is_phone(part):
        return "phone"
    if _POSTCODE.search(low) or _STREET.match(low):
        return "property_address"
    if _HOW.fullmatch(low):
        return "how_found_us"
    if _COMPANY.search(low):
        return "company"
    return None


def _is_phone(part: str) -> bool:
    return bool(_PHONE.fullmatch(part)) and sum(c.isdigit() for c in part) >= 7
