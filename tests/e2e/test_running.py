"""Running the bot: what it does on start, webhook mode and its secret, the ``crm-bot`` entry
point's configuration error, and a clean stop on SIGTERM (a Heroku restart)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from telegram import Update

import bot.app as bot_app
from bot import texts
from bot.app import build_application, webhook_secret
from crm_core.config import Settings
from sandbox import BotApiDouble, Phone, command_entities
from tests.e2e.flows import say
from tests.e2e.support import collect_errors, free_port, row_counts
from web.server import serving

VENV_BIN = Path(sys.executable).parent
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

#: The command menu in the order issue 3 lists the commands.
DOCUMENTED_ORDER = [
    "start",
    "help",
    "add",
    "find",
    "list",
    "today",
    "dashboard",
    "trash",
    "export",
    "cancel",
]


# --- start -----------------------------------------------------------------------------------


async def test_start_registers_the_command_menu_and_logs_one_line(
    start_bot: Any, double: BotApiDouble, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    url = "postgresql+psycopg2://crm:s3cret-pw@db.example.com:5432/crm"
    async with start_bot(database_url=url):  # the engine is the test's; the URL is only shown
        menu = [c["command"] for c in double.commands]
        assert menu == [name for name, _ in texts.COMMANDS]
        # Every documented command, in the documented order (later issues may add more).
        assert [name for name in menu if name in DOCUMENTED_ORDER] == DOCUMENTED_ORDER
        assert all(c["description"] for c in double.commands)
        assert len(double.calls("setMyCommands")) == 1
    [line] = [r.getMessage() for r in caplog.records if "started" in r.getMessage()]
    assert "mode=polling" in line
    assert "database=postgresql+psycopg2://crm:***@db.example.com:5432/crm" in line
    assert "storage=" in line
    assert "s3cret" not in caplog.text


# --- webhook ---------------------------------------------------------------------------------


def test_webhook_secret_is_the_configured_one_or_derived_from_the_token() -> None:
    given = Settings(telegram_token="1:A", webhook_secret="my-Secret_1")
    assert webhook_secret(given) == "my-Secret_1"
    derived = webhook_secret(Settings(telegram_token="1:A"))
    assert derived == webhook_secret(Settings(telegram_token="1:A")), "must survive restarts"
    assert derived != webhook_secret(Settings(telegram_token="2:B"))
    assert "1:A" not in derived
    # Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -.
    assert 1 <= len(derived) <= 256
    assert derived.replace("_", "").replace("-", "").isalnum()


async def _reached(bot: Any, settings: Settings) -> None:
    return None


class _FakeApplication:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.bot = None
        self.bot_data: dict[str, Any] = {}

    def run_polling(self, **kwargs: Any) -> None:
        self.calls.append(("polling", kwargs))
        self._close_loop()

    @staticmethod
    def _close_loop() -> None:
        """As PTB's run_* do (close_loop=True) with the loop run() made current."""
        asyncio.get_event_loop().close()
        asyncio.set_event_loop(None)


@pytest.mark.parametrize(
    ("webhook_url", "port", "mode"),
    [
        (None, None, "polling"),
        (None, 5123, "server"),  # polling, and the web server on $PORT for the Mini App
        ("https://crm.example.com/", 5123, "server"),
        ("https://crm.example.com/", None, "server"),
    ],
)
def test_run_serves_on_port_or_polls(
    webhook_url: str | None, port: int | None, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _FakeApplication()
    monkeypatch.setattr(bot_app, "build_application", lambda settings: fake)
    # The start-up checks have their own tests (test_startup.py).
    monkeypatch.setattr(bot_app.startup, "require_database", lambda url: None)
    monkeypatch.setattr(bot_app.startup, "reach_telegram", _reached)

    async def serve(application: Any, **kwargs: Any) -> None:
        fake.calls.append(("server", kwargs))

    monkeypatch.setattr(bot_app, "serve_until_signal", serve)
    settings = Settings(telegram_token="1:A", webhook_url=webhook_url, port=port)
    assert bot_app.run(settings) == 0
    [(called, kwargs)] = fake.calls
    assert called == mode
    if mode == "polling":
        assert kwargs["allowed_updates"] == Update.ALL_TYPES
        return
    assert kwargs["webhook_secret"] == webhook_secret(settings)
    assert kwargs["host"] == "0.0.0.0"  # noqa: S104 - Heroku
    assert kwargs["port"] == (port or bot_app.WEBHOOK_PORT)


def _start_message(phone: Phone, message_id: int) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "from": dict(phone.user),
        "chat": phone.chat,
        "date": int(time.time()),
        "text": "/start",
        "entities": command_entities("/start"),
    }


