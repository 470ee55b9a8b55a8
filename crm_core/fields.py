"""The contact's fields, each once: what the add form asks, what Edit offers, what the card
shows, what a CSV holds and how typed text is cleaned all derive from ``FIELDS``.

Adding a field is one ``Field`` here plus a migration adding its column: the length cap is read
from the model's column, never restated. ``tests/unit/test_fields.py`` fails while a column of
``crm_contacts`` is in no entry (nor in ``INTERNAL``), or an entry names no column.

``FIELDS`` is in the order a person meets the fields: the add form asks them in this order and
the card shows its lines in this order. CSV columns (and the Edit list) follow ``csv``, the
documented column order of an export, which must never change for existing columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import String

from crm_core.models import Contact
from crm_core.stages import ContactType
from crm_core.validation import (
    clean_contact_type,
    clean_count,
    clean_email,
    clean_followup,
    clean_money,
    clean_name,
    clean_phone,
    clean_text,
    clean_urgency,
)


class Kind(Enum):
    """What a value is: decides how a CSV cell and a card line write it."""

    TEXT = "text"  # free text a person typed (a CSV cell is guarded against formulas)
    KEY = "key"  # a validated key or canonical form (a type, an E.164 phone, an email)
    CHOICE = "choice"  # one of a few keys, shown in capitals on the card (urgency)
    DATE = "date"
    MONEY = "money"
    COUNT = "count"
    ADMIN = "admin"  # a user id (the CSV writes the admin's Telegram user id)
    CONTACT = "contact"  # another contact's id (the card shows its name)


#: A cleaner: (field key, raw value, today) -> the stored value, or ``ValidationError``.
Cleaner = Callable[[str, Any, date], Any]


def _text(key: str, raw: Any, today: date) -> Any:
    return clean_text(key, raw)


def _money(key: str, raw: Any, today: date) -> Any:
    return clean_money(key, raw)


def _money_or_zero(key: str, raw: Any, today: date) -> Any:
    return clean_money(key, raw) or Decimal(0)


def _count(key: str, raw: Any, today: date) -> Any:
    return clean_count(key, raw)


def _dated(key: str, raw: Any, today: date) -> Any:
    return clean_followup(raw, today)


def _only(clean: Callable[[Any], Any]) -> Cleaner:
    """A cleaner that needs neither the key nor today."""
    return lambda key, raw, today: clean(raw)


ALL_TYPES = frozenset(ContactType)


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    label: str
    kind: Kind
    #: Turns typed or imported text into the stored value; None: not set by typing (stages
    #: change through their own service, the owner and referrer are picked from lists).
    clean: Cleaner | None = None
    #: The add form's and Edit's question (Telegram HTML); None: never asked.
    question: str | None = None
    optional: bool = True
    #: Asked by /add (in ``FIELDS`` order); else only offered by Edit.
    ask: bool = False
    #: Offered by the card's Edit.
    edit: bool = True
    #: The contact types the field applies to (the add form skips it for the others).
    types: frozenset[ContactType] = ALL_TYPES
    #: Position of its column in a CSV export (and of its button in Edit); None: not in a CSV.
    csv: int | None = None
    #: The label of its line on the card, shown when the value is set and not the column's
    #: default; None: no line of its own (the card's header shows it, or nothing does).
    card: str | None = None
    #: The model's column when it isn't ``key``.
    column_name: str | None = None

    @property
    def column(self) -> str:
        return self.column_name or self.key

    @property
    def max_length(self) -> int | None:
        """The column's length cap, as the model declares it."""
        column_type = Contact.__table__.c[self.column].type
        return column_type.length if isinstance(column_type, String) else None

    @property
    def default(self) -> Any:
        """The column's default value (a card leaves a field at its default out)."""
        default = Contact.__table__.c[self.column].default
        return getattr(default, "arg", None)


