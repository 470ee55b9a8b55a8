"""Run a real python-telegram-bot Application against :class:`BotApiDouble`.

``running(app)`` does what ``Application.run_polling`` does (initialize, post_init, start the
updater, start; then the reverse, with post_stop / post_shutdown) but inside the test's own event
loop, with short long-poll timeouts and a shutdown that always runs.  Exceptions raised by the
bot's handlers are collected and, by default, re-raised when the block exits, so a handler crash
fails the test instead of only being logged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from .server import BotApiDouble

__all__ = ["BotHandlerErrors", "RunningApp", "build_app", "build_echo_app", "running"]


class BotHandlerErrors(ExceptionGroup):
    """Exceptions the bot's handlers raised while running under ``running()``."""


@dataclass
class RunningApp:
    """What ``running()`` yields. Clear ``errors`` for errors a test expects."""

    app: Application[Any, Any, Any, Any, Any, Any]
    errors: list[Exception] = field(default_factory=list)

    @property
    def bot(self) -> Any:
        return self.app.bot


def build_app(double: BotApiDouble, builder: ApplicationBuilder | None = None) -> Application:
    """``ApplicationBuilder`` wired to the double (token, base URLs).

    Pass your own ``builder`` to add persistence, rate limiter, etc.
    """
    builder = builder or ApplicationBuilder()
    return (
        builder.token(double.token)
        .base_url(double.base_url)
        .base_file_url(double.base_file_url)
        .build()
    )


async def _webhook_receiver(app: Application, secret: str) -> web.AppRunner:
    """A webhook endpoint on a free local port, as python-telegram-bot's custom-webhook example
    runs one: the Application without its own (tornado) server, updates put on its queue."""

    async def receive(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
            return web.Response(status=403)
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return web.Response()

    server = web.Application()
    server.router.add_post("/telegram", receive)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


@asynccontextmanager
async def running(
    app: Application,
    *,
    double: BotApiDouble | None = None,
    mode: Literal["polling", "webhook"] = "polling",
    poll_timeout: int = 1,
    allowed_updates: Sequence[str] | None = None,
    drop_pending_updates: bool = False,
    raise_errors: bool = True,
    webhook_secret: str = "double-secret",  # noqa: S107 - not a real secret
) -> AsyncIterator[RunningApp]:
    """Run ``app`` for the duration of the block.

    Args:
        double: if given, handler exceptions are also reported to it (shown when a ``wait_*``
            fails).
        mode: ``polling`` (getUpdates with ``poll_timeout``) or ``webhook`` (an aiohttp
            endpoint on a free local port; the double POSTs updates to it).
        allowed_updates: passed to PTB as is; None keeps Telegram's setting (by default all
            but chat_member, message_reaction, message_reaction_count) - pass what the bot
            passes in production, e.g. ``Update.ALL_TYPES``.
        raise_errors: re-raise handler exceptions as :class:`BotHandlerErrors` on exit.
    """
    running_app = RunningApp(app)
    updater = app.updater
    if updater is None:
        raise ValueError("running() needs an Application with an Updater")

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            running_app.errors.append(context.error)
            if double is not None:
                double.report_exception(context.error)

    app.add_error_handler(collect)
    body_failed = False
    receiver: web.AppRunner | None = None
    try:
        await app.initialize()
        try:
            if app.post_init:
                await app.post_init(app)
            if mode == "polling":
                await updater.start_polling(
                    poll_interval=0,
                    timeout=poll_timeout,
                    allowed_updates=allowed_updates,
                    drop_pending_updates=drop_pending_updates,
                )
            else:
                receiver = await _webhook_receiver(app, webhook_secret)
                port = receiver.addresses[0][1]
                await app.bot.set_webhook(
                    f"http://127.0.0.1:{port}/telegram",
                    secret_token=webhook_secret,
                    allowed_updates=allowed_updates,
                    drop_pending_updates=drop_pending_updates,
                )
            await app.start()
            try:
                yield running_app
            except BaseException:
                body_failed = True
                raise
            finally:
                if receiver is not None:
                    await receiver.cleanup()
                if updater.running:
                    await updater.stop()
                if app.running:
                    await app.stop()
                    if app.post_stop:
                        await app.post_stop(app)
        finally:
            await app.shutdown()
            if app.post_shutdown:
                await app.post_shutdown(app)
    finally:
        app.remove_error_handler(collect)
    if raise_errors and running_app.errors and not body_failed:
        raise BotHandlerErrors("the bot's handlers raised", list(running_app.errors))


# --------------------------------------------------------------------------- echo yardstick


async def _echo_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "<b>Hello!</b> Send me anything.",
        parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Ping", callback_data="ping")]]),
    )


async def _echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    await message.reply_text(
        message.text,
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Ping", callback_data="ping")]]),
    )


async def _echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"pong: {query.data}")
    original = query.message.text if query.message and hasattr(query.message, "text") else ""
    await query.edit_message_text(f"{original}\n✓ {query.data}")


async def _echo_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    assert message.document is not None
    document = message.document
    data = await (await context.bot.get_file(document.file_id)).download_as_bytearray()
    # Re-upload the bytes (not the file_id) so the multipart path is exercised.
    await message.reply_document(
        bytes(data),
        filename=document.file_name or "file.bin",
        caption=f"{document.file_name}: {len(data)} bytes",
    )


def build_echo_app(double: BotApiDouble, builder: ApplicationBuilder | None = None) -> Application:
    """The benchmark yardstick: /start, text echo, button answer+edit, document round trip."""
    app = build_app(double, builder)
    app.add_handler(CommandHandler("start", _echo_start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo_text))
    app.add_handler(CallbackQueryHandler(_echo_button))
    app.add_handler(MessageHandler(filters.Document.ALL, _echo_document))
    return app
