"""Asking: the next question, the summary, the duplicate warning, the field list and the
partner picker, each sent as the form's one live message."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import texts
from bot.arguments import ANSWER_SAVE_NOW, Answer
from bot.conversations.add_contact.draft import (
    ACTION,
    FIELDS,
    PARTNER,
    Ctx,
    State,
    _applies,
    _can_save_now,
    _draft,
    _next_field,
)
from bot.conversations.quick_add import unplaced_line
from bot.handling import reply
from bot.views.common import esc
from bot.views.forms import (
    QUESTIONS,
    add_fields_keyboard,
    add_summary_keyboard,
    duplicate_warning,
    label,
    question_markup,
    show_value,
)
from bot.views.referrals import partner_picker
from crm_core.services.duplicates import Duplicate
from crm_core.services.referrals import find_partners


async def _ask(update: Update, context: Ctx, field: str, problem: str | None = None) -> State:
    draft = _draft(context)
    extra: list[tuple[str, Answer]] = []
    if _can_save_now(draft, field):
        extra.append(("✅ Save now", ANSWER_SAVE_NOW))
    markup = question_markup(field, ACTION, extra=extra)
    text = QUESTIONS[field].text
    if field == "name" and not draft["values"]:
        text += texts.QUICK_ADD_HINT
    await _show(update, context, text, markup, problem)
    _draft(context)["at"] = field  # once asked: if sending failed, the old question stands
    return State.ANSWER


async def _show(
    update: Update, context: Ctx, text: str, markup: InlineKeyboardMarkup, problem: str | None
) -> None:
    """Send the form's next message (after the problem with the last answer, if any). Only
    the latest message's buttons act: older ones are a thumb slip away in the chat."""
    if problem:
        text = f"⚠️ {esc(problem)}\n\n{text}"
    sent = await reply(update, text, markup)
    if sent is not None:
        _draft(context)["msg"] = sent.message_id


async def _advance(update: Update, context: Ctx) -> State:
    draft = _draft(context)
    draft.pop("saving", None)  # a question or the summary next: "Save now" was let go
    values = draft["values"]
    if (
        draft.get("quick")
        and values.get("property_address")
        and not _applies("property_address", values)
    ):  # a line's address, and then the type of a partner: keep it with the leftovers
        draft.setdefault("unplaced", []).append(values.pop("property_address"))
    # Back to the summary after an edit, unless the edit made a new question apply (a
    # referral partner turned eviction client now needs the property address).
    field = _next_field(draft)
    draft.pop("editing", None)
    if field is None:
        return await _summary(update, context)
    return await _ask(update, context, field)


def _summary_text(values: dict[str, Any], today: date, unplaced: list[str]) -> str:
    lines = ["<b>New contact</b> — check and save:"]
    for field in FIELDS:
        if _applies(field, values):
            lines.append(f"{label(field)}: {show_value(field, values.get(field), today)}")
    if line := unplaced_line(unplaced):
        lines.append(line)
    return "\n".join(lines)


async def _summary(update: Update, context: Ctx, problem: str | None = None) -> State:
    today = context.today
    draft = _draft(context)
    text = _summary_text(draft["values"], today, draft.get("unplaced", []))
    await _show(update, context, text, add_summary_keyboard(), problem)
    return State.CONFIRM


async def _warn_duplicate(
    update: Update, context: Ctx, dupes: list[Duplicate], problem: str | None = None
) -> State:
    _draft(context)["dupes"] = [d.contact.id for d in dupes]
    text, markup = duplicate_warning(dupes)
    await _show(update, context, text, markup, problem)
    return State.DUPLICATE


async def _pick_field(update: Update, context: Ctx, problem: str | None = None) -> State:
    values = _draft(context)["values"]
    markup = add_fields_keyboard([f for f in FIELDS if _applies(f, values)])
    await _show(update, context, "Which field do you want to change?", markup, problem)
    return State.PICK_FIELD


async def _pick_partner(update: Update, context: Ctx, query: str = "") -> State:
    """After "Referred by a partner": the recent partners, or those matching a typed text."""
    partners = await context.run_db(find_partners, query)
    _draft(context)["at"] = PARTNER
    text, markup = partner_picker(ACTION, 0, partners, query)
    await _show(update, context, text, markup, None)
    return State.ANSWER
