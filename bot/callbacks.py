"""The one callback-data codec. Every inline button's data is a ``Cb`` encoded as
``action:id:arg`` (always under Telegram's 64-byte limit)."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_ACTION = re.compile(r"[a-z][a-z0-9_]{0,11}")
_ID = re.compile(r"\d{1,10}", re.ASCII)  # str.isdigit() takes "²", which int() refuses
#: The largest id a button can carry: ids are 32-bit in the database, and a number past 64 bits
#: can't even be bound to an SQLite query.
MAX_ID = 2**31 - 1


class StaleButton(ValueError):  # noqa: N818 (reads better at call sites)
    """A payload we can't read: an old bot version's button, or tampered data."""


@dataclass(frozen=True, slots=True)
class Cb:
    action: str
    id: int = 0
    arg: str = ""

    def encode(self) -> str:
        if not _ACTION.fullmatch(self.action):
            raise ValueError(f"bad callback action {self.action!r}")
        data = f"{self.action}:{self.id}:{self.arg}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def decode(cls, data: str | None) -> Cb:
        action, sep1, rest = (data or "").partition(":")
        ident, sep2, arg = rest.partition(":")
        if not (sep1 and sep2 and _ACTION.fullmatch(action) and _ID.fullmatch(ident)):
            raise StaleButton(data)
        if int(ident) > MAX_ID:
            raise StaleButton(data)
        return cls(action, int(ident), arg)


def pattern(*actions: str) -> re.Pattern[str]:
    """A ``CallbackQueryHandler`` pattern matching buttons of these actions."""
    return re.compile(rf"^(?:{'|'.join(map(re.escape, actions))}):\d+:")


# --- jobs and their offers (issue 12) ---------------------------------------------------------
# The id is a contact's unless said otherwise.
JOBS = "jobs"  # the contact's job list
JOB = "job"  # one job and its status buttons (id: the job)
JOB_STATUS = "jobst"  # set a job's status (id: the job; arg: a JobStatus value)
JOB_ADD = "jobadd"  # start the Add job form
JOB_FORM = "jobf"  # a tap inside the Add job form (arg: "skip", "cancel" or "d:<quick date>")
JOB_OFFER = "jobnew"  # "Create job" after a move to Job Booked: book the prefilled job
OFFER_NO = "offno"  # an offer declined: nothing changes
#: Buttons whose id is a job's, not a contact's (a reply to their message is no note).
JOB_ID_ACTIONS = frozenset({JOB, JOB_STATUS})
STAGE_LOST = "stglost"  # the stage menu's lost stage: move there, then ask why (arg: the stage)
LOST_SKIP = "lostno"  # the lost-reason question's Skip: no reason kept
REPORT = "rep"  # /report for a pipeline and period (arg: "<pipeline code>:<period>")
