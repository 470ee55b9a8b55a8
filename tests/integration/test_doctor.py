"""`crm doctor` as a real process: Telegram through the Bot API double (getMe, getWebhookInfo),
the example values of .env.example, the Heroku storage rule, and the encryption key that is
optional until a mailbox password is sealed with it. The token is never printed."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from crm_core.crypto import SecretBox, new_key
from crm_core.db import make_engine
from crm_core.migrate import upgrade
from crm_core.services.email_config import save_email_config
from crm_core.services.users import sync_admins
from sandbox import BotApiDouble
from tests.conftest import ALICE, DatabaseMaker
from tests.integration.test_cli import SETTINGS_VARS

TOKEN = "7012345678:AAFakeTokenForDoctorTests_abcdWXYZ"


@pytest.fixture
async def double() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble(token=TOKEN, bot_username="v3_crm_bot") as api:
        yield api


@pytest.fixture
def url(databases: DatabaseMaker) -> str:
    made = databases.new()
    upgrade(made)
    return made


def settings(url: str, double: BotApiDouble, tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "ADMIN_CHAT_IDS": "1001:Alice",
        "FILE_STORAGE_DIR": str(tmp_path / "files"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": double.base_url,
        **more,
    }


async def doctor(tmp_path: Path, **env: str) -> tuple[int, list[str]]:
    """Run `crm doctor` without blocking the loop the double answers on."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crm_core.cli",
        "doctor",
        env={**clean, **env},
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    text = out.decode()
    assert TOKEN not in text
    assert "Traceback" not in text, text
    return process.returncode or 0, text.splitlines()


def line(lines: list[str], name: str) -> str:
    [found] = [entry for entry in lines if entry[6:].startswith(name)]
    return found


async def test_a_correct_configuration_passes_and_names_the_bot(url, double, tmp_path):
    code, lines = await doctor(tmp_path, **settings(url, double, tmp_path))
    assert code == 0, lines
    assert line(lines, "telegram").endswith("the token …WXYZ is @v3_crm_bot")
    assert line(lines, "webhook").endswith("none set (polling mode)")
    assert [entry.split()[0] for entry in lines] == ["OK"] * len(lines)


async def test_the_webhook_is_checked_against_the_mode(url, double, tmp_path):
    webhook_mode = settings(url, double, tmp_path, WEBHOOK_URL="https://crm-1a2b3c.example.com/")
    code, lines = await doctor(tmp_path, **webhook_mode)
    assert code == 0, lines
    assert "none set yet: the bot sets https://crm-1a2b3c.example.com/telegram" in lines[-1]

    double.webhook["url"] = "https://crm-1a2b3c.example.com/telegram"
    code, lines = await doctor(tmp_path, **webhook_mode)
    assert code == 0, lines
    assert line(lines, "webhook").startswith("OK    webhook         set to https://crm-1a2b3c")

    # Polling (no WEBHOOK_URL) while production's webhook is set: polling would remove it.
    code, lines = await doctor(tmp_path, **settings(url, double, tmp_path))
    assert code == 1
    failed = line(lines, "webhook")
    assert failed.startswith("FAIL")
    assert "polling would remove it" in failed
    assert "second bot" in failed

    double.webhook["url"] = "https://someone-else.example.com/telegram"
    code, lines = await doctor(tmp_path, **webhook_mode)
    assert code == 1
    assert "not WEBHOOK_URL's https://crm-1a2b3c.example.com/telegram" in line(lines, "webhook")


async def test_a_rejected_token_is_shown_by_its_last_four_characters(url, double, tmp_path):
    wrong = TOKEN[:-4] + "QQQQ"
    code, lines = await doctor(
        tmp_path, **settings(url, double, tmp_path, TELEGRAM_BOT_TOKEN=wrong)
    )
    assert code == 1
    failed = line(lines, "telegram")
    assert failed.startswith("FAIL")
    assert "rejected the token …QQQQ: copy it again from @BotFather" in failed
    assert wrong not in "\n".join(lines)


async def test_telegram_unreachable_names_the_host(url, tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        "DATABASE_URL": url,
        "ADMIN_CHAT_IDS": "1001",
        "FILE_STORAGE_DIR": str(tmp_path / "files"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
    }
    code, lines = await doctor(tmp_path, **env)
    assert code == 1
    assert f"can't reach Telegram at 127.0.0.1:{port}" in line(lines, "telegram")


async def test_values_left_as_in_env_example_are_flagged(url, double, tmp_path):
    env = settings(
        url,
        double,
        tmp_path,
        TELEGRAM_BOT_TOKEN="123456:ABC-your-token-from-BotFather",
        ADMIN_CHAT_IDS="111111111:Sam",
        TIMEZONE="Europe/London",  # the example's timezone is a real default: not flagged
    )
    code, lines = await doctor(tmp_path, **env)
    assert code == 1
    first = lines[0]
    assert first.startswith("FAIL  configuration")
    assert "TELEGRAM_BOT_TOKEN and ADMIN_CHAT_IDS still hold the example values" in first
    assert "TIMEZONE" not in first


async def test_on_heroku_sqlite_and_local_files_are_refused(double, tmp_path):
    env = {
        "DYNO": "web.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crm.db'}",
        "ADMIN_CHAT_IDS": "1001",
    }
    code, lines = await doctor(tmp_path, **env)
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith("FAIL  configuration")
    assert "heroku-postgresql" in lines[0]
    assert "S3_BUCKET" in lines[0]


async def test_the_key_is_needed_once_a_mailbox_password_is_sealed(url, double, tmp_path):
    key = new_key()
    engine = make_engine(url)
    try:
        with sessionmaker(engine).begin() as session:
            sync_admins(session, [ALICE])
            from crm_core.services.users import get_user_by_telegram_id

            alice = get_user_by_telegram_id(session, ALICE.telegram_user_id)
            assert alice is not None
            save_email_config(session, SecretBox([key]), alice.id, username="alice", password="pw")
    finally:
        engine.dispose()
    code, lines = await doctor(tmp_path, **settings(url, double, tmp_path))
    assert code == 1
    failed = line(lines, "encryption key")
    assert "1 mailbox password is stored sealed" in failed
    code, lines = await doctor(
        tmp_path, **settings(url, double, tmp_path, CRM_EMAIL_ENCRYPTION_KEY=key)
    )
    assert line(lines, "encryption key").startswith("OK"), lines
    # With the key, doctor goes on to log in to the mailbox: here there is no server at all,
    # so that line (and only that one) fails, without showing the password.
    assert [entry[6:].split()[0:2] for entry in lines if not entry.startswith("OK")] == [
        ["mailbox", "alice"]
    ], lines
    assert code == 1
    assert "pw" not in " ".join(entry for entry in lines if "mailbox" in entry).split()
