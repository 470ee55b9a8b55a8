"""The sandbox: the real bot, talking over HTTP to a local stand-in for Telegram, used from a
browser chat page. ``crm-bot --sandbox``, or ``crm-bot`` with no token and nothing deployed.

Everything but Telegram is real: ``build_application`` with its handlers, persistence and
scheduler, a SQLite database and a files folder. Both live under ``SANDBOX_DIR``; the sandbox
never opens ``DATABASE_URL`` or ``FILE_STORAGE_DIR``, so trying it can't touch real data.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.runtime import BOT_DATA_KEY, Crm, in_transaction
from bot.sending import deliver
from bot.views.digest import digest_messages
from crm_core.config import AdminSpec, Settings
from crm_core.demo import load_demo
from crm_core.models import Contact
from crm_core.services.digests import build_digest
from sandbox import BotApiDouble, running
from sandbox.chat import ChatPage, ChatUser
from web.server import build_web_app

log = logging.getLogger(__name__)

#: The admins the sandbox plays when ADMIN_CHAT_IDS is not set.
SANDBOX_ADMINS = (AdminSpec(1001, "Lance"), AdminSpec(1002, "Tom"))
#: Someone who is not an admin, to see the gate refuse them.
STRANGER = ChatUser(4242, "Stranger")
BOT_TOKEN = "7000000001:sandbox-not-a-real-token"  # noqa: S105 - the stand-in's own token
DIGEST_ACTION = "Send morning digest now"
#: In SANDBOX_DIR: the highest ids the last run handed out, so that the next starts above them.
IDS_FILE = "ids.json"
DEMO_ACTION = "Load demo data"
DEMO_NOTICE = (
    "The sandbox database is empty: start with --demo (or the page's ⋮ menu) for demo data."
)


def sandbox_settings(settings: Settings, double: BotApiDouble) -> Settings:
    """``settings`` pointed at the stand-in and at the sandbox's own folder."""
    folder = settings.sandbox_dir.resolve()
    return settings.with_(
        database_url=f"sqlite:///{folder / 'crm.db'}",
        file_storage_dir=folder / "files",
        s3_bucket=None,
        s3_endpoint_url=None,
        telegram_token=double.token,
        telegram_api_base_url=double.base_url,
        telegram_file_base_url=double.base_file_url,
        webhook_url=None,
        admins=settings.admins or SANDBOX_ADMINS,
    )


def chat_users(settings: Settings) -> list[ChatUser]:
    """Whom the page can play: each admin, then the stranger."""
    admins = [
        ChatUser(a.telegram_user_id, a.name or f"Admin {a.telegram_user_id}")
        for a in settings.admins
    ]
    return [*admins, STRANGER]


def banner(url: str, host: str) -> str:
    where = "this computer only" if host in ("127.0.0.1", "localhost", "::1") else f"host {host}"
    return (
        f"\n  Sandbox chat: {url}  (listening on {where})\n"
        "  This is a local sandbox, not connected to Telegram. To run the real bot, get a token "
        "from @BotFather (/newbot) and set TELEGRAM_BOT_TOKEN and ADMIN_CHAT_IDS (see "
        ".env.example).\n"
    )


def contact_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


async def send_digest_now(application: Application, telegram_user_id: int) -> None:
    """Today's morning digest for one admin, now (the ledger is not touched, as with /digest)."""
    services: Crm = application.bot_data[BOT_DATA_KEY]
    if telegram_user_id not in services.user_ids:
        return  # the stranger gets no digest
    digest = await in_transaction(
        services.session_factory,
        build_digest,
        services.user_id(telegram_user_id),
        services.today(telegram_user_id),
    )
    messages = await asyncio.to_thread(digest_messages, digest)
    await deliver(application.bot, telegram_user_id, messages, deadline=time.monotonic() + 60)


