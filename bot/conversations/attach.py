"""The "Search…" button of "Attach to which contact?": type part of a name, tap the match.

Only the typing needs a conversation (typed text is otherwise a contact search that opens a
card); the answer buttons are the ordinary ``atc`` buttons of ``bot.features.attachments``.
"""

from __future__ import annotations

from enum import IntEnum

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actions import ATTACH_SEARCH
from bot.callbacks import Cb, pattern
from bot.features.attachments.receiving import MEDIA
from bot.features.attachments.state import GONE, files_of, pending_of
from bot.features.cards import note_from_reply
from bot.handling import LEAVING_COMMANDS, LEFT, Ctx, button_step, reply, start_form, step, text_of
from bot.views.files import search_prompt, search_results
from crm_core.errors import NotFound
from crm_core.services.search import search_contacts

KEY = "attach_search"
RESULTS = 8


class State(IntEnum):
    QUERY = 1


@button_step
async def search_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Ask for part of the contact's name."""
    token = ATTACH_SEARCH.arg(cb)
    pending_of(context, token)  # NotFound (answered) if it was saved or cancelled
    start_form(context, KEY, {"token": token}, aside=True)  # a form open meanwhile stays
    await reply(update, search_prompt())
    return State.QUERY


@step
async def search_typed(update: Update, context: Ctx) -> int:
    """Show the matches as buttons; no match: ask again."""
    draft = context.user_state.get(KEY)
    if not draft:
        return LEFT  # the search was left for another form: this text is for that one
    token = draft["token"]
    try:
        pending_of(context, str(token))
    except NotFound:
        await reply(update, GONE)
        return _end(context)
    if await note_from_reply(update, context, own=frozenset()):  # a reply to a card: its note
        await reply(update, search_prompt())
        return State.QUERY
    query = text_of(update).strip()
    found = await context.run_db(search_contacts, query, limit=RESULTS)
    text, markup = search_results(query, found, str(token))
    await reply(update, text, markup)
    return _end(context) if found else State.QUERY


def _end(context: Ctx) -> int:
    context.user_state.pop(KEY, None)
    return ConversationHandler.END


@step
async def cancel_command(update: Update, context: Ctx) -> int:
    """Forget the search and the file waiting for it (/cancel)."""
    draft = context.user_state.get(KEY)
    if not draft:
        return LEFT  # the search was left for another form: "/cancel" is for that one
    files_of(context.user_state).pending.pop(str(draft["token"]), None)
    await reply(update, texts.CANCELLED)
    return _end(context)


async def other_input(update: Update, context: Ctx) -> int:
    """End the search so that what was asked for instead (a command, a button, a file) runs."""
    return _end(context)


def conversation() -> ConversationHandler[Ctx]:
    return ConversationHandler(
        name="attach",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(search_button, pattern=pattern(ATTACH_SEARCH))],
        states={State.QUERY: [MessageHandler(filters.TEXT & ~filters.COMMAND, search_typed)]},
        fallbacks=[
            CommandHandler("cancel", cancel_command),
            CommandHandler(LEAVING_COMMANDS, other_input),
            MessageHandler(MEDIA, other_input),
            CallbackQueryHandler(other_input),
        ],
    )
