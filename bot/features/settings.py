"""/settings: the admin's digest time, timezone, days and empty-day line, all by buttons.

Typing a time or a timezone is a small conversation (``bot.conversations.settings``); this
module owns the screens and the button presses.
"""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.actions import SETTINGS, SETTINGS_VALUE
from bot.callbacks import Cb, pattern
from bot.handling import Ctx, Toast, on_button, reply
from bot.views.settings import (
    days_menu,
    render_settings,
    time_menu,
    timezone_menu,
)
from crm_core.schedule import next_digest_at
from crm_core.services import preferences as prefs_svc


async def _preferences(update: Update, context: Ctx) -> prefs_svc.DigestPreferences:
    settings = context.crm.settings
    return await context.run_db(
        prefs_svc.get_preferences,
        context.admin,
        default_tz=settings.timezone,
        default_time=settings.digest_time,
    )


async def show_settings(update: Update, context: Ctx, *, edit: bool = False) -> None:
    """Send (or redraw, from one of its buttons) the settings screen."""
    prefs = await _preferences(update, context)
    next_at = next_digest_at(
        context.crm.clock(), ZoneInfo(prefs.timezone), prefs.digest_time, prefs.days
    )
    text, markup = render_settings(prefs, next_at)
    await reply(update, text, markup, edit=edit)


def remember_timezone(context: Ctx, zone: str) -> None:
    """Handlers read the admin's timezone from memory: keep it in step with the database."""
    context.crm.timezones[context.telegram_id] = zone


async def settings_command(update: Update, context: Ctx) -> None:
    """Show the digest settings (/settings)."""
    await show_settings(update, context)


@on_button
async def screen_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Open a sub-menu (time, timezone, days) or go back to the overview."""
    screen = SETTINGS.arg(cb)
    if screen == "home":
        await show_settings(update, context, edit=True)
        return
    prefs = await _preferences(update, context)
    menus = {
        "time": lambda: time_menu(prefs.digest_time),
        "tz": lambda: timezone_menu(prefs.timezone),
        "days": lambda: days_menu(prefs.days),
    }
    text, markup = menus[screen]()
    await reply(update, text, markup, edit=True)


@on_button
async def value_chosen(update: Update, context: Ctx, cb: Cb) -> Toast:
    """Store a value picked from a menu and show the overview again."""
    user_id = context.admin
    kind, value = SETTINGS_VALUE.arg(cb)
    if kind == "t":
        await context.run_db(
            prefs_svc.set_digest_time, user_id, time(int(value[:2]), int(value[2:]))
        )
    elif kind == "z":
        user = await context.run_db(prefs_svc.set_timezone, user_id, value)
        remember_timezone(context, user.timezone or value)
    elif kind == "d":
        await context.run_db(prefs_svc.set_digest_days, user_id, value)
    elif kind == "e":
        await context.run_db(prefs_svc.set_send_empty, user_id, value == "1")
    await show_settings(update, context, edit=True)
    return Toast("Saved.")


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [
        CommandHandler("settings", settings_command),
        CallbackQueryHandler(screen_button, pattern=pattern(SETTINGS)),
        CallbackQueryHandler(value_chosen, pattern=pattern(SETTINGS_VALUE)),
    ]
