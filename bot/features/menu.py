"""The main menu and the read-mostly screens it opens: /list with filters, /today, /dashboard,
/trash, /export; and /start, /help and what no form took (/cancel, /skip, unknown commands)."""

from __future__ import annotations

import io
from datetime import datetime, time
from typing import Any

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.actions import (
    LIST_PAGE,
    LIST_STATUS,
    LIST_TYPE,
    LIST_VIEW,
    MENU,
    PURGE,
    PURGE_YES,
    RESTORE,
    TRASH,
)
from bot.arguments import ListEdge
from bot.callbacks import Cb, StaleButton, pattern
from bot.handling import FORM_KEYS, Ctx, on_button, reply, text_of
from bot.views.common import esc
from bot.views.dashboard import render_dashboard
from bot.views.lists import (
    filter_from_state,
    list_keyboard,
    main_menu,
    purge_prompt,
    render_list,
    render_today,
    render_trash,
)
from bot.views.report import forecast_block
from crm_core.services.contacts import get_contact
from crm_core.services.csv_io import export_contacts
from crm_core.services.dashboard import dashboard
from crm_core.services.followups import due_followups
from crm_core.services.listing import ContactFilter, View, iter_filtered, list_contacts
from crm_core.services.report import forecast
from crm_core.services.trash import list_trash, purge_contact, restore_contact

PAGE_SIZE = 10


async def start_command(update: Update, context: Ctx) -> None:
    """Show what the bot does and the main menu (/start, /help)."""
    await reply(update, texts.HELP, main_menu())


async def stray_cancel(update: Update, context: Ctx) -> None:
    """Say there is nothing to cancel, with the main menu."""
    await reply(update, texts.NOTHING_TO_CANCEL, main_menu())


def _form_open(context: Ctx) -> bool:
    return any(key in context.user_state for key in FORM_KEYS)


async def stray_skip(update: Update, context: Ctx) -> None:
    """Say why /skip did nothing: no question waiting, or one that can't be skipped."""
    await reply(update, texts.SKIP_NOT_HERE if _form_open(context) else texts.NOTHING_TO_SKIP)


async def unknown_command(update: Update, context: Ctx) -> None:
    """Say that a command is unknown (/lsit), with the commands and the menu.

    An open form stays open.
    """
    command = text_of(update).split(maxsplit=1)[0] if text_of(update) else "/"
    await reply(
        update,
        texts.unknown_command(esc(command[:40]), form_open=_form_open(context)),
        main_menu(),
    )


#: Said when the stored /list state couldn't be read and was reset.
LIST_RESET = "⚠️ Your list filters couldn't be read, so they were reset."


def _list_state(context: Ctx) -> dict[str, Any]:
    state: dict[str, Any] = context.user_state.setdefault("list", {})
    return state


def _list_filter(context: Ctx) -> tuple[ContactFilter, str]:
    """The stored /list filter, and a word for the admin if it had to be repaired: state that
    can't be read (an older version's, a damaged row) is reset to the defaults instead of
    failing every /list and /export from then on (persistence would keep it)."""
    state = _list_state(context)
    try:
        int(state.get("page", 1))
        return filter_from_state(state), ""
    except (ValueError, TypeError):
        state.clear()
        return filter_from_state(state), LIST_RESET


async def show_list(
    update: Update, context: Ctx, *, edit: bool = False, edge: ListEdge | None = None
) -> None:
    """The list at the stored page; after a Prev/Next button, the contacts before/after its
    ``edge`` contact (see ``list_contacts``)."""
    flt, repaired = _list_filter(context)
    state = _list_state(context)
    user_id, today = context.admin, context.today
    page = await context.run_db(
        list_contacts,
        user_id,
        flt,
        page=int(state.get("page", 1)),
        page_size=PAGE_SIZE,
        after=edge.contact_id if edge and not edge.before else None,
        before=edge.contact_id if edge and edge.before else None,
    )
    state["page"] = page.page
    text = render_list(page, flt, today)
    await reply(
        update, f"{repaired}\n\n{text}" if repaired else text, list_keyboard(page, flt), edit=edit
    )


async def list_command(update: Update, context: Ctx) -> None:
    """Show the contacts of the last filter used, first page (/list)."""
    _list_state(context)["page"] = 1
    await show_list(update, context)


@on_button
async def list_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Change the list's page, type, status or view, and redraw it."""
    state = _list_state(context)
    if cb.action == LIST_PAGE:
        state["page"] = cb.id
        await show_list(update, context, edit=True, edge=LIST_PAGE.arg(cb))
        return
    keys: dict[str, str] = {LIST_TYPE: "type", LIST_STATUS: "status", LIST_VIEW: "view"}
    key = keys[cb.action]
    value = cb.arg  # a text (bot.actions), checked here against the filter's choices
    try:  # checked before it is stored: persistence would keep a bad value for good
        filter_from_state({key: value})
    except ValueError as err:
        raise StaleButton(cb.arg) from err
    state[key] = value
    state["page"] = 1
    await show_list(update, context, edit=True)
    return


async def today_command(update: Update, context: Ctx) -> None:
    """Show my follow-ups due today and overdue, oldest first (/today)."""
    user_id, today = context.admin, context.today
    items = await context.run_db(due_followups, user_id, today)
    text, markup = render_today(items, today)
    await reply(update, text, markup)


