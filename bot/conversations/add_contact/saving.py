"""Taking answers: validate and keep one, check for duplicates, save the contact."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from bot import texts
from bot.conversations.add_contact.asking import _advance, _ask, _warn_duplicate
from bot.conversations.add_contact.draft import (
    FIELDS,
    Ctx,
    State,
    _applies,
    _draft,
    _drop,
    _storable,
)
from bot.conversations.quick_add import create_with_leftovers
from bot.features.cards import show_card
from bot.handling import reply
from bot.views.common import esc
from crm_core.errors import ValidationError
from crm_core.quick_add import QuickAdd
from crm_core.services.contacts import get_contact
from crm_core.services.duplicates import Duplicate, find_duplicates
from crm_core.services.referrals import REFERRED_BY_A_PARTNER
from crm_core.validation import clean_field


async def _accept(update: Update, context: Ctx, field: str, raw: Any) -> int:
    """Validate one answer, keep it, check for duplicates, move on."""
    today = context.today
    try:
        value = clean_field(field, raw, today=today)
    except ValidationError as err:
        return await _ask(update, context, field, err.message)
    draft = _draft(context)
    draft["values"][field] = _storable(value)
    if field == "how_found_us":  # typed, not picked: no partner
        draft["values"].pop("referred_by_id", None)
    if field in ("email", "phone", "company") and value:
        return await _check_duplicates(update, context, _advance)
    return await _advance(update, context)


async def _check_duplicates(
    update: Update, context: Ctx, then: Callable[[Update, Ctx], Awaitable[int]]
) -> int:
    """Warn about contacts that look like this one (unless already waved through), else go on
    with ``then``."""
    draft = _draft(context)
    dupes = await context.run_db(_duplicates_of, draft["values"])
    dupes = [d for d in dupes if d.contact.id not in draft.get("dismissed", [])]
    if dupes:
        return await _warn_duplicate(update, context, dupes)
    return await then(update, context)


def _duplicates_of(session: Any, values: dict[str, Any]) -> list[Duplicate]:
    return find_duplicates(
        session,
        name=values.get("name"),
        email=values.get("email"),
        phone=values.get("phone"),
        company=values.get("company"),
    )


async def _partner_picked(update: Update, context: Ctx, partner_id: int) -> State:
    partner = await context.run_db(get_contact, partner_id)
    values = _draft(context)["values"]
    values["how_found_us"] = REFERRED_BY_A_PARTNER
    values["referred_by_id"] = partner.id
    await reply(update, f"Referred by <b>{esc(partner.name)}</b>.")
    return await _advance(update, context)


async def _quick(update: Update, context: Ctx, parsed: QuickAdd) -> int:
    """Fill the draft from one line, then ask only what is required and missing."""
    draft = _draft(context)
    draft["values"] = {k: _storable(v) for k, v in parsed.values.items()}
    draft["unplaced"] = list(parsed.unplaced)
    draft["quick"] = True
    if any(parsed.values.get(f) for f in ("email", "phone", "company")):
        return await _check_duplicates(update, context, _advance)
    return await _advance(update, context)


async def _save(update: Update, context: Ctx) -> int:
    user_id, today = context.admin, context.today
    draft = _draft(context)
    draft.pop("saving", None)
    answers = draft["values"]
    values = {k: v for k, v in answers.items() if v is not None and _applies(k, answers)}
    unplaced = draft.get("unplaced", [])
    try:
        contact = await context.run_db(create_with_leftovers, user_id, values, today, unplaced)
    except ValidationError as err:
        # Shouldn't happen (each answer was checked), but never lose the form over it.
        draft["editing"] = True
        field = err.field if err.field in FIELDS else "name"
        return await _ask(update, context, field, err.message)
    _drop(context)
    await reply(update, f"✅ Saved <b>{esc(contact.name)}</b>.")
    await show_card(update, context, contact.id)
    return ConversationHandler.END


async def _cancel(update: Update, context: Ctx) -> int:
    _drop(context)
    await reply(update, texts.CANCELLED)
    return ConversationHandler.END
