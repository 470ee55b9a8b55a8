"""The card's "Note" button: pick the kind of note, then type it. Text typed before a kind
was picked is kept, and saved as soon as the kind is tapped."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actions import NOTE, NOTE_KIND
from bot.arguments import Cancel, Value
from bot.callbacks import Cb, StaleButton, pattern
from bot.features.cards import note_from_reply, show_card
from bot.handling import LEFT, Ctx, Toast, button_step, form_exits, reply, start_form, step
from bot.views.common import esc
from bot.views.forms import note_cancel_keyboard, note_kinds_keyboard
from crm_core.errors import NotFound, ValidationError
from crm_core.services.contacts import get_contact
from crm_core.services.notes import add_note
from crm_core.stages import NOTE_TYPE_LABELS, NoteType

KEY = "note"


class State(IntEnum):
    KIND = 1
    TEXT = 2


@button_step
async def note_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Ask which kind of note."""
    contact = await context.run_db(get_contact, cb.id)
    draft = start_form(context, KEY, {"contact_id": contact.id, "name": contact.name})
    return await _ask_kind(update, draft)


async def _ask_kind(update: Update, draft: dict[str, Any]) -> int:
    name = draft.get("name")
    text = f"What kind of note for <b>{esc(name)}</b>?" if name else "What kind of note?"
    await reply(update, text, note_kinds_keyboard(draft["contact_id"]))
    return State.KIND


@button_step
async def kind_chosen(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Keep the kind and ask for the text."""
    draft = context.user_state.get(KEY)
    if draft is not None and draft.get("contact_id") != cb.id:
        # An older question, of another contact's note: it must not cancel or take over the
        # note being written now (and lose its text). The card's Note button starts one.
        return Toast(texts.OLD_QUESTION)
    answer = NOTE_KIND.arg(cb)
    if isinstance(answer, Cancel):
        context.user_state.pop(KEY, None)
        await reply(update, texts.CANCELLED, edit=True)
        return ConversationHandler.END
    if not isinstance(answer, Value):
        raise StaleButton(cb.arg)  # no other answer is asked here
    draft = draft or start_form(context, KEY, {"contact_id": cb.id})
    draft["kind"] = NoteType(answer.text).value
    if draft.get("text"):
        return await _save(update, context, draft, draft["text"])
    await reply(update, _text_question(draft), note_cancel_keyboard(cb.id), edit=True)
    return State.TEXT


def _text_question(draft: dict[str, Any]) -> str:
    return f"Send the {NOTE_TYPE_LABELS[NoteType(draft['kind'])].lower()} note as a message."


async def _noted_elsewhere(update: Update, context: Ctx, draft: dict[str, Any]) -> bool:
    """A reply to another contact's card is that contact's note: added, this form's question
    is asked again. A reply to this contact's card is the note being written."""
    return await note_from_reply(
        update, context, own=frozenset({"nt"}), contact_id=draft["contact_id"], writes_note=True
    )


@step
async def text_before_kind(update: Update, context: Ctx) -> int:
    """Keep text typed before a kind was picked, and ask for the kind."""
    draft = context.user_state.get(KEY)
    if not draft:
        return LEFT
    if await _noted_elsewhere(update, context, draft):
        return await _ask_kind(update, draft)
    return await _keep_text(update, draft)


async def _keep_text(update: Update, draft: dict[str, Any]) -> int:
    assert update.effective_message is not None
    draft["text"] = update.effective_message.text or ""
    await reply(
        update, "Got it. What kind of note is this?", note_kinds_keyboard(draft["contact_id"])
    )
    return State.KIND


@step
async def note_typed(update: Update, context: Ctx) -> int:
    """Save the note and show the card again."""
    assert update.effective_message is not None
    draft = context.user_state.get(KEY)
    if not draft:
        return LEFT  # the note was left for another form: this text is for that one
    if await _noted_elsewhere(update, context, draft):
        if "kind" not in draft:
            return await _ask_kind(update, draft)
        await reply(update, _text_question(draft), note_cancel_keyboard(draft["contact_id"]))
        return State.TEXT
    if "kind" not in draft:
        return await _keep_text(update, draft)
    return await _save(update, context, draft, update.effective_message.text or "")


async def _save(update: Update, context: Ctx, draft: dict[str, Any], content: str) -> int:
    try:
        await context.run_db(add_note, draft["contact_id"], context.admin, draft["kind"], content)
    except NotFound:
        context.user_state.pop(KEY, None)
        await reply(update, texts.GONE)
        return ConversationHandler.END
    except ValidationError as err:
        draft.pop("text", None)
        await reply(update, f"⚠️ {esc(err.message)}\nSend the note again (or /cancel).")
        return State.TEXT
    context.user_state.pop(KEY, None)
    await reply(update, "📝 Note added.")
    await show_card(update, context, draft["contact_id"])
    return ConversationHandler.END


def conversation() -> ConversationHandler[Ctx]:
    return ConversationHandler(
        name="note",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(note_button, pattern=pattern(NOTE))],
        states={
            State.KIND: [
                CallbackQueryHandler(kind_chosen, pattern=pattern(NOTE_KIND)),
                MessageHandler(filters.TEXT & ~filters.COMMAND, text_before_kind),
            ],
            State.TEXT: [
                CallbackQueryHandler(kind_chosen, pattern=pattern(NOTE_KIND)),
                MessageHandler(filters.TEXT & ~filters.COMMAND, note_typed),
            ],
        },
        fallbacks=form_exits(KEY),
    )
