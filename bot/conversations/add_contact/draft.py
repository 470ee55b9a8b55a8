"""The /add form's draft: its states, what is asked next, and what it may keep."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from bot.actions import ADD
from bot.handling import Ctx
from bot.views.forms import QUESTIONS
from crm_core.fields import ADD_STEPS, applies
from crm_core.stages import ContactType

ACTION = ADD
DRAFT = "add"
FIELDS: tuple[str, ...] = ADD_STEPS
BUTTON_ONLY = {"contact_type", "urgency_level"}


class State(IntEnum):
    ANSWER = 1  # waiting for the answer to the current field (typed or tapped)
    DUPLICATE = 2  # told about a possible duplicate: open it or carry on
    CONFIRM = 3  # summary shown: Save / Edit / Cancel
    PICK_FIELD = 4  # Edit from the summary: which field


def _draft(context: Ctx) -> dict[str, Any]:
    draft: dict[str, Any] = context.user_state.setdefault(DRAFT, {"values": {}})
    return draft


def _drop(context: Ctx) -> None:
    context.user_state.pop(DRAFT, None)


def _applies(field: str, values: dict[str, Any]) -> bool:
    return applies(field, values.get("contact_type"))


def _next_field(draft: dict[str, Any]) -> str | None:
    """The first field not answered yet (skipped ones count as answered); after a quick add,
    the first required one."""
    values = draft["values"]
    for field in FIELDS:
        if draft.get("quick") and QUESTIONS[field].optional:
            continue
        if field not in values and _applies(field, values):
            return field
    return None


def _can_save_now(draft: dict[str, Any], field: str) -> bool:
    """ "Save now" goes under an optional question once the required answers are in."""
    values = draft["values"]
    required = all(values.get(f) for f in FIELDS if not QUESTIONS[f].optional)
    question = QUESTIONS.get(field)
    return required and question is not None and question.optional and not draft.get("editing")


def _storable(value: Any) -> Any:
    """Draft values live in persisted user_data: keep them JSON-friendly."""
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, ContactType):
        return value.value
    return str(value)  # Decimal, date


#: The draft's "at" while the partner picker is shown (a step, not a contact field).
PARTNER = "partner"


def _open(context: Ctx) -> bool:
    """Whether the form is still open (not left for another form)."""
    return DRAFT in context.user_state
