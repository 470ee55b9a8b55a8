"""The shapes a button's argument can take, each a parser that returns the typed value or
raises ``ValueError``; ``bot.actions`` declares which shape each action's argument has. The forms'
answer buttons (skip / cancel / a value / a quick date, and a few words of the forms' own)
share one grammar, ``Answer``, built by ``encode_answer`` and read by ``parse_answer``."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import Enum
from typing import TypeVar

from crm_core.fields import ADD_STEPS
from crm_core.schedule import QUICK_DATE
from crm_core.schedule import QuickDate as QuickDateChoice

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
E = TypeVar("E", bound=Enum)

ID_DIGITS = re.compile(r"\d{1,10}", re.ASCII)  # str.isdigit() takes "²", which int() refuses
#: The largest id or number a button can carry: ids are 32-bit in the database, and a number
#: past 64 bits can't even be bound to an SQLite query.
MAX_ID = 2**31 - 1


def no_arg(arg: str) -> None:
    """No argument at all."""
    if arg:
        raise ValueError(arg)


def number(arg: str) -> int:
    """A non-negative number (a page, an offset, an id, a count of days)."""
    if not ID_DIGITS.fullmatch(arg) or int(arg) > MAX_ID:
        raise ValueError(arg)
    return int(arg)


def text(arg: str) -> str:
    """Any non-empty text (a token, a key checked by the handler against live data)."""
    if not arg:
        raise ValueError("empty")
    return arg


def edit_flag(arg: str) -> bool:
    """``e``: redraw the message in place; nothing: send a new one."""
    if arg not in ("", "e"):
        raise ValueError(arg)
    return arg == "e"


def one_of(*words: str) -> Callable[[str], str]:
    """One of these words."""
    allowed = frozenset(words)

    def parse(arg: str) -> str:
        if arg not in allowed:
            raise ValueError(arg)
        return arg

    return parse


def enum_of(kind: type[E]) -> Callable[[str], E]:
    """A value of this enum."""

    def parse(arg: str) -> E:
        return kind(arg)  # ValueError if it isn't one

    return parse


def pair(first: Callable[[str], A], second: Callable[[str], B]) -> Callable[[str], tuple[A, B]]:
    """``<first>:<second>``."""

    def parse(arg: str) -> tuple[A, B]:
        a, sep, b = arg.partition(":")
        if not sep:
            raise ValueError(arg)
        return first(a), second(b)

    return parse


def optional(parse: Callable[[str], T]) -> Callable[[str], T | None]:
    """Nothing (None), or the shape given."""

    def parse_optional(arg: str) -> T | None:
        return parse(arg) if arg else None

    return parse_optional


def setting_value(arg: str) -> tuple[str, str]:
    """``t:HHMM`` a digest time, ``z:<Zone/Name>`` a timezone, ``d:<preset>`` the days,
    ``e:0|1`` whether an empty digest is sent."""
    kind, sep, value = arg.partition(":")
    if not sep or not value:
        raise ValueError(arg)
    if kind == "t":
        if not (len(value) == 4 and value.isascii() and value.isdecimal()):
            raise ValueError(arg)
        time(int(value[:2]), int(value[2:]))  # ValueError if it is no time of day
    elif kind == "e":
        one_of("0", "1")(value)
    elif kind not in ("z", "d"):
        raise ValueError(arg)
    return kind, value


def files_page(arg: str) -> int | None:
    """``p<N>``: that page of the list, redrawn in place; nothing: the first, sent anew."""
    if not arg:
        return None
    if not arg.startswith("p"):
        raise ValueError(arg)
    return number(arg[1:])


@dataclass(frozen=True, slots=True)
class ListEdge:
    """A Prev/Next button's edge: the page holds the contacts before/after this one."""

    before: bool
    contact_id: int


def list_edge(arg: str) -> ListEdge | None:
    """``a<id>``/``b<id>``: the page after/before that contact (keyset paging). Anything else
    (a button from before edges, tampered data) is None: the page by its number."""
    try:
        contact_id = number(arg[1:])
    except ValueError:
        return None
    return ListEdge(arg[:1] == "b", contact_id) if arg[:1] in ("a", "b") else None


