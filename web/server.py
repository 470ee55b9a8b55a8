"""The one web server in the bot's process: Telegram's webhook at ``/telegram``, the Mini App at
``/app``, its JSON API under ``/api/`` and ``/healthz``.

It follows python-telegram-bot's custom-webhook example: the Application runs without its own
webhook server (``initialize``/``start``, updates put on ``application.update_queue``), and this
aiohttp server is the only thing listening on ``$PORT``. Webhook mode is chosen by
``WEBHOOK_URL`` alone; with only ``PORT`` set the bot polls and the server still serves the page,
the API and ``/healthz`` (a Heroku web dyno must bind ``$PORT``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.runtime import BOT_DATA_KEY, Crm
from bot.startup import STOP_SERVING
from web import api
from web.context import read_limited
from web.errors import TooLarge, json_error, security_headers

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
#: Telegram's updates are small; a larger body is not one of them.
MAX_UPDATE_BYTES = 1024 * 1024
TELEGRAM: web.AppKey[Application] = web.AppKey("telegram", Application)
WEBHOOK_SECRET: web.AppKey[str] = web.AppKey("webhook_secret", str)


def build_web_app(
    services: Crm,
    *,
    telegram: Application | None = None,
    webhook_secret: str | None = None,
    limits: api.Limits | None = None,
    frame_ancestors: tuple[str, ...] = (),
) -> web.Application:
    """The aiohttp application. ``telegram`` and ``webhook_secret`` (webhook mode only) add
    ``/telegram``; ``frame_ancestors`` are extra origins allowed to frame the page (Telegram's
    web clients always are)."""
    limits = limits or api.Limits()
    app = web.Application(client_max_size=limits.upload_bytes + 64 * 1024)
    app.on_response_prepare.append(security_headers(frame_ancestors))
    api.setup(app, services, limits)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/app", page)
    app.router.add_static("/app/static/", STATIC, follow_symlinks=False)
    if telegram is not None:
        if not webhook_secret:
            raise ValueError("a webhook needs its secret")
        app[TELEGRAM] = telegram
        app[WEBHOOK_SECRET] = webhook_secret
        app.router.add_post("/telegram", telegram_update)
    return app


async def healthz(request: web.Request) -> web.Response:
    """Up and serving (the process is; the database is checked by ``crm doctor``)."""
    return web.json_response({"ok": True})


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def telegram_update(request: web.Request) -> web.Response:
    """Put a webhook update on the Application's queue, if it carries our secret."""
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), request.app[WEBHOOK_SECRET].encode()):
        return json_error(403, "Wrong secret token.")
    try:
        body = await read_limited(request, MAX_UPDATE_BYTES, TooLarge())
    except TooLarge:
        return json_error(413, "That update is too large.")
    try:
        data = json.loads(body)
    except ValueError:
        return json_error(400, "That is not JSON.")
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return json_error(400, "That is not an update.")
    application = request.app[TELEGRAM]
    update = Update.de_json(data, application.bot)
    await application.update_queue.put(update)
    return web.json_response({"ok": True})


# --- the process -----------------------------------------------------------------------------


@asynccontextmanager
async def serving(
    application: Application,
    *,
    host: str,
    port: int,
    webhook_secret: str,
    frame_ancestors: tuple[str, ...] = (),
    before_start: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[int]:
    """Run the bot and the web server for the block; yields the port bound (``port=0`` picks a
    free one). The port is bound first, then ``before_start`` runs (waiting for Telegram, which
    may take minutes in an outage: /healthz answers meanwhile), then the bot starts. On the way
    out: stop taking requests, stop fetching updates, let the update in hand finish, then shut
    down (persistence is flushed)."""
    services: Crm = application.bot_data[BOT_DATA_KEY]
    settings = services.settings
    webhook_url = settings.webhook_url
    webhook = bool(webhook_url)
    app = build_web_app(
        services,
        telegram=application if webhook else None,
        webhook_secret=webhook_secret if webhook else None,
        frame_ancestors=frame_ancestors,
    )
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    taking_requests = True

    async def stop_taking_requests() -> None:
        nonlocal taking_requests
        if taking_requests:
            taking_requests = False
            await runner.cleanup()

    try:
        await web.TCPSite(runner, host, port).start()
        bound = int(runner.addresses[0][1])
        if before_start is not None:
            await before_start()
        await application.initialize()
        try:
            if application.post_init:
                await application.post_init(application)
            updater = application.updater
            if webhook_url:
                await application.bot.set_webhook(
                    url=webhook_url.rstrip("/") + "/telegram",
                    secret_token=webhook_secret,
                    allowed_updates=Update.ALL_TYPES,
                )
            elif updater is not None:
                await updater.start_polling(allowed_updates=Update.ALL_TYPES)
            await application.start()
            try:
                yield bound
            finally:
                await stop_taking_requests()  # first: no update accepted that won't be handled
                if updater is not None and updater.running:
                    await updater.stop()
                if application.running:
                    await application.stop()
                    if application.post_stop:
                        await application.post_stop(application)
        finally:
            await application.shutdown()
            if application.post_shutdown:
                await application.post_shutdown(application)
    finally:
        await stop_taking_requests()


class _StoppedBeforeStart(Exception):  # noqa: N818
    """A stop signal came while waiting for Telegram: nothing was started."""


async def serve_until_signal(
    application: Application,
    *,
    host: str,
    port: int,
    webhook_secret: str,
    before_start: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """``serving`` until SIGTERM or SIGINT (a Heroku restart, Ctrl-C), or until the bot asks
    to stop (``bot.startup.STOP_SERVING``: another process polls this token)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    application.bot_data[STOP_SERVING] = stop.set

    async def wait_unless_stopped() -> None:
        """``before_start`` (waiting for Telegram), given up if a signal comes first."""
        if before_start is None:
            return
        waiting = asyncio.ensure_future(before_start())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not waiting.done():
            waiting.cancel()
            raise _StoppedBeforeStart
        waiting.result()  # its error, if any

    try:
        async with serving(
            application,
            host=host,
            port=port,
            webhook_secret=webhook_secret,
            before_start=wait_unless_stopped,
        ) as bound:
            log.info("Web server listening on %s:%d", host, bound)
            await stop.wait()
            log.info("Stopping: finishing the update in hand")
    except _StoppedBeforeStart:
        log.info("Stopped while waiting for Telegram")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with suppress(Exception):
                loop.remove_signal_handler(sig)


def static_files() -> list[Path]:
    """The page's own files (HTML, JS, CSS): what its weight is measured on."""
    return sorted(p for p in STATIC.iterdir() if p.suffix in {".html", ".js", ".css"})
