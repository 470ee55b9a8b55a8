"""The pending-files state (bot.features.attachments.state): what a start carries on with
(``resuming``), and that it survives PTB's deepcopy and the persistence's JSON."""

from __future__ import annotations

import copy
import json
from typing import Any

from bot.features.attachments.resuming import left_pending
from bot.features.attachments.state import (
    KEY,
    RUN,
    Done,
    Item,
    Pending,
    PendingFiles,
    files_of,
)
from crm_core.services.bot_state import to_json


def item(**fields: Any) -> Item:
    base: dict[str, Any] = {
        "file_id": "f",
        "unique_id": "u",
        "kind": "photo",
        "name": None,
        "mime": "image/jpeg",
        "size": 10,
    }
    return Item(**{**base, **fields})


def pending(**fields: Any) -> Pending:
    base: dict[str, Any] = {"items": [item()], "chat_id": 7, "asked": True, "saving": None}
    return Pending(**{**base, **fields})


def test_unasked_and_cut_short_saves_are_carried_on_the_rest_left_alone() -> None:
    box = PendingFiles(
        pending={
            "1": pending(asked=False),  # an album whose wait was cut short
            "2": pending(),  # asked: its question's buttons still work
            "3": pending(saving="0ldrun00"),  # a save the stop cut short
            "4": pending(saving=RUN),  # being saved by this process
            "5": pending(asked=False, items=[]),  # nothing arrived
        }
    )
    assert left_pending(box) == [("1", 7), ("3", 7)]
    assert box.pending["3"].saving is None  # free to be saved again
    assert left_pending(PendingFiles()) == []


def test_the_state_round_trips_through_deepcopy_and_the_persisted_json() -> None:
    box = PendingFiles(
        seq=11,
        pending={
            "a": pending(
                items=[
                    item(),
                    item(
                        file_id="g",
                        kind="document",
                        name="q.pdf",
                        state="saved",
                        row_id=4,
                        stored_name="q.pdf",
                        stored_size=9,
                        saved_at="2026-11-23T09:00:00+00:00",
                    ),
                ],
                caption="for Jane",
                likely=[3, 1],
                group="album-1",
                msg=55,
            )
        },
        done={
            "b": Done(
                contact_id=3,
                contact_name="Jane",
                category="photo",
                file_ids=[4],
                outcomes=[("x.jpg", 10, "saved", None), ("y.jpg", None, "toobig", None)],
                auto=True,
            )
        },
    )
    user_data: dict[str, Any] = {KEY: box, "add": {"name": "x"}}
    copied = copy.deepcopy(user_data)
    assert copied[KEY] == box
    assert copied[KEY] is not box
    loaded = json.loads(to_json(copied))  # what persistence writes, read back at start
    assert isinstance(loaded[KEY], dict)
    assert files_of(loaded) == box  # turned back into the dataclass on first use
    assert isinstance(loaded[KEY], PendingFiles)
    assert loaded["add"] == {"name": "x"}
    assert box.new_token() == "c"
    assert box.seq == 12


def test_a_user_without_files_gets_an_empty_state_and_extra_keys_are_dropped() -> None:
    data: dict[str, Any] = {}
    assert files_of(data) == PendingFiles()
    assert data[KEY] is files_of(data)
    old = {KEY: {"seq": 2, "pending": {"2": {"chat_id": 5, "items": [], "legacy": 1}}}}
    assert files_of(old).pending["2"] == Pending(chat_id=5)
