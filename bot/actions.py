"""Every inline button's action, once: its code, what pressing it does, what its id is and the
shape of its argument.

A button's data is ``action:id:arg`` (``bot.callbacks.Cb``). Each ``Action`` below is the code
(a ``str``, so ``Cb(OPEN, contact_id)`` and ``pattern(OPEN)`` read as before) with a ``parse``
that turns the argument into a typed value. ``Cb.decode`` refuses an unknown action or an
argument that doesn't fit its shape with ``StaleButton``, and handlers read the typed value
with ``ACTION.arg(cb)``. Any ``StaleButton`` is answered in one place (``bot.handling.on_button``)
with one text (``texts.STALE_BUTTON``).

The id is a contact's unless the comment says otherwise. The forms' answer buttons (skip /
cancel / a value / a quick date, and a few words of their own) share one grammar: ``Answer``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from crm_core.fields import ADD_STEPS, EDITABLE
from crm_core.schedule import QUICK_DATE
from crm_core.schedule import QuickDate as QuickDateChoice
from crm_core.stages import FileCategory, JobStatus, NoteType

if TYPE_CHECKING:
    from bot.callbacks import Cb

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
E = TypeVar("E", bound=Enum)

_CODE = re.compile(r"[a-z][a-z0-9_]{0,11}")
ID_DIGITS = re.compile(r"\d{1,10}", re.ASCII)  # str.isdigit() takes "²", which int() refuses
#: The largest id or number a button can carry: ids are 32-bit in the database, and a number
#: past 64 bits can't even be bound to an SQLite query.
MAX_ID = 2**31 - 1


class StaleButton(ValueError):  # noqa: N818 (reads better at call sites)
    """A payload we can't read: an old bot version's button, or tampered data."""


#: Every action by its code; an ``Action`` registers itself (a code taken twice fails import).
REGISTRY: dict[str, Action[Any]] = {}


class Action(str, Generic[T]):
    """A button action's code, what it does (``doc``) and its argument's shape (``parse``,
    which raises ``ValueError`` for an argument that doesn't fit)."""

    doc: str
    parse: Callable[[str], T]

    def __new__(cls, code: str, doc: str, parse: Callable[[str], T]) -> Action[T]:
        if not _CODE.fullmatch(code):
            raise ValueError(f"bad action code {code!r}")
        if code in REGISTRY:
            raise ValueError(f"action code {code!r} registered twice")
        self = super().__new__(cls, code)
        self.doc = doc
        self.parse = parse
        REGISTRY[code] = self
        return self

    def arg(self, cb: Cb) -> T:
        """The typed argument of a button of this action (``StaleButton`` if it isn't one)."""
        if cb.action != self:
            raise StaleButton(f"{cb.action!r} is not {str(self)!r}")
        try:
            return self.parse(cb.arg)
        except ValueError as err:
            raise StaleButton(f"{self}: bad argument {cb.arg!r}") from err


# --- argument shapes ------------------------------------------------------------------------


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
ANSWER_OPEN_DUPLICATE = Word(
    "open"
)  # the duplicate warning: open that contact (id: the duplicate)
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


# --- the main menu and lists ----------------------------------------------------------------

MENU = Action(
    "menu", "a main-menu button (id: 0)", one_of("add", "find", "list", "today", "dash", "trash")
)
LIST_TYPE = Action("lt", "/list: filter by contact type (id: 0)", text)
LIST_STATUS = Action("ls", "/list: filter by status (id: 0)", text)
LIST_VIEW = Action("lv", "/list: mine or the team's (id: 0)", text)
LIST_PAGE = Action("lp", "/list: another page (id: the page number)", list_edge)
TRASH = Action(
    "trash", "/trash: a page of it (id: the page; arg: all = the whole)", optional(one_of("all"))
)
RESTORE = Action("rst", "/trash: restore the contact", no_arg)
PURGE = Action("pur", "/trash: ask before erasing the contact for good", no_arg)
PURGE_YES = Action("puryes", "/trash: erase the contact for good", no_arg)

# --- the card -------------------------------------------------------------------------------

OPEN = Action("open", "show the contact's card (arg: e = in place of this message)", edit_flag)
STAGE_MENU = Action("stg", "the card's Stage: the stages to move to", no_arg)
STAGE_SET = Action("stgset", "move the contact to a stage (arg: the stage key)", text)
STAGE_LOST = Action("stglost", "move to the lost stage, then ask why (arg: the stage key)", text)
LOST_SKIP = Action("lostno", "the lost-reason question's Skip: no reason kept", no_arg)
DELETE = Action("del", "the card's Delete: ask first", no_arg)
DELETE_YES = Action("dely", "Delete confirmed: to the trash", no_arg)
UNDO = Action("undo", "undo a delete: restore the contact", no_arg)
NOTES = Action("notes", "the contact's notes from an offset (arg: the offset)", number)
NOTE = Action("note", "the card's Note: start the note form", no_arg)
NOTE_KIND = Action(
    "nt", "the note form: the kind tapped, or Cancel", answers([k.value for k in NoteType])
)
FOLLOWUP = Action("fu", "the card's Follow-up: ask the date", no_arg)
FOLLOWUP_ANSWER = Action(
    "fuv", "the follow-up question's buttons (a quick date, Clear, Cancel)", answers()
)
EDIT_CONTACT = Action("edit", "the card's Edit: the fields to change", no_arg)
EDIT_FIELD = Action("ef", "Edit: the field tapped (arg: its key)", one_of(*EDITABLE))
EDIT_ANSWER = Action("ev", "Edit: a button under the field's question", answers())
ADD = Action("add", "a button of the /add form (id: 0, or the duplicate to open)", answers())
ADD_FORWARDED = Action(
    "addfwd", "Add as contact, under a forwarded message (id: the message)", no_arg
)

# --- files ----------------------------------------------------------------------------------

FILES = Action("files", "the contact's files (arg: p<N> = that page, in place)", files_page)
FILE_GET = Action("fget", "send a file back (arg: the file's id)", number)
FILE_DELETE = Action("fdel", "ask before deleting a file (arg: the file's id)", number)
FILE_DELETE_YES = Action("fdely", "delete a file (arg: the file's id)", number)
#: A file waiting for its contact or category is named by a token, not an id (id: 0 or the
#: contact).
ATTACH_CONTACT = Action(
    "atc", "a sent file's contact picked (arg: <token>:<contact id>)", pair(text, number)
)
ATTACH_CATEGORY = Action(
    "atk",
    "a sent file's category picked (arg: <token>:<category>)",
    pair(text, enum_of(FileCategory)),
)
ATTACH_CANCEL = Action("atx", "drop a sent file (arg: its token)", text)
ATTACH_RETRY = Action("atr", "retry saving a sent file (arg: its token)", text)
ATTACH_SEARCH = Action("ats", "search for a sent file's contact (arg: its token)", text)
ATTACH_CHANGE = Action(
    "atchg", "a saved file's Change category (arg: the saved batch's token)", text
)
ATTACH_SET = Action(
    "atset",
    "a saved file's new category (arg: <token>:<category>, none = back)",
    pair(text, optional(enum_of(FileCategory))),
)

# --- digests and reminders ------------------------------------------------------------------

DONE = Action("dgdone", "a digest item's Done: show the outcome buttons", no_arg)
OUTCOME = Action("dgout", "how the follow-up went (arg: the outcome key)", text)
NEXT = Action(
    "dgnext", "the next follow-up (arg: <next choice key>:<outcome key>)", pair(text, text)
)
SNOOZE = Action("dgsnz", "snooze the follow-up (arg: days)", number)
BACK = Action("dgback", "the outcome buttons -> the item's buttons again", no_arg)
#: The digest item's buttons (a row of them is redrawn in place).
ITEM_ACTIONS = frozenset[str]({DONE, OUTCOME, NEXT, SNOOZE, BACK})

# --- /settings and /report ------------------------------------------------------------------

SETTINGS = Action("set", "/settings: a screen (id: 0)", one_of("home", "time", "tz", "days"))
SETTINGS_VALUE = Action(
    "setv",
    "/settings: a value picked (id: 0; arg: t:HHMM, z:Zone/Name, d:preset, e:0|1)",
    setting_value,
)
SETTINGS_ASK = Action("setask", "/settings: type the value (id: 0)", one_of("time", "tz"))
REPORT = Action(
    "rep", "/report for a pipeline and period (id: 0; arg: <pipeline>:<period>)", pair(text, text)
)

# --- jobs and their offers (issue 12) -------------------------------------------------------

JOBS = Action("jobs", "the contact's job list (arg: e = in place)", edit_flag)
JOB = Action("job", "one job and its status buttons (id: the job)", no_arg)
JOB_STATUS = Action(
    "jobst", "set a job's status (id: the job; arg: the status)", enum_of(JobStatus)
)
JOB_ADD = Action("jobadd", "start the Add job form", no_arg)
JOB_FORM = Action("jobf", "a button under the Add job form's question", answers())
JOB_OFFER = Action(
    "jobnew", "Create job after a move to Job Booked: book the prefilled job", no_arg
)
OFFER_NO = Action("offno", "an offer declined: nothing changes", no_arg)
#: Buttons whose id is a job's, not a contact's (a reply to their message is no note).
JOB_ID_ACTIONS = frozenset[str]({JOB, JOB_STATUS})

# --- email (issue 13) -----------------------------------------------------------------------

MAIL_CONNECT = Action("mconnect", "/email: start the connect form (id: 0)", no_arg)
MAIL_HOST = Action("mhost", "/email form: the default host (id: 0)", no_arg)
MAIL_PORT = Action("mport", "/email form: a port picked (id: 0; arg: the port)", number)
MAIL_SECURITY = Action(
    "msec", "/email form: the security (id: 0)", one_of("tls", "starttls", "plain")
)
MAIL_USER = Action("muser", "/email form: the offered username (id: 0)", no_arg)
MAIL_PASSWORD = Action("mpass", "/email: change the password (id: 0)", no_arg)
MAIL_SYNC = Action("msync", "/email: sync now (id: 0)", no_arg)
MAIL_PAUSE = Action(
    "mpause", "/email: pause (arg: 1) or resume (arg: 0) (id: 0)", one_of("0", "1")
)
MAIL_REMOVE = Action(
    "mremove",
    "/email: remove the mailbox (id: 0; arg: none = ask, keep, forget)",
    optional(one_of("keep", "forget")),
)
MAIL_FORGET = Action(
    "mforget", "/email: forget my mail (id: 0; arg: none = ask, yes)", optional(one_of("yes"))
)
MAIL_HOME = Action("mhome", "back to the /email status (id: 0)", no_arg)
EMAILS = Action("emails", "the contact's emails (arg: the page)", number)
EMAIL_OPEN = Action("eopen", "one email (id: the email)", no_arg)
EMAIL_SAVE = Action("esave", "save an email's attachments (id: the email)", no_arg)
EMAIL_NOTE = Action("enote", "add an email as a note (id: the email)", no_arg)
#: Buttons whose id is an email's, not a contact's.
EMAIL_ID_ACTIONS = frozenset[str]({EMAIL_OPEN, EMAIL_SAVE, EMAIL_NOTE})