# --- the forms' answers: one grammar --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Skip:
    """Skip (or clear) the field asked."""


@dataclass(frozen=True, slots=True)
class Cancel:
    """Leave the form."""


@dataclass(frozen=True, slots=True)
class QuickDate:
    """A date one tap away (``crm_core.schedule.QUICK_DATES``)."""

    choice: QuickDateChoice

    def on(self, today: date) -> date:
        """The date it means, from ``today``."""
        return today + timedelta(days=self.choice.days)


@dataclass(frozen=True, slots=True)
class Value:
    """A value tapped (a type, an urgency, an owner's id, a kind of note)."""

    text: str


@dataclass(frozen=True, slots=True)
class Partner:
    """A referral partner picked (the partner picker)."""

    contact_id: int


@dataclass(frozen=True, slots=True)
class FieldPick:
    """A field picked to change (the add form's summary)."""

    field: str


@dataclass(frozen=True, slots=True)
class Word:
    """One of a form's own buttons (``WORDS``)."""

    word: str


Answer = Skip | Cancel | QuickDate | Value | Partner | FieldPick | Word

#: The forms' own one-word buttons.
ANSWER_SAVE = Word("save")  # the add form's summary: save the contact
ANSWER_EDIT = Word("edit")  # the add form's summary: pick a field to change
ANSWER_BACK = Word("back")  # the add form's field list: back to the summary
ANSWER_DUPLICATE_OK = Word("dupok")  # the duplicate warning: carry on anyway
ANSWER_SAVE_NOW = Word("now")  # under an optional question: save with what's in
#: The duplicate warning: open that contact (id: the duplicate).
ANSWER_OPEN_DUPLICATE = Word("open")
PICK_PARTNER = Word("ref")  # "Referred by a partner": show the partner picker
PICKER_BACK = Word("refback")  # the partner picker's « Back: the question again
WORDS = frozenset(
    w.word
    for w in (
        ANSWER_SAVE,
        ANSWER_EDIT,
        ANSWER_BACK,
        ANSWER_DUPLICATE_OK,
        ANSWER_SAVE_NOW,
        ANSWER_OPEN_DUPLICATE,
        PICK_PARTNER,
        PICKER_BACK,
    )
)


def encode_answer(answer: Answer) -> str:
    """The argument of an answer's button (``parse_answer`` reads it back)."""
    match answer:
        case Skip():
            return "skip"
        case Cancel():
            return "cancel"
        case QuickDate(choice):
            return f"d:{choice.key}"
        case Value(value):
            return f"v:{value}"
        case Partner(contact_id):
            return f"rp:{contact_id}"
        case FieldPick(field):
            return f"f:{field}"
        case Word(word):
            return word


def parse_answer(arg: str) -> Answer:
    """The answer a form's button carries (``ValueError`` if none)."""
    if arg == "skip":
        return Skip()
    if arg == "cancel":
        return Cancel()
    if arg in WORDS:
        return Word(arg)
    kind, sep, rest = arg.partition(":")
    if not sep:
        raise ValueError(arg)
    if kind in ("d", "fu") and rest in QUICK_DATE:  # "fu:": older versions' follow-up buttons
        return QuickDate(QUICK_DATE[rest])
    if kind == "v":
        return Value(rest)
    if kind == "rp":
        return Partner(number(rest))
    if kind == "f" and rest in ADD_STEPS:
        return FieldPick(rest)
    raise ValueError(arg)


def answers(values: Collection[str] | None = None) -> Callable[[str], Answer]:
    """The answer grammar, with the values tapped limited to ``values`` when given."""

    def parse(arg: str) -> Answer:
        answer = parse_answer(arg)
        if values is not None and isinstance(answer, Value) and answer.text not in values:
            raise ValueError(arg)
        return answer

    return parse
