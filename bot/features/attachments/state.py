"""The pending-files state: each admin's files waiting for a contact, a category or a save, and
the ones just saved (for "Change category"), kept in ``user_data["attach"]``.

It is a typed dataclass in memory. ``bot.persistence`` writes it as JSON through ``to_dict``
(``crm_core.services.bot_state.to_json``); what persistence loads at start (or an older version
wrote) is a plain dict, turned back into the dataclass the first time it is read
(``files_of``). Every field is plain data, so PTB's ``deepcopy`` before each write copies it.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from bot.handling import Ctx
from crm_core.errors import NotFound

KEY = "attach"
#: Pending attachments and finished ones ("Change category") kept per admin.
MAX_KEPT = 20
#: This process's mark on the attachments it is saving (see ``saving_here``).
RUN = secrets.token_hex(4)
#: Item states after which a retry leaves the item alone.
DONE_STATES = ("saved", "dup", "toobig")
GONE = "That file was already saved or cancelled. Send it again if you need to."

T = TypeVar("T")


def _known(cls: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``raw`` that are fields of the dataclass ``cls`` (others dropped)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in raw.items() if k in names}


@dataclass(slots=True)
class Item:
    """One file of a pending attachment, as Telegram described it; once saved, its row."""

    file_id: str
    unique_id: str
    kind: str  # "photo", or one of receiving.KINDS
    name: str | None
    mime: str | None
    size: int | None
    state: str | None = None  # one of DONE_STATES once handled
    row_id: int | None = None
    stored_name: str | None = None
    stored_size: int | None = None
    saved_at: str | None = None  # ISO 8601

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Item:
        return cls(**_known(cls, raw))


@dataclass(slots=True)
class Pending:
    """Files waiting to be saved: one file, or an album's items, under one token."""

    chat_id: int
    group: str | None = None  # the album's media_group_id
    items: list[Item] = field(default_factory=list)
    caption: str | None = None
    contact_id: int | None = None
    #: Contacts the caption may mean, likeliest first (offered first).
    likely: list[int] = field(default_factory=list)
    category: str | None = None
    auto: bool = False  # the category was chosen for it (photos), so it may be changed
    msg: int | None = None  # the question or status message
    saving: str | None = None  # the RUN of the process saving it
    asked: bool = False  # asked about (an album's wait is over)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Pending:
        values = _known(cls, raw)
        values["items"] = [Item.from_dict(i) for i in raw.get("items") or []]
        values["likely"] = list(raw.get("likely") or [])
        return cls(**values)


@dataclass(slots=True)
class Done:
    """Files just saved, kept so that their category can still be changed from the message."""

    contact_id: int
    contact_name: str
    category: str
    file_ids: list[int]
    #: Per item: (name, size, state, saved_at as ISO 8601 or None).
    outcomes: list[tuple[str, int | None, str, str | None]]
    auto: bool

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Done:
        values = _known(cls, raw)
        values["outcomes"] = [tuple(o) for o in raw.get("outcomes") or []]
        return cls(**values)


@dataclass(slots=True)
class PendingFiles:
    """An admin's pending and just-saved attachments, by token (a hex counter)."""

    seq: int = 0  # the last token handed out
    pending: dict[str, Pending] = field(default_factory=dict)
    done: dict[str, Done] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``bot.persistence`` writes."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PendingFiles:
        return cls(
            seq=int(raw.get("seq") or 0),
            pending={str(t): Pending.from_dict(p) for t, p in (raw.get("pending") or {}).items()},
            done={str(t): Done.from_dict(d) for t, d in (raw.get("done") or {}).items()},
        )

    def new_token(self) -> str:
        self.seq += 1
        return f"{self.seq:x}"


def files_of(user_data: MutableMapping[Any, Any] | None) -> PendingFiles:
    """The admin's pending files, created on first use (or read back from persisted JSON)."""
    if user_data is None:
        raise RuntimeError("attachments need user_data")
    found = user_data.get(KEY)
    if not isinstance(found, PendingFiles):
        found = user_data[KEY] = PendingFiles.from_dict(found if isinstance(found, dict) else {})
    return found


def saving_here(pending: Pending) -> bool:
    """Whether this process is saving it. The mark is the process's own ``RUN``, so a save
    cut short by a restart doesn't leave the attachment marked forever (Retry works)."""
    return pending.saving == RUN


def keep(kept: dict[str, T], token: str, value: T) -> None:
    """Add ``value``, then forget the oldest entries over ``MAX_KEPT`` - never the one just
    added, nor one being saved right now (its task still needs it)."""
    kept[token] = value
    in_flight = {t for t, v in kept.items() if isinstance(v, Pending) and saving_here(v)}
    evictable = [t for t in kept if t != token and t not in in_flight]
    for old in evictable[: max(0, len(kept) - MAX_KEPT)]:
        del kept[old]


def pending_of(context: Ctx, token: str) -> Pending:
    """The pending attachment a button is about; ``NotFound`` once it is saved or cancelled."""
    pending = files_of(context.user_state).pending.get(token)
    if pending is None:
        raise NotFound(GONE)
    return pending


def what(pending: Pending) -> str:
    """How questions name the pending files: "invoice.pdf", "this photo", "these 3 photos"."""
    return describe(pending.items)


def describe(items: list[Item]) -> str:
    """``what`` for a list of items."""
    if len(items) == 1:
        item = items[0]
        if item.name:
            return item.name
        return {"photo": "this photo", "voice": "this voice note", "video": "this video"}.get(
            item.kind, "this file"
        )
    noun = "photos" if all(i.kind == "photo" for i in items) else "files"
    return f"these {len(items)} {noun}"
