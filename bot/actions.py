"""Every inline button's action, once: its code, what pressing it does, what its id is and the
shape of its argument.

A button's data is ``action:id:arg`` (``bot.callbacks.Cb``). Each ``Action`` below is the code
(a ``str``, so ``Cb(OPEN, contact_id)`` and ``pattern(OPEN)`` read as before) with a ``parse``
that turns the argument into a typed value. ``Cb.decode`` refuses an unknown action or an
argument that doesn't fit its shape with ``StaleButton``, and handlers read the typed value
with ``ACTION.arg(cb)``. Any ``StaleButton`` is answered in one place (``bot.handling.on_button``)
with one text (``texts.STALE_BUTTON``).

The id is a contact's unless the comment says otherwise. The argument shapes, and the forms'
one answer grammar, are in ``bot.arguments``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.arguments import (
    answers,
    edit_flag,
    enum_of,
    files_page,
    list_edge,
    no_arg,
    number,
    one_of,
    optional,
    pair,
    setting_value,
    text,
)
from crm_core.fields import EDITABLE
from crm_core.stages import FileCategory, JobStatus, NoteType

if TYPE_CHECKING:
    from bot.callbacks import Cb

T = TypeVar("T")

_CODE = re.compile(r"[a-z][a-z0-9_]{0,11}")


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
