"""Cleaning of every field a person can type. One cleaner per field, used by every front end.

Each cleaner takes raw text (or a value) and returns the stored form, or raises
``ValidationError`` with a sentence a phone user understands.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from crm_core.errors import ValidationError
from crm_core.models import EmailConfig, Job
from crm_core.stages import ContactType, Urgency, find_contact_type

#: Fields typed outside a contact (a contact's fields are in ``crm_core.fields``): a mailbox's
#: settings and a job's (issue 12). Lengths from their model columns, as the registry's are.
_OTHER_LABELS: dict[str, str] = {
    "imap_host": "Mail server",
    "job_title": "Job title",
    "value": "Job value",
}
_OTHER_COLUMNS = {
    "username": EmailConfig.__table__.c.username,
    "imap_host": EmailConfig.__table__.c.imap_host,
    "job_title": Job.__table__.c.title,
}
_OTHER_LENGTHS: dict[str, int] = {
    name: getattr(column.type, "length", None) or 500 for name, column in _OTHER_COLUMNS.items()
}
#: Telegram's own message limit: a note is never longer than what an admin can send.
NOTE_MAX_LENGTH = 4096
MAX_MONEY = Decimal("9999999999.99")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Unicode categories that show nothing: controls, formats (zero-width space and joiners, the
#: BOM, soft hyphen, bidi and tag characters), surrogates, unassigned code points, and every
#: separator (spaces of all widths, line and paragraph separators).
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Cn", "Zs", "Zl", "Zp"})


def _label(field: str) -> str:
    from crm_core.fields import LABELS  # here, not above: the registry imports these cleaners

    return LABELS.get(field) or _OTHER_LABELS.get(field) or field.replace("_", " ").capitalize()


def _max_length(field: str) -> int:
    from crm_core.fields import MAX_LENGTHS  # here, not above: see _label

    return MAX_LENGTHS.get(field) or _OTHER_LENGTHS.get(field) or 500


def _shows(char: str) -> bool:
    """Whether a character is visible on its own (a combining mark needs a letter to sit on)."""
    category = unicodedata.category(char)
    return category not in _INVISIBLE and not category.startswith("M")


def visible_text(raw: str | None) -> str:
    """``raw`` without invisible characters at either end; "" when nothing in it shows.
    Inside the text they stay: joiners shape Persian and Indic words and emoji sequences."""
    text = raw or ""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) in _INVISIBLE:
        start += 1
    while end > start and unicodedata.category(text[end - 1]) in _INVISIBLE:
        end -= 1
    text = text[start:end]
    return text if any(_shows(char) for char in text) else ""


def clean_text(field: str, raw: str | None, *, required: bool = False) -> str | None:
    """Trim (invisible characters too), drop control characters and enforce the field's
    length cap. Text with no visible character is blank."""
    text = visible_text(_CONTROL.sub("", unicodedata.normalize("NFC", raw or "")))
    label = _label(field)
    if not text:
        if required:
            raise ValidationError(field, f"{label} can't be empty.")
        return None
    limit = _max_length(field)
    if len(text) > limit:
        raise ValidationError(
            field, f"{label} is too long: {len(text)} characters, the limit is {limit}."
        )
    return text


def clean_name(raw: str | None) -> str:
    name = clean_text("name", " ".join((raw or "").split()), required=True)
    return name or ""  # never empty: required=True raised already


def clean_email(raw: str | None) -> str | None:
    text = visible_text(raw)
    if not text:
        return None
    if len(text) > 254:
        raise ValidationError("email", "That email address is too long.")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as err:
        reason = str(err).rstrip(".")
        reason = reason[:1].lower() + reason[1:]
        if "@" not in text:
            reason = "missing @"
        raise ValidationError(
            "email", f"That email address doesn't look right: {reason}."
        ) from None
    return result.normalized.lower()


def clean_phone(raw: str | None, region: str = "GB") -> str | None:
    text = visible_text(raw)
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "phone", "That phone number doesn't look right: use digits, e.g. 07700 900123."
        ) from None
    # "Possible" (right length for the region) rather than "valid": the library's list of
    # allocated ranges lags reality, and refusing a real client's number is worse. A number
    # only diallable locally (no area code, e.g. "0770") can't be called back: refuse it.
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValidationError(
            "phone", "That phone number doesn't look right: check the number of digits."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


#: An amount as people type it: "1500", "£1,500.50", "1.5k", "£2m", "1 500", "300 pounds".
#: Commas and spaces must group thousands: "1,50" is refused rather than read as 150.
_AMOUNT = re.compile(
    r"(?P<sign>-)?\s*(?:£|gbp)?\s*(?P<sign2>-)?\s*"
    r"(?P<number>(?:\d{1,3}(?:[, ]\d{3})+|\d+)(?:\.\d*)?(?:e\d+)?|\.\d+)"
    r"\s*(?P<suffix>k|m)?\s*(?:gbp|pounds?|quid)?",
    re.IGNORECASE,
)
_MULTIPLIERS = {"": Decimal(1), "k": Decimal(1000), "m": Decimal(1_000_000)}


def clean_money(field: str, raw: str | Decimal | int | float | None) -> Decimal | None:
    """GBP, non-negative, two decimals (pence rounded half up). Accepts '1500', '£1,250.50',
    '1.2k', '£2m', 'GBP 99.9', '300 pounds'."""
    label = _label(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    m = _AMOUNT.fullmatch(" ".join(str(raw).split()))
    if m is None:
        if "," in str(raw):
            raise ValidationError(
                field,
                f"{label} has a comma I can't read: a comma only goes between thousands "
                "(1,500), and pence come after a point (1.5 is £1.50).",
            )
        raise ValidationError(field, f"{label} must be an amount in pounds, e.g. 1500.")
    number = m["number"].replace(",", "").replace(" ", "")
    value = Decimal(number) * _MULTIPLIERS[(m["suffix"] or "").lower()]
    if m["sign"] or m["sign2"]:
        raise ValidationError(field, f"{label} can't be negative.")
    if value > MAX_MONEY:
        raise ValidationError(field, f"{label} is too large.")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def clean_count(field: str, raw: str | int | None) -> int:
    label = _label(field)
    text = str(raw if raw is not None else "0").strip() or "0"
    if not re.fullmatch(r"\d{1,9}", text):
        raise ValidationError(field, f"{label} must be a whole number, 0 or more.")
    return int(text)


def clean_contact_type(raw: str | ContactType | None) -> ContactType:
    ctype = find_contact_type(str(raw or ""))
    if ctype is None:
        raise ValidationError(
            "contact_type",
            "The type must be Eviction client, Prevention prospect or Referral partner.",
        )
    return ctype


def clean_urgency(raw: str | None) -> str:
    text = (raw or "").strip().lower()
    if not text:
        return Urgency.NORMAL.value
    if text not in {u.value for u in Urgency}:
        raise ValidationError("urgency_level", "Urgency must be low, normal, high or urgent.")
    return text


#: How far back a day/month without a year is still read as this year (a back-filled date).
BACKFILL_DAYS = 60
_DM = re.compile(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_ERROR = "I couldn't read that date. Try 2026-12-01, 1/12 (day/month), friday or in 2 weeks."


def parse_date(raw: str | date | None, today: date) -> date | None:
    """A follow-up date from what people type. Past dates are allowed (back-filling)."""
    if raw is None or isinstance(raw, date):
        return raw
    text = " ".join(raw.strip().lower().split())
    if not text:
        return None
    shortcuts = {"today": 0, "tomorrow": 1, "tmrw": 1, "yesterday": -1}
    if text in shortcuts:
        return today + timedelta(days=shortcuts[text])
    if m := _ISO.fullmatch(text):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DM.fullmatch(text):
        if m[3]:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return _safe_date(year, int(m[2]), int(m[1]))
        return _day_month(today, int(m[2]), int(m[1]))
    return _parse_words(text, today)


def _day_month(today: date, month: int, day: int) -> date:
    """A day and month without a year: this year's if it is at most ``BACKFILL_DAYS`` behind
    us (a missed follow-up being back-filled), else the next such date that exists ("5/1"
    typed in December is next January; "29/02" waits for the next leap year)."""
    for year in range(today.year, today.year + 9):  # leap years are at most 8 years apart
        try:
            value = date(year, month, day)
        except ValueError:
            continue
        if year > today.year or (today - value).days <= BACKFILL_DAYS:
            return value
    raise ValidationError("next_followup_date", _DATE_ERROR)


def _safe_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationError("next_followup_date", _DATE_ERROR) from None


def _parse_words(text: str, today: date) -> date:
    import dateparser

    base = datetime.combine(today, datetime.min.time()).replace(hour=12)
    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": base,
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if parsed is None:
        raise ValidationError("next_followup_date", _DATE_ERROR)
    return parsed.date()


def clean_followup(raw: str | date | None, today: date) -> date | None:
    value = parse_date(raw, today)
    if value is not None and not (date(2000, 1, 1) <= value <= today + timedelta(days=3650)):
        raise ValidationError("next_followup_date", "That date is too far away to be right.")
    return value


# A time of day inside a follow-up: "14:00", "9:30am", "9am", "9 pm", "at 14", "noon". Dotted
# forms ("14.30") are left out on purpose: "3.1" is a date (3 January).
_TIME_TOKEN = re.compile(
    r"(?:^|(?<=\s))(?:(?:at|@)\s*)?"
    r"(?:(?P<h>\d{1,2}):(?P<m>\d{2})\s*(?P<ap>am|pm)?"
    r"|(?P<h2>\d{1,2})\s*(?P<ap2>am|pm)"
    r"|(?:at|@)\s*(?P<h3>\d{1,2})"
    r"|(?P<noon>noon|midday))"
    r"(?=\s|$)"
)
_TIME_ERROR = "I couldn't read that time. Use the 24-hour clock, e.g. 14:00, or 2pm."


def _time_from_match(m: re.Match[str]) -> time:
    if m["noon"]:
        return time(12, 0)
    hour = int(m["h"] or m["h2"] or m["h3"])
    minute = int(m["m"] or 0)
    meridiem = m["ap"] or m["ap2"]
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValidationError("next_followup_date", _TIME_ERROR)
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValidationError("next_followup_date", _TIME_ERROR)
    return time(hour, minute)


def parse_time_of_day(raw: str, field: str = "digest_time") -> time:
    """A wall time typed on its own: "08:30", "7:05", "9am", "7.30pm" is not accepted."""
    text = " ".join((raw or "").strip().lower().split())
    m = _TIME_TOKEN.fullmatch(text)
    if not m:
        raise ValidationError(field, "Send a time as HH:MM, e.g. 07:30 or 18:00.")
    try:
        return _time_from_match(m)
    except ValidationError:
        raise ValidationError(field, "Send a time as HH:MM, e.g. 07:30 or 18:00.") from None


def parse_followup(raw: str | date | None, today: date) -> tuple[date | None, time | None]:
    """A follow-up date and, if one was typed, a time of day: "tomorrow 14:00", "friday 9am",
    "1/12 at 10", "14:00" (today). Without a time this is ``parse_date``."""
    if raw is None or isinstance(raw, date):
        return raw, None
    text = " ".join(raw.strip().lower().split())
    matches = list(_TIME_TOKEN.finditer(text))
    if len(matches) != 1:
        return parse_date(text, today), None
    m = matches[0]
    at = _time_from_match(m)
    rest = " ".join((text[: m.start()] + " " + text[m.end() :]).split())
    return (parse_date(rest, today) if rest else today), at


def clean_followup_at(raw: str | date | None, today: date) -> tuple[date | None, time | None]:
    """``clean_followup`` keeping the time of day; no date means no time either."""
    day, at = parse_followup(raw, today)
    day = clean_followup(day, today)
    return day, (at if day is not None else None)


def clean_field(field: str, raw: Any, *, today: date | None = None) -> Any:
    """Clean one contact field by name (its cleaner is in ``crm_core.fields``)."""
    from crm_core.fields import BY_KEY  # here, not above: see _label

    entry = BY_KEY.get(field)
    if entry is None or entry.clean is None:
        raise ValidationError(field, f"{field} can't be changed this way.")
    return entry.clean(field, raw, today or date.today())
