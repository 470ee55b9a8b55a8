"""The Mini App from the chat: each admin's menu button, the /app command, and the address
the card's "Open in app" button opens. Only when PUBLIC_URL is set."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, MenuButtonWebApp, Update, WebAppInfo
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler

from bot import texts
from bot.handling import Ctx, reply
from bot.views.cards import app_keyboard

log = logging.getLogger(__name__)

MENU_TEXT = "CRM"


def app_url(public_url: str, contact_id: int | None = None) -> str:
    """PUBLIC_URL/app, opening one contact when given (Telegram adds its launch data after a
    ``#``, so the contact goes in the query string)."""
    base = public_url.rstrip("/") + "/app"
    return f"{base}?contact={contact_id}" if contact_id is not None else base


async def set_menu_buttons(bot: Bot, public_url: str, chat_ids: Iterable[int]) -> int:
    """Make the menu button of each admin's private chat open the Mini App - per chat, never
    everyone's default. A chat Telegram doesn't know yet (an admin who never wrote to the bot)
    is skipped; /app sets it later. Returns how many were set."""
    button = MenuButtonWebApp(MENU_TEXT, WebAppInfo(app_url(public_url)))
    done = 0
    for chat_id in chat_ids:
        try:
            await bot.set_chat_menu_button(chat_id=chat_id, menu_button=button)
        except TelegramError as err:
            log.info("Menu button not set for admin %s yet: %s", chat_id, err)
            continue
        done += 1
    return done


async def app_command(update: Update, context: Ctx) -> None:
    """Send a button that opens the CRM page, and set this chat's menu button (/app)."""
    public_url = context.crm.settings.public_url
    if not public_url:
        await reply(update, texts.APP_NOT_CONFIGURED)
        return
    chat = update.effective_chat
    assert chat is not None
    await set_menu_buttons(context.bot, public_url, [chat.id])
    await reply(update, texts.APP_OPEN, app_keyboard(app_url(public_url)))


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [CommandHandler("app", app_command)]