async def test_webhook_mode_serves_updates_and_checks_the_secret(
    double: BotApiDouble,
    bot_settings: Settings,
    engine: Engine,
    phone: Phone,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    port = free_port()
    settings = bot_settings.with_(webhook_url=f"http://127.0.0.1:{port}", port=port)
    secret = webhook_secret(settings)
    app = build_application(settings, engine=engine, migrate_sqlite=False)
    errors = collect_errors(app)
    async with serving(app, host="127.0.0.1", port=port, webhook_secret=secret):
        assert double.webhook["secret_token"] == secret
        assert double.webhook["url"] == f"http://127.0.0.1:{port}/telegram"
        assert double.calls("getUpdates") == []
        first = await phone.send("/start")
        assert "V3 CRM" in (await phone.wait_reply())["text"]
        await phone.wait_idle()
        # A webhook retry of the same update has its effect once.
        sent = len(phone.messages)
        await phone.resend(first)
        await phone.wait_idle()
        assert len(phone.messages) == sent

        url = double.webhook["url"]
        update = {"update_id": 10**9, "message": _start_message(phone, 10_000)}
        processed = row_counts(engine)["bot_processed_updates"]
        async with httpx.AsyncClient(timeout=5) as http:
            for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: secret + "x"}):
                response = await http.post(url, json=update, headers=headers)
                assert response.status_code == 403, headers
            await phone.wait_idle()
            assert len(phone.messages) == sent
            assert row_counts(engine)["bot_processed_updates"] == processed
            oversized = await http.post(
                url, content=b"x" * (2 * 1024 * 1024), headers={SECRET_HEADER: secret}
            )
            assert oversized.status_code == 413
            for junk in (b"{nope", b"[1]", b'{"message": {}}'):
                answer = await http.post(url, content=junk, headers={SECRET_HEADER: secret})
                assert answer.status_code == 400, junk
            response = await http.post(url, json=update, headers={SECRET_HEADER: secret})
            assert response.status_code == 200
            # The same server answers the health check and the Mini App.
            base = f"http://127.0.0.1:{port}"
            assert (await http.get(base + "/healthz")).json() == {"ok": True}
            assert (await http.get(base + "/app")).status_code == 200
            assert (await http.get(base + "/api/me")).status_code == 401
        await double.wait_until(lambda: len(phone.messages) == sent + 1, describe="a reply")
    assert errors == []
    [line] = [r.getMessage() for r in caplog.records if "started" in r.getMessage()]
    assert "mode=webhook" in line


async def test_polling_with_a_port_serves_the_page_beside_the_bot(
    double: BotApiDouble, bot_settings: Settings, engine: Engine, phone: Phone
) -> None:
    settings = bot_settings.with_(port=0)
    app = build_application(settings, engine=engine, migrate_sqlite=False)
    errors = collect_errors(app)
    async with serving(app, host="127.0.0.1", port=0, webhook_secret="unused") as port:
        assert double.webhook["url"] == ""
        assert "V3 CRM" in (await say(phone, "/start"))["text"]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/app")).status_code == 200
            no_webhook = await http.post("/telegram", json={"update_id": 1})
            assert no_webhook.status_code in (404, 405)
    assert errors == []


# --- the process -----------------------------------------------------------------------------


def _clean_env(**extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


def test_crm_bot_deployed_without_a_token_exits_2_with_one_line(tmp_path: Path) -> None:
    """Without a token a local checkout starts the sandbox (test_sandbox_process); a deployment
    (here: WEBHOOK_URL set) must fail loudly instead."""
    result = subprocess.run(
        [str(VENV_BIN / "crm-bot")],
        env=_clean_env(
            ADMIN_CHAT_IDS="1001",
            DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
            WEBHOOK_URL="https://crm.example",
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.db").exists(), "nothing should start without a token"


async def _run_until_sigterm(
    double: BotApiDouble, phone: Phone, tmp_path: Path, port: int | None = None
) -> str:
    """Run ``python -m bot`` (a webhook and the web server on ``port`` when given), answer
    /start, send SIGTERM; return its output once it has exited 0 without a traceback."""
    log_path = tmp_path / "bot.log"
    web_env = {"WEBHOOK_URL": f"http://127.0.0.1:{port}", "PORT": str(port)} if port else {}
    env = _clean_env(
        TELEGRAM_BOT_TOKEN=double.token,
        TELEGRAM_API_BASE_URL=double.base_url,
        TELEGRAM_FILE_BASE_URL=double.base_file_url,
        ADMIN_CHAT_IDS="1001:Alice",
        DATABASE_URL=f"sqlite:///{tmp_path / 'crm.db'}",
        FILE_STORAGE_DIR=str(tmp_path / "files"),
        **web_env,
    )
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=tmp_path, stdout=log_file, stderr=log_file
        )
    try:
        await double.wait_until(lambda: double.commands, timeout=30, describe="setMyCommands")
        if port:
            await double.wait_until(lambda: double.webhook["url"], describe="setWebhook")
            async with httpx.AsyncClient(timeout=5) as http:
                health = await http.get(f"http://127.0.0.1:{port}/healthz")
            assert health.json() == {"ok": True}
        await phone.send("/start")
        await double.wait_until(  # (a morning digest may come too: look for the menu)
            lambda: any("V3 CRM" in m.get("text", "") for m in phone.messages),
            timeout=15,
            describe="the /start menu",
        )
        await phone.wait_idle()
        process.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(process.wait(), timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = log_path.read_text()
    assert returncode == 0, output
    assert "Traceback" not in output, output
    return output


async def test_sigterm_stops_the_polling_bot_cleanly(
    double: BotApiDouble, phone: Phone, tmp_path: Path
) -> None:
    output = await _run_until_sigterm(double, phone, tmp_path)
    assert "V3 CRM bot started: mode=polling" in output
    assert "per_message" not in output, "PTB's informational warning should be filtered"


async def test_sigterm_stops_the_web_server_and_webhook_bot_cleanly(
    double: BotApiDouble, phone: Phone, tmp_path: Path
) -> None:
    port = free_port()
    output = await _run_until_sigterm(double, phone, tmp_path, port)
    assert "V3 CRM bot started: mode=webhook" in output
    assert f"Web server listening on 0.0.0.0:{port}" in output
    assert double.token not in output