async def serve(
    settings: Settings,
    *,
    demo: bool = False,
    ready: Callable[[str], Any] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the sandbox until ``stop`` is set (or SIGINT / SIGTERM). ``ready(url)`` is called
    once the page is up (default: print the banner)."""
    settings.sandbox_dir.mkdir(parents=True, exist_ok=True)
    ids_file = settings.sandbox_dir / IDS_FILE
    floor = _read_ids(ids_file)
    double = BotApiDouble(
        BOT_TOKEN,
        bot_username="v3crm_sandbox_bot",
        bot_first_name="V3 CRM",
        host=settings.sandbox_host,
        port=settings.sandbox_port,
        # Ids keep growing across restarts, as on Telegram: the database remembers the update
        # ids it handled, and conversations remember their messages' ids. Above both the last
        # run's (kept in SANDBOX_DIR at the stop) and the clock (if that was never written).
        first_update_id=max(time.time_ns() // 1000, floor["update"] + 1),
        first_message_id=max(int(time.time()) - 1_700_000_000, floor["message"] + 1),
        callback_query_ttl=60.0,
        local_web_apps=True,  # the Mini App is served on this machine, over plain HTTP
    )
    admins = settings.admins or SANDBOX_ADMINS
    page = ChatPage(double, chat_users(settings.with_(admins=admins)))
    # The Mini App is served by the bot's own web server (web/), as in production; its socket
    # is bound first so that its address (PUBLIC_URL) is known before the bot is built.
    app_socket = socket.create_server((settings.sandbox_host, 0))
    app_host = "127.0.0.1" if settings.sandbox_host in ("0.0.0.0", "") else settings.sandbox_host  # noqa: S104
    public_url = f"http://{app_host}:{app_socket.getsockname()[1]}"
    async with double:
        local = sandbox_settings(settings, double).with_(public_url=public_url)
        application = await asyncio.to_thread(build_application, local)  # migrates SQLite
        services: Crm = application.bot_data[BOT_DATA_KEY]
        # The chat page (another port, so another origin) opens the page in a panel.
        mini_app = web.AppRunner(build_web_app(services, frame_ancestors=(double.url,)))
        await mini_app.setup()
        await web.SockSite(mini_app, app_socket).start()
        if await in_transaction(services.session_factory, contact_count) == 0:
            if demo:
                await _load_demo(application, local)
            else:
                print(DEMO_NOTICE, flush=True)

                async def load(_user: int) -> None:
                    page.remove_action(DEMO_ACTION)
                    await _load_demo(application, local)

                page.add_action(DEMO_ACTION, load)
        elif demo:
            print("The sandbox database has contacts already; no demo data added.", flush=True)
        page.add_action(DIGEST_ACTION, lambda user: send_digest_now(application, user))
        async with running(
            application, double=double, raise_errors=False, allowed_updates=Update.ALL_TYPES
        ):
            (ready or (lambda url: print(banner(url, settings.sandbox_host), flush=True)))(
                double.url
            )
            try:
                await _until_stopped(stop)
            finally:
                await mini_app.cleanup()
                ids = {"update": double.highest_update_id, "message": double.highest_message_id}
                ids_file.write_text(json.dumps(ids))


def _read_ids(path: Path) -> dict[str, int]:
    """The highest update and message ids the last run handed out (0 when unknown)."""
    try:
        saved = json.loads(path.read_text())
        return {key: int(saved[key]) for key in ("update", "message")}
    except (OSError, ValueError, KeyError, TypeError):
        return {"update": 0, "message": 0}


async def _load_demo(application: Application, settings: Settings) -> None:
    services: Crm = application.bot_data[BOT_DATA_KEY]
    store = services.file_store()
    summary = await asyncio.to_thread(load_demo, services.session_factory, store, settings)
    print(f"Demo data: {summary}", flush=True)


async def _until_stopped(stop: asyncio.Event | None) -> None:
    """Wait for ``stop``, or for SIGINT / SIGTERM when none is given (the command line)."""
    if stop is not None:
        await stop.wait()
        return
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


@asynccontextmanager
async def started(settings: Settings, *, demo: bool = False) -> AsyncIterator[str]:
    """Run the sandbox for the duration of the block (tests, screenshots); yields the chat
    page's address. A start-up failure is raised here."""
    stop = asyncio.Event()
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(settings, demo=demo, stop=stop, ready=ready.set_result))
    either: set[asyncio.Future[Any]] = {task, ready}
    done, _ = await asyncio.wait(either, timeout=120, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()  # raises what stopped it
        raise RuntimeError("the sandbox stopped before it was ready")
    if ready not in done:
        task.cancel()
        raise TimeoutError("the sandbox did not start within 120 s")
    try:
        yield ready.result()
    finally:
        stop.set()
        await task


def run(settings: Settings, *, demo: bool = False) -> None:
    # The terminal's job is to show the page's address: the scheduler's every tick and
    # Alembic's plugin list would bury it.
    for name in ("apscheduler", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    asyncio.run(serve(settings, demo=demo))