async def dashboard_command(update: Update, context: Ctx) -> None:
    """Show my figures and the team's (/dashboard)."""
    user_id, today = context.admin, context.today
    mine = await context.run_db(dashboard, user_id, View.MINE, today)
    team = await context.run_db(dashboard, user_id, View.TEAM, today)
    month_start = datetime.combine(today.replace(day=1), time(), context.tz)
    weights = context.crm.settings.stage_probabilities
    ahead = await context.run_db(forecast, month_start, weights)  # issue 12
    await reply(update, render_dashboard(mine, team) + "\n\n" + forecast_block(ahead))


def trash_state(context: Ctx) -> dict[str, Any]:
    """What /trash shows: ``q`` (the search, "" for all) and ``page``."""
    state: dict[str, Any] = context.user_state.setdefault("trash", {})
    return state


async def trash_command(update: Update, context: Ctx) -> None:
    """Show the trash, most recently deleted first, a page at a time (/trash).

    With words after the command, only the deleted contacts that search would find by them.
    """
    state = trash_state(context)
    state.clear()
    state["q"] = " ".join(context.args or [])
    await show_trash(update, context)


async def show_trash(update: Update, context: Ctx, *, edit: bool = False) -> None:
    state = trash_state(context)
    query, page_no = state.get("q"), state.get("page", 1)
    if not isinstance(query, str) or not isinstance(page_no, int):  # unreadable: start over
        state.clear()
        query, page_no = "", 1
    now = context.crm.clock()
    page = await context.run_db(list_trash, now=now, text=query, page=page_no, page_size=PAGE_SIZE)
    state["page"] = page.page
    text, markup = render_trash(page, query, context.tz, now)
    await reply(update, text, markup, edit=edit)


@on_button
async def trash_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Turn the trash's page, show all of it, or go back to it from the erase question.

    Prev/Next carry the page in the id, "Show the whole trash" is ``all``, and page 0
    goes back to where it was.
    """
    state = trash_state(context)
    if TRASH.arg(cb) == "all":
        state["q"] = ""
    if cb.id:
        state["page"] = cb.id
    await show_trash(update, context, edit=True)


@on_button
async def restore_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Take a contact out of the trash, show its card, and redraw the trash."""
    from bot.features.cards import show_card

    await context.run_db(restore_contact, cb.id)
    await show_card(update, context, cb.id)
    await show_trash(update, context, edit=True)


@on_button
async def erase_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Ask whether to erase a trashed contact for good."""
    contact = await context.run_db(get_contact, cb.id, include_deleted=True)
    text, markup = purge_prompt(contact)
    await reply(update, text, markup, edit=True)


@on_button
async def erase_confirmed(update: Update, context: Ctx, cb: Cb) -> None:
    """Erase a trashed contact and its files for good, and redraw the trash."""
    result = await context.run_db(purge_contact, cb.id)
    await context.crm.delete_objects(result.storage_keys)
    await reply(update, "Erased for good.")
    await show_trash(update, context, edit=True)


async def export_command(update: Update, context: Ctx) -> None:
    """Send the contacts of the current /list filter as a CSV file (/export)."""
    flt, repaired = _list_filter(context)
    if repaired:
        await reply(update, repaired)
    user_id = context.admin

    def build(session: Any) -> tuple[bytes, int]:
        buffer = io.StringIO()
        count = export_contacts(session, buffer, iter_filtered(session, user_id, flt))
        return buffer.getvalue().encode("utf-8"), count

    # Count rows, not lines: an address may hold a line break.
    data, count = await context.run_db(build)
    assert update.effective_chat is not None
    stamp = context.crm.clock().strftime("%Y%m%d")
    await update.effective_chat.send_document(
        InputFile(io.BytesIO(data), filename=f"contacts-{stamp}.csv"),
        caption=f"{count} contact{'s' if count != 1 else ''} from your current /list filter.",
    )


@on_button
async def menu_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Open what a main-menu button names."""
    action = MENU.arg(cb)
    if action == "find":
        await reply(update, "Type part of a name, email, company or phone number.")
    elif action == "list":
        await list_command(update, context)
    elif action == "today":
        await today_command(update, context)
    elif action == "dash":
        await dashboard_command(update, context)
    elif action == "trash":
        await trash_command(update, context)


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [
        CommandHandler(["start", "help"], start_command),
        CommandHandler("cancel", stray_cancel),
        CommandHandler("skip", stray_skip),
        CommandHandler("list", list_command),
        CommandHandler("today", today_command),
        CommandHandler("dashboard", dashboard_command),
        CommandHandler("trash", trash_command),
        CommandHandler("export", export_command),
        CallbackQueryHandler(
            list_button, pattern=pattern(LIST_TYPE, LIST_STATUS, LIST_VIEW, LIST_PAGE)
        ),
        CallbackQueryHandler(trash_button, pattern=pattern(TRASH)),
        CallbackQueryHandler(restore_button, pattern=pattern(RESTORE)),
        CallbackQueryHandler(erase_button, pattern=pattern(PURGE)),
        CallbackQueryHandler(erase_confirmed, pattern=pattern(PURGE_YES)),
        CallbackQueryHandler(menu_button, pattern=pattern(MENU)),
    ]