FIELDS: tuple[Field, ...] = (
    Field(
        "name",
        "Name",
        Kind.TEXT,
        clean=_only(clean_name),
        question="What's the contact's <b>name</b>?",
        optional=False,
        ask=True,
        csv=0,
    ),
    Field(
        "contact_type",
        "Type",
        Kind.KEY,
        clean=_only(clean_contact_type),
        question="What <b>type</b> of contact is this?",
        optional=False,
        ask=True,
        csv=4,
    ),
    Field(
        "email",
        "Email",
        Kind.KEY,
        clean=_only(clean_email),
        question="Their <b>email</b> address?",
        ask=True,
        csv=1,
        card="Email",
    ),
    Field(
        "phone",
        "Phone",
        Kind.KEY,
        clean=_only(clean_phone),
        question="Their <b>phone</b> number?",
        ask=True,
        csv=2,
        card="Phone",
    ),
    Field(
        "company",
        "Company",
        Kind.TEXT,
        clean=_text,
        question="Their <b>company</b> (letting agent, landlord business…)?",
        ask=True,
        csv=3,
        card="Company",
    ),
    Field(
        "property_address",
        "Property address",
        Kind.TEXT,
        clean=_text,
        question="The <b>property address</b>?",
        ask=True,
        types=ALL_TYPES - {ContactType.REFERRAL_PARTNER},
        csv=6,
        card="Property",
    ),
    Field(
        "service_type",
        "Service",
        Kind.TEXT,
        clean=_text,
        question="Which <b>service</b>? (e.g. CCTV, eviction, security patrol)",
        csv=7,
        card="Service",
    ),
    Field(
        "how_found_us",
        "How they found us",
        Kind.TEXT,
        clean=_text,
        question="<b>How did they find us</b>? (Google, referral, repeat client…)",
        ask=True,
        csv=5,
        card="Found us via",
    ),
    Field(
        "referred_by",
        "Referred by",
        Kind.CONTACT,
        edit=False,
        card="Referred by",
        column_name="referred_by_id",
    ),
    Field(
        "urgency_level",
        "Urgency",
        Kind.CHOICE,
        clean=_only(clean_urgency),
        question="How <b>urgent</b> is it?",
        ask=True,
        csv=8,
        card="Urgency",
    ),
    Field(
        "next_followup_date",
        "Next follow-up",
        Kind.DATE,
        clean=_dated,
        question=(
            "<b>Next follow-up</b>? Tap one, or type a date: 2026-12-01, 1/12, friday, "
            "in 2 weeks — add a time for a reminder: tomorrow 14:00, friday 9am."
        ),
        ask=True,
        csv=11,
    ),
    Field(
        "potential_value",
        "Potential value",
        Kind.MONEY,
        clean=_money,
        question="<b>Potential value</b> in £? (e.g. 1500)",
        ask=True,
        csv=12,
        card="Potential value",
    ),
    Field(
        "total_revenue",
        "Total revenue",
        Kind.MONEY,
        clean=_money_or_zero,
        question="<b>Total revenue</b> so far in £?",
        csv=13,
        card="Revenue so far",
    ),
    Field(
        "total_jobs_referred",
        "Jobs referred",
        Kind.COUNT,
        clean=_count,
        question="How many <b>jobs referred</b>? (a whole number)",
        csv=14,
        card="Jobs referred",
    ),
    Field("current_stage", "Stage", Kind.KEY, edit=False, csv=9),
    Field("status", "Status", Kind.KEY, edit=False, csv=10),
    Field(
        "owner",
        "Owner",
        Kind.ADMIN,
        question="Hand this contact to which admin?",
        optional=False,
        csv=15,
        column_name="owner_id",
    ),
)

#: Columns of ``crm_contacts`` that are no field of their own: ids and timestamps, what the
#: service derives (``search_text``, ``name_key``), the follow-up's time (typed with its date).
INTERNAL: frozenset[str] = frozenset(
    {
        "id",
        "search_text",
        "name_key",
        "next_followup_time",
        "stage_changed_at",
        "created_at",
        "updated_at",
        "deleted_at",
    }
)

BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
#: The same by the model's column (``referred_by_id`` for ``referred_by``).
BY_COLUMN: dict[str, Field] = {f.column: f for f in FIELDS}


def _in_csv_order(fields: tuple[Field, ...]) -> list[Field]:
    return sorted(fields, key=lambda f: len(FIELDS) if f.csv is None else f.csv)


# --- derived views (every consumer reads one of these) ------------------------------------

#: Fields a person may type (the contact service cleans these), in CSV order.
CONTACT_FIELDS: tuple[str, ...] = tuple(f.key for f in _in_csv_order(FIELDS) if f.clean)
#: The card's Edit list, in CSV order.
EDITABLE: tuple[str, ...] = tuple(f.key for f in _in_csv_order(FIELDS) if f.edit)
#: The add form's steps, in order.
ADD_STEPS: tuple[str, ...] = tuple(f.key for f in FIELDS if f.ask)
#: The CSV columns, in the documented order.
CSV_FIELDS: tuple[Field, ...] = tuple(f for f in _in_csv_order(FIELDS) if f.csv is not None)
#: The card's field lines, in order.
CARD_FIELDS: tuple[Field, ...] = tuple(f for f in FIELDS if f.card is not None)
LABELS: dict[str, str] = {f.key: f.label for f in FIELDS}
MAX_LENGTHS: dict[str, int] = {
    f.key: length for f in FIELDS if f.kind is Kind.TEXT and (length := f.max_length)
}


def applies(key: str, contact_type: str | None) -> bool:
    """Whether a field (by key, or by its column: a form may hold ``referred_by_id``) applies
    to a contact of this type (any, while the type is unknown)."""
    field = BY_KEY.get(key) or BY_COLUMN.get(key)
    if field is None:
        raise KeyError(f"no contact field {key!r}")
    return contact_type is None or contact_type in field.types
