"""``crm-bot`` with no token, as ``make run`` starts it: a process that serves the sandbox's chat
page, says what it is, keeps to SANDBOX_DIR and stops cleanly on SIGTERM; the demo data offered
on an empty database; ids that keep growing across restarts."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import text

from bot.sandbox_mode import started
from crm_core.config import Settings
from crm_core.db import make_engine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_no_token_starts_the_sandbox(tmp_path: Path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))},
        "SANDBOX_PORT": str(port),
        "DATABASE_URL": "",
        "DYNO": "",
        "WEBHOOK_URL": "",
        "S3_BUCKET": "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, "crm-bot exited:\n" + "".join(lines)
            lines.append(line)
            if "not connected to Telegram" in line:
                break
        out = "".join(lines)
        assert f"Sandbox chat: http://127.0.0.1:{port}" in out
        assert "(listening on this computer only)" in out
        assert "This is a local sandbox, not connected to Telegram" in out
        assert "@BotFather" in out
        assert "The sandbox database is empty" in out
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200
        assert '<ul id="messages" title="Messages"' in page.text
        state = httpx.get(f"http://127.0.0.1:{port}/chat/state", timeout=10).json()
        assert [u["name"] for u in state["users"]] == ["Lance", "Tom", "Stranger"]
        assert "start" in [c["command"] for c in state["commands"]]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            rest, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, rest
    assert "Traceback" not in rest
    assert (tmp_path / "sandbox-data" / "crm.db").exists()
    assert not (tmp_path / "crm.db").exists()  # DATABASE_URL's default is never opened
    assert not (tmp_path / "crm-files").exists()


@asynccontextmanager
async def sandbox(folder: Path, *, demo: bool = False) -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox in this process (a free port, ``folder``), and an HTTP client for its page."""
    settings = Settings(sandbox_dir=folder, sandbox_port=0, digest_check_seconds=0)
    async with (
        started(settings, demo=demo) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


def contact_count(folder: Path) -> int:
    engine = make_engine(f"sqlite:///{folder / 'crm.db'}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM crm_contacts")).scalar_one())
    finally:
        engine.dispose()


async def test_an_empty_sandbox_offers_the_demo_once(tmp_path: Path, capsys):
    async with sandbox(tmp_path) as page:
        assert "The sandbox database is empty" in capsys.readouterr().out
        state = (await page.get("/chat/state")).json()
        assert state["actions"] == ["Load demo data", "Send morning digest now"]
        after = await page.post("/chat/action", json={"user": 1001, "label": "Load demo data"})
        assert after.json()["actions"] == ["Send morning digest now"]
    assert contact_count(tmp_path) == 40
    async with sandbox(tmp_path, demo=True) as page:
        assert "has contacts already; no demo data added" in capsys.readouterr().out
        assert (await page.get("/chat/state")).json()["actions"] == ["Send morning digest now"]
    assert contact_count(tmp_path) == 40


async def test_ids_keep_growing_across_restarts(tmp_path: Path):
    """The database remembers handled update ids and conversations remember message ids: a
    restarted sandbox must not hand out old ones again (Telegram never does)."""
    seen = []
    for _ in range(2):
        async with sandbox(tmp_path) as page:
            await page.post("/chat/send", json={"user": 1001, "text": "/start"})
            async with page.stream("GET", "/chat/events", params={"user": 1001}) as events:
                async for line in events.aiter_lines():
                    if line.startswith("data: "):
                        message = json.loads(line[6:])["message"]
                        if "reply_markup" in message:  # the bot's menu answered
                            seen.append(message["message_id"])
                            break
    # Straight after the first (in the same second of the clock): above its ids all the same.
    assert seen[1] > seen[0] + 1
