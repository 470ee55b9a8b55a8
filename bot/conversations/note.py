"""The card's "Note" button: pick the kind of note, then type it."""

from __future__ import annotations

from enum import IntEnum

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.callbacks import Cb, pattern
from bot.features.cards import show_card
from bot.handling import button_step, reply, step
from bot.runtime import me, run_db
from bot.views.common import button, chunks, esc, keyboard
from crm_core.errors import ValidationError
from crm_core.services.contacts import get_contact
from crm_core.services.notes import add_note
from crm_core.stages import NOTE_TYPE_LABELS, NoteType

Ctx = ContextTypes.DEFAULT_TYPE
KEY = "note"


class State(IntEnum):
    KIND = 1
    TEXT = 2


@button_step
async def start(update: Update, context: Ctx, cb: Cb) -> int:
    """Ask which kind of note."""
    contact = await run_db(context, get_contact, cb.id)
    assert context.user_data is not None
    context.user_data[KEY] = {"contact_id": contact.id}
    kinds = [button(lbl, Cb("nt", contact.id, kind.value)) for kind, lbl in NOTE_TYPE_LABELS.items()]
    markup = keyboard([*chunks(kinds, 3), [button("Cancel", Cb("nt", contact.id, "cancel"))]])
    await reply(update, f"What kind of note for <b>{esc(contact.name)}</b>?", markup)
    return State.KIND


@button_step
async def kind(update: Update, context: Ctx, cb: Cb) -> int:
    """Keep the kind and ask for the text."""
    assert context.user_data is not None
    if cb.arg == "cancel":
        context.user_data.pop(KEY, None)
        await reply(update, texts.CANCELLED, edit=True)
        return ConversationHandler.END
    draft = context.user_data.setdefault(KEY, {"contact_id": cb.id})
    draft["kind"] = NoteType(cb.arg).value
    draft["contact_id"] = cb.id
    await reply(
        update,
        f"Send the {NOTE_TYPE_LABELS[NoteType(cb.arg)].lower()} note as a message "
        "(or /cancel).",
        edit=True,
    )
    return State.TEXT


@step
async def text(update: Update, context: Ctx) -> int:
    """Save the note and show the card again."""
    assert context.user_data is not None and update.effective_message is not None
    draft = context.user_data.get(KEY) or {}
    if "kind" not in draft:
        await reply(update, texts.USE_BUTTONS)
        return State.KIND
    user_id, _ = me(update, context)
    try:
        await run_db(
            context, add_note, draft["contact_id"], user_id, draft["kind"],
            update.effective_message.text or "",
        )
    except ValidationError as err:
        await reply(update, f"⚠️ {esc(err.message)}\nSend the note again (or /cancel).")
        return State.TEXT
    context.user_data.pop(KEY, None)
    await reply(update, "📝 Note added.")
    await show_card(update, context, draft["contact_id"])
    return ConversationHandler.END


@step
async def cancel(update: Update, context: Ctx) -> int:
    assert context.user_data is not None
    context.user_data.pop(KEY, None)
    await reply(update, texts.CANCELLED)
    return ConversationHandler.END


async def leave(update: Update, context: Ctx) -> int:
    """Something else was asked for: drop the half-made note and let that run."""
    assert context.user_data is not None
    context.user_data.pop(KEY, None)
    return ConversationHandler.END


def conversation() -> ConversationHandler[Ctx]:
    return ConversationHandler(
        name="note",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(start, pattern=pattern("note"))],
        states={
            State.KIND: [CallbackQueryHandler(kind, pattern=pattern("nt"))],
            State.TEXT: [MessageHandler(filters.TEXT & ~filters.COMMAND, text)],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            MessageHandler(filters.COMMAND, leave),
            CallbackQueryHandler(leave),
        ],
    )
