"""Finding contacts and everything on a contact card that needs no typing: open, stage,
delete with undo, all notes, and a text reply to a card becoming a note."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session
from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actions import (
    DELETE,
    DELETE_YES,
    EMAIL_ID_ACTIONS,
    JOB_ID_ACTIONS,
    LIST_PAGE,
    LIST_STATUS,
    LIST_TYPE,
    LIST_VIEW,
    MENU,
    NOTES,
    OPEN,
    PURGE,
    PURGE_YES,
    RESTORE,
    STAGE_MENU,
    STAGE_SET,
    TRASH,
    UNDO,
)
from bot.callbacks import Cb, StaleButton, pattern
from bot.features.jobs import after_stage_move
from bot.features.miniapp import app_url
from bot.handling import Ctx, Toast, on_button, reply
from bot.views.cards import (
    card_keyboard,
    delete_keyboard,
    delete_prompt,
    deleted_text,
    notes_page,
    render_card,
    stage_keyboard,
    undo_keyboard,
)
from bot.views.common import esc
from bot.views.email import card_email_line
from bot.views.lists import search_results
from crm_core.errors import CRMError, ValidationError
from crm_core.services.cards import ContactCard, get_card
from crm_core.services.contacts import change_stage, get_contact
from crm_core.services.notes import add_note, list_notes
from crm_core.services.search import SEARCH_LIMIT, search_contacts
from crm_core.services.trash import delete_contact, list_trash, restore_contact
from crm_core.stages import NoteType

NOTES_PAGE = 5
#: Buttons that don't make their message "about" one contact (lists, menus, the trash).
NOT_ABOUT_ONE_CONTACT = (
    frozenset[str](
        {
            LIST_PAGE,
            LIST_TYPE,
            LIST_STATUS,
            LIST_VIEW,
            MENU,
            OPEN,
            RESTORE,
            PURGE,
            PURGE_YES,
            TRASH,
        }
    )
    | {UNDO}
    | EMAIL_ID_ACTIONS  # their ids are emails', not contacts'
    | JOB_ID_ACTIONS  # and jobs'
)


async def show_card(
    update: Update,
    context: Ctx,
    contact_id: int,
    *,
    edit: bool = False,
    change: Callable[[Session], object] | None = None,
) -> None:
    """Send (or, from a button on the card itself, redraw) a contact card. ``change`` runs
    first in the same transaction, so a change and its redrawn card cost one database trip."""

    def work(session: Session) -> ContactCard:
        if change is not None:
            change(session)
        return get_card(session, contact_id)

    card = await context.run_db(work)
    await send_card(update, context, card, edit=edit)


async def send_card(
    update: Update, context: Ctx, card: ContactCard, *, edit: bool = False
) -> None:
    # Email history (issue 13): the last email's line and the "Emails (N)" button.
    emails = card.emails
    email_line = card_email_line(emails, context.crm.clock())
    public_url = context.crm.settings.public_url
    opener = app_url(public_url, card.contact.id) if public_url else None
    await reply(
        update,
        render_card(card, context.today, context.tz, email_line),
        card_keyboard(card.contact.id, card.note_count, emails.count, app_url=opener),
        edit=edit,
    )


async def find_command(update: Update, context: Ctx) -> None:
    """Show the contacts matching /find TEXT as buttons; open a single match's card."""
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(
            update, "Send /find and part of a name, email, company or phone — or just type it."
        )
        return
    await search(update, context, query)


async def text_outside_forms(update: Update, context: Ctx) -> None:
    """Search for the text typed outside any form."""
    assert update.effective_message is not None
    await search(update, context, update.effective_message.text or "")


async def search(update: Update, context: Ctx, query: str) -> None:
    found = await context.run_db(search_contacts, query, limit=SEARCH_LIMIT + 1)
    if len(found) == 1:
        await show_card(update, context, found[0].id)
        return
    more = len(found) > SEARCH_LIMIT
    in_trash = 0
    if not found:  # deleted ones are erased after 30 days: say they are there to restore
        now = context.crm.clock()
        in_trash = (await context.run_db(list_trash, now=now, text=query, page_size=1)).total
    text, markup = search_results(query, found[:SEARCH_LIMIT], more=more, in_trash=in_trash)
    await reply(update, text, markup)


@on_button
async def open_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show a contact's card (in place when the button says so)."""
    await show_card(update, context, cb.id, edit=OPEN.arg(cb))


@on_button
async def stage_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show the stages of the contact's pipeline under the card."""
    contact = await context.run_db(get_contact, cb.id)
    assert update.callback_query is not None
    await update.callback_query.edit_message_reply_markup(stage_keyboard(contact))


@on_button
async def stage_chosen(update: Update, context: Ctx, cb: Cb) -> Toast | None:
    """Move the contact to the stage tapped and redraw the card."""
    return await move_stage(update, context, cb.id, STAGE_SET.arg(cb))


async def move_stage(update: Update, context: Ctx, contact_id: int, stage: str) -> Toast | None:
    """Move the contact and redraw its card in place (a Toast when the move was refused)."""
    try:
        await show_card(
            update,
            context,
            contact_id,
            edit=True,
            change=lambda s: change_stage(s, contact_id, stage, by_user_id=context.admin),
        )
    except ValidationError as err:  # an old menu: the contact's type changed since
        await show_card(update, context, contact_id, edit=True)
        return Toast(err.message)
    await after_stage_move(update, context, contact_id, stage)  # issue 12: job offers
    return None


