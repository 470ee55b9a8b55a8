"""``crm-bot`` with no token, as ``make run`` starts it: a process that serves the sandbox's chat
page, says what it is, keeps to SANDBOX_DIR and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


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
