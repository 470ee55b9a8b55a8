"""Contacts to and from CSV: the operator CLI and the bot's /export share this module.

The columns are the contact's own fields plus ``owner`` (the admin's Telegram user id). Export
writes keys and canonical forms (ISO dates, two-decimal money, E.164 phones), so that
export -> import -> export gives the same bytes.

Import reads every row before writing anything, and creates contacts through
``create_contact``, so a CSV row is validated exactly like a contact typed into the bot. Each
row is tried inside a savepoint: a bad row leaves nothing behind, and the good rows are kept
(``skip_bad=True``) or, by default, the whole import is refused with every bad row listed.

Duplicates follow /add's rules (``find_duplicates``: the same email or phone, or a very similar
name at the same company), against the database and the rows before in the file; a row that
is identical to a live contact (what exporting and re-importing gives) is one too. They are
skipped and reported by line unless ``allow_duplicates``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.errors import CRMError, ValidationError
from crm_core.fields import CSV_FIELDS, Field, Kind
from crm_core.models import Contact, User
from crm_core.services.contacts import Duplicate, create_contact, find_duplicates, live
from crm_core.services.users import find_user

#: The CSV columns, in order. ``owner`` is the admin's Telegram user id (or name, on import).
COLUMNS: tuple[str, ...] = tuple(f.key for f in CSV_FIELDS)
REQUIRED_COLUMNS: tuple[str, ...] = ("name", "contact_type")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class RowError:
    """One row that can't be imported: its line in the file and a sentence saying why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    contact_ids: list[int] = field(default_factory=list)
    #: Rows left out (only ever non-empty with ``skip_bad=True``).
    skipped: list[RowError] = field(default_factory=list)
    #: Rows not imported because they duplicate a contact (none with ``allow_duplicates``).
    duplicates: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.contact_ids)


class NoAdmins(CRMError):  # noqa: N818
    """There is no active admin to own imported contacts (said once, not on every row)."""


class _DuplicateRow(Exception):  # noqa: N818 - control flow: rolls the row's savepoint back
    def __init__(self, found: Duplicate) -> None:
        self.found = found


class CSVImportError(CRMError):
    """The file has bad rows and nothing was imported. ``errors`` lists them in file order."""

    def __init__(self, errors: list[RowError]) -> None:
        noun = "row" if len(errors) == 1 else "rows"
        super().__init__(f"{len(errors)} bad {noun}; nothing was imported.")
        self.errors = errors


# --- export ---------------------------------------------------------------------------------


def export_contacts(session: Session, out: TextIO, contacts: Iterable[Contact]) -> int:
    """Write a header and one row per contact to ``out`` (open it with ``newline=""``).
    Returns the number of contacts written."""
    owners = dict(session.execute(select(User.id, User.telegram_user_id)).all())
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for contact in contacts:
        writer.writerow(_row_of(contact, owners))
        count += 1
    return count


#: Spreadsheets run a cell that starts with one of these as a formula ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(text: str | None) -> str:
    """Free text as a spreadsheet shows it but never runs it: a leading apostrophe, which
    import takes off again (so export -> import -> export stays identical)."""
    text = text or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _unsafe_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


#: The free-text columns a person typed (others are validated keys, numbers, dates, E.164).
_TEXT_COLUMNS = tuple(f.key for f in CSV_FIELDS if f.kind is Kind.TEXT)


def _row_of(contact: Contact, owners: Mapping[int, int]) -> list[str]:
    return [_cell(f, getattr(contact, f.column), owners) for f in CSV_FIELDS]


