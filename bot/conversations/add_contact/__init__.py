"""/add: a step-by-step form for a new contact.

name -> type -> email -> phone -> company -> property address (eviction and prevention only)
-> how they found us -> urgency -> next follow-up -> potential value -> summary (Save / Edit /
Cancel). Optional steps take "Skip" or /skip. A wrong answer gets the reason and the same
question; earlier answers are kept in ``user_data`` (persisted, so a restart loses nothing).
A matching email or phone, or a very similar name at the same company, is flagged at once.
Sharing a phone contact starts the form with the name and phone filled in; so does "Add as
contact" under a forwarded message (``bot.features.forwarded``), with the sender's name.

Fewer taps: once the name and type are in, every optional question has "Save now" (the
duplicate check runs once more and can still stop it). A whole contact on one line, after
/add or as the answer to the name question, is read by ``crm_core.quick_add``: the form then
asks only what is required and missing and shows the summary, with whatever the line had that
could not be placed ("Not recognised"), which is saved as a note so that nothing typed is lost.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.actions import ADD_FORWARDED, MENU
from bot.callbacks import pattern
from bot.conversations.add_contact.draft import ACTION, FIELDS, Ctx, State
from bot.conversations.add_contact.steps import (
    add_command,
    add_forward_button,
    add_menu_button,
    answer_typed,
    cancel_command,
    contact_shared,
    form_button,
    other_input,
    skip_command,
    text_at_duplicates,
    text_at_field_list,
    text_at_summary,
)
from bot.handling import LEAVING_COMMANDS, other_button

__all__ = ["FIELDS", "conversation"]

# The package, along its seams: ``draft`` (the form's state and what is asked next),
# ``asking`` (every message the form sends), ``saving`` (taking an answer, duplicates, saving)
# and ``steps`` (the handlers below); they share their underscored helpers with one another.


def conversation() -> ConversationHandler[Ctx]:
    answer: list[BaseHandler[Update, Ctx, object]] = [
        CommandHandler("skip", skip_command),
        CallbackQueryHandler(form_button, pattern=pattern(ACTION)),
        MessageHandler(filters.TEXT & ~filters.COMMAND, answer_typed),
    ]
    return ConversationHandler(
        name="add_contact",
        persistent=True,
        allow_reentry=True,
        entry_points=[
            CommandHandler("add", add_command),
            CallbackQueryHandler(add_menu_button, pattern=rf"^{MENU}:0:add$"),
            MessageHandler(filters.CONTACT, contact_shared),
            CallbackQueryHandler(add_forward_button, pattern=pattern(ADD_FORWARDED)),
        ],
        states={
            State.ANSWER: answer,
            State.DUPLICATE: [
                CallbackQueryHandler(form_button, pattern=pattern(ACTION)),
                CommandHandler("skip", text_at_duplicates),
                MessageHandler(filters.TEXT & ~filters.COMMAND, text_at_duplicates),
            ],
            State.CONFIRM: [
                CallbackQueryHandler(form_button, pattern=pattern(ACTION)),
                CommandHandler("skip", text_at_summary),
                MessageHandler(filters.TEXT & ~filters.COMMAND, text_at_summary),
            ],
            State.PICK_FIELD: [
                CallbackQueryHandler(form_button, pattern=pattern(ACTION)),
                CommandHandler("skip", text_at_field_list),
                MessageHandler(filters.TEXT & ~filters.COMMAND, text_at_field_list),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel_command),
            CommandHandler(LEAVING_COMMANDS, other_input),
            CallbackQueryHandler(other_input, pattern=other_button),
        ],
    )