@on_button
async def delete_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Ask whether to move the contact to the trash."""
    card = await context.run_db(get_card, cb.id)
    await reply(update, delete_prompt(card), delete_keyboard(cb.id), edit=True)


@on_button
async def delete_confirmed(update: Update, context: Ctx, cb: Cb) -> None:
    """Move the contact to the trash, with Undo."""
    contact = await context.run_db(delete_contact, cb.id, now=context.crm.clock())
    await reply(update, deleted_text(contact), undo_keyboard(cb.id), edit=True)


@on_button
async def undo_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Take the contact back out of the trash and show its card."""
    await context.run_db(restore_contact, cb.id)
    await show_card(update, context, cb.id, edit=True)


@on_button
async def notes_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show a page of the contact's notes."""
    offset = NOTES.arg(cb)
    contact = await context.run_db(get_contact, cb.id)
    notes, total = await context.run_db(list_notes, cb.id, limit=NOTES_PAGE, offset=offset)
    tz = context.tz
    messages, markup = notes_page(contact, notes, total, offset, tz, NOTES_PAGE)
    for text in messages[:-1]:
        await reply(update, text)
    await reply(update, messages[-1], markup)


def contact_id_of(message: Message | None) -> int | None:
    """The one live contact a bot message is about (a card, a form about it), read from its
    own buttons; None for lists, search results, the trash and other messages."""
    if message is None or message.reply_markup is None:
        return None
    ids = set()
    for row in message.reply_markup.inline_keyboard:
        for btn in row:
            try:
                cb = Cb.decode(str(btn.callback_data))
            except StaleButton:
                continue
            if cb.id and cb.action not in NOT_ABOUT_ONE_CONTACT:
                ids.add(cb.id)
    return ids.pop() if len(ids) == 1 else None


async def card_reply(update: Update, context: Ctx) -> None:
    """Save a text reply to a card (or a bot message about a contact) as a note."""
    message = update.effective_message
    assert message is not None
    contact_id = contact_id_of(message.reply_to_message)
    if contact_id is None:
        await text_outside_forms(update, context)
        return
    await _note_by_reply(update, context, contact_id, with_card=True)


def _actions_of(message: Message) -> set[str]:
    actions = set()
    for row in message.reply_markup.inline_keyboard if message.reply_markup else ():
        for btn in row:
            actions.add(str(btn.callback_data).partition(":")[0])
    return actions


async def note_from_reply(
    update: Update,
    context: Ctx,
    *,
    own: frozenset[str],
    contact_id: int | None = None,
    writes_note: bool = False,
) -> bool:
    """While a form is open: a text reply to a bot message about a contact (a card) is that
    contact's note, as a reply to a card always is; add it and return True, and the form asks
    its question again. False when the text is the form's: not such a reply, or a reply to
    the form's own question (a message with buttons of its ``own`` actions, about its
    ``contact_id`` or about no one), or, for a form that ``writes_note`` on ``contact_id``,
    a reply to that contact's card (the note it is writing)."""
    message = update.effective_message
    replied = message.reply_to_message if message else None
    target = contact_id_of(replied)
    if replied is None or target is None or filters.COMMAND.check_update(update):
        return False
    if _actions_of(replied) & own and contact_id in (None, target):
        return False
    if writes_note and target == contact_id:
        return False
    await _note_by_reply(update, context, target, with_card=False)
    return True


async def _note_by_reply(
    update: Update, context: Ctx, contact_id: int, *, with_card: bool
) -> None:
    """Add the replied text as an internal note on ``contact_id``; say so (with the card
    after it when ``with_card``), or say why not."""
    message = update.effective_message
    assert message is not None
    user_id = context.admin

    def work(session: Session) -> ContactCard:
        add_note(session, contact_id, user_id, NoteType.INTERNAL, message.text or "")
        return get_card(session, contact_id)

    try:
        card = await context.run_db(work)
    except CRMError as err:  # deleted meanwhile, or a note that can't be kept
        await reply(update, esc(str(err) or texts.GONE))
        return
    if with_card:
        await message.reply_text("📝 Note added.", parse_mode=ParseMode.HTML)
        await send_card(update, context, card)
    else:
        await message.reply_text(
            f"📝 Note added to <b>{esc(card.contact.name)}</b>.", parse_mode=ParseMode.HTML
        )


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [
        CommandHandler("find", find_command),
        CallbackQueryHandler(open_button, pattern=pattern(OPEN)),
        CallbackQueryHandler(stage_button, pattern=pattern(STAGE_MENU)),
        CallbackQueryHandler(stage_chosen, pattern=pattern(STAGE_SET)),
        CallbackQueryHandler(delete_button, pattern=pattern(DELETE)),
        CallbackQueryHandler(delete_confirmed, pattern=pattern(DELETE_YES)),
        CallbackQueryHandler(undo_button, pattern=pattern(UNDO)),
        CallbackQueryHandler(notes_button, pattern=pattern(NOTES)),
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.REPLY, card_reply),
        MessageHandler(filters.TEXT & ~filters.COMMAND, text_outside_forms),
    ]
