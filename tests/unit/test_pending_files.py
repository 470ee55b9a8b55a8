"""Which pending attachments a start carries on with (bot.features.pending_files)."""

from __future__ import annotations

from bot.features import attachments
from bot.features.pending_files import left_pending


def pending(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "items": [{"file_id": "f"}],
        "chat_id": 7,
        "asked": True,
        "saving": None,
    }
    return {**base, **fields}


def test_unasked_and_cut_short_saves_are_carried_on_the_rest_left_alone() -> None:
    box = {
        "pending": {
            "1": pending(asked=False),  # an album whose wait was cut short
            "2": pending(),  # asked: its question's buttons still work
            "3": pending(saving="0ldrun00"),  # a save the stop cut short
            "4": pending(saving=attachments.RUN),  # being saved by this process
            "5": pending(asked=False, items=[]),  # nothing arrived
        }
    }
    assert left_pending(box) == [("1", 7), ("3", 7)]
    assert box["pending"]["3"]["saving"] is None  # free to be saved again
    assert left_pending({}) == []