def _cell(field: Field, value: Any, owners: Mapping[int, int]) -> str:
    if value is None:
        return ""
    if field.kind is Kind.ADMIN:
        return str(owners[value])
    if field.kind is Kind.TEXT:
        return _safe_cell(value)
    if field.kind is Kind.MONEY:
        return _money(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{Decimal(value).quantize(Decimal('0.01'))}"


# --- import ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    owner_id: int
    data: dict[str, Any]


def import_contacts(
    session: Session,
    source: Iterable[str],
    *,
    today: date,
    default_owner_id: int | None = None,
    skip_bad: bool = False,
    allow_duplicates: bool = False,
    now: datetime | None = None,
) -> ImportResult:
    """Create a contact for every row of a CSV (``source``: an open text file or lines).

    Rows without an owner go to ``default_owner_id``, else to the first active admin; with no
    active admin at all, ``NoAdmins``. Raises ``CSVImportError`` listing every bad row, having
    written nothing, unless ``skip_bad``. Duplicates are left out and listed in the result
    unless ``allow_duplicates``. The caller commits."""
    if default_owner_id is None and session.scalar(select(User.id).where(User.active)) is None:
        raise NoAdmins(
            "There is no admin to own the contacts: set ADMIN_CHAT_IDS (e.g. 111111111:Sam) "
            "and import again."
        )
    errors: list[RowError] = []
    duplicates: list[RowError] = []
    rows = _parse(session, source, default_owner_id, errors)
    created: list[int] = []
    lines: dict[int, int] = {}  # contacts made by this import -> their line
    for row in rows:
        try:
            with session.begin_nested():
                contact = create_contact(session, row.owner_id, row.data, today=today, now=now)
                if not allow_duplicates:
                    found = _first_duplicate(session, contact)
                    if found is not None:
                        raise _DuplicateRow(found)
        except ValidationError as err:
            errors.append(RowError(row.line, err.message))
            continue
        except _DuplicateRow as dup:
            duplicates.append(RowError(row.line, _describe(dup.found, lines)))
            continue
        created.append(contact.id)
        lines[contact.id] = row.line
    errors.sort(key=lambda e: e.line)
    if errors and not skip_bad:
        raise CSVImportError(errors)
    return ImportResult(contact_ids=created, skipped=errors, duplicates=duplicates)


def _first_duplicate(session: Session, contact: Contact) -> Duplicate | None:
    """/add's duplicate rules for a contact just made, or else a live contact identical to it
    in every exported column (an export imported back)."""
    found = find_duplicates(
        session,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        company=contact.company,
        exclude_id=contact.id,
    )
    if found:
        return found[0]
    owners = dict(session.execute(select(User.id, User.telegram_user_id)).all())
    row = _row_of(contact, owners)
    same_name = session.scalars(
        select(Contact).where(
            live(), Contact.name_key == contact.name_key, Contact.id != contact.id
        )
    )
    for other in same_name:
        if _row_of(other, owners) == row:
            return Duplicate(other, "identical")
    return None


def _describe(found: Duplicate, lines: dict[int, int]) -> str:
    line = lines.get(found.contact.id)
    where = f"line {line}" if line else f"{found.contact.name}, already in the CRM"
    if found.reason == "identical":
        return f"The same contact as {where}."
    return f"A duplicate of {where} ({found.reason})."


def _parse(
    session: Session,
    source: Iterable[str],
    default_owner_id: int | None,
    errors: list[RowError],
) -> list[_Row]:
    reader = csv.reader(source)
    try:
        header = next(reader)
    except StopIteration:
        raise CSVImportError([RowError(1, "The file is empty: it needs a header row.")]) from None
    except csv.Error as err:
        raise CSVImportError([RowError(1, f"This isn't a readable CSV file: {err}.")]) from None
    columns = [_header_name(h, first=i == 0) for i, h in enumerate(header)]
    _check_header(columns)
    owners = _OwnerLookup(session, default_owner_id)
    rows: list[_Row] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            errors.append(RowError(start, f"This row can't be read as CSV: {err}."))
            break
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue  # blank lines (spreadsheets leave them at the end)
        if len(values) != len(columns):
            errors.append(
                RowError(
                    start,
                    f"This row has {len(values)} values but the header has {len(columns)} "
                    "columns.",
                )
            )
            continue
        try:
            rows.append(_Row(start, *_convert(dict(zip(columns, values, strict=True)), owners)))
        except ValidationError as err:
            errors.append(RowError(start, err.message))
    return rows


def _header_name(raw: str, *, first: bool) -> str:
    if first:
        raw = raw.removeprefix("\ufeff")  # a byte-order mark left by a spreadsheet
    return raw.strip().lower()


def _check_header(columns: list[str]) -> None:
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise CSVImportError(
            [
                RowError(
                    1,
                    f"Unknown column {unknown[0]!r}: the columns are {', '.join(COLUMNS)}.",
                )
            ]
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise CSVImportError([RowError(1, f"The header has no {missing[0]!r} column.")])
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise CSVImportError([RowError(1, f"The column {repeated[0]!r} appears twice.")])


def _convert(values: dict[str, str], owners: _OwnerLookup) -> tuple[int, dict[str, Any]]:
    """The CSV-only parts of a row (the date format, the owner). The rest, types and stages by
    key or display name included, goes through the validation every contact goes through."""
    data: dict[str, Any] = {
        k: _unsafe_cell(v) if k in _TEXT_COLUMNS else v for k, v in values.items() if k != "owner"
    }
    followup = data.get("next_followup_date", "").strip()
    if followup:
        if not _ISO_DATE.fullmatch(followup):
            raise ValidationError(
                "next_followup_date",
                f"The follow-up date {followup!r} must be written as YYYY-MM-DD.",
            )
        try:
            data["next_followup_date"] = date.fromisoformat(followup)
        except ValueError:
            raise ValidationError(
                "next_followup_date", f"The follow-up date {followup!r} doesn't exist."
            ) from None
    else:
        data["next_followup_date"] = None
    return owners.resolve(values.get("owner", "")), data


class _OwnerLookup:
    """An owner column value -> user id, each distinct value looked up once."""

    def __init__(self, session: Session, default_owner_id: int | None) -> None:
        self._session = session
        self._default_id = default_owner_id
        self._cache: dict[str, int | str] = {}  # a user id, or why there is none

    def resolve(self, raw: str) -> int:
        key = raw.strip()
        if key not in self._cache:
            try:
                self._cache[key] = self._lookup(key)
            except ValidationError as err:
                self._cache[key] = err.message
        found = self._cache[key]
        if isinstance(found, str):
            raise ValidationError("owner", found)
        return found

    def _lookup(self, key: str) -> int:
        if not key:
            return self._default()
        user = find_user(self._session, key)
        if not user.active:
            raise ValidationError("owner", f"The admin {key!r} is no longer active.")
        return user.id

    def _default(self) -> int:
        if self._default_id is not None:
            return self._default_id
        first = self._session.scalar(select(User.id).where(User.active).order_by(User.id))
        if first is None:
            raise ValidationError("owner", "There is no active admin to own the contacts.")
        return first
