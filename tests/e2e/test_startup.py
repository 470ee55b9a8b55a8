"""Start-up that fails in one sentence and recovers where it can (bot/startup.py): the real
``crm-bot`` process, or the real start-up code, against the Bot API double configured to fail,
a closed port, and databases that can't be used. The token never appears whole in any output."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot

from bot.startup import (
    ANOTHER_POLLER,
    WEBHOOK_WHILE_POLLING,
    ConflictWatch,
    StartupError,
    TokenRedactor,
    wait_for_telegram,
)
from sandbox import BotApiDouble
from tests.conftest import DatabaseMaker

TOKEN = "7012345678:AAFakeTokenForStartupTests_abcdWXYZ"
CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


@pytest.fixture
async def double() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble(token=TOKEN) as api:
        yield api


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the token never in a log ----------------------------------------------------------------


def test_the_token_is_redacted_from_messages_arguments_and_tracebacks() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(TokenRedactor(TOKEN))
    logger = logging.getLogger("tests.startup.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
        # What httpx logs for every request at INFO.
        logging.getLogger("tests.startup.redaction.httpx")  # a child: the handler still sees it
        logger.warning('HTTP Request: POST %s "HTTP/1.1 200 OK"', url)
        logger.warning(f"token in the message itself: {TOKEN}")  # noqa: G004 - on purpose
        try:
            raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
        except RuntimeError:
            logger.exception("start failed")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert TOKEN not in text
    assert TOKEN.split(":")[1] not in text
    assert text.count("<token …WXYZ>") == 3
    assert "RuntimeError" in text  # the traceback is kept, only the token goes


# --- Telegram unreachable: back-off, one line per attempt -------------------------------------


async def test_an_unreachable_telegram_is_retried_with_capped_back_off(
    double: BotApiDouble, caplog: pytest.LogCaptureFixture
) -> None:
    double.fail_next("getMe", 502, times=5)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    host = f"127.0.0.1:{double.port}"
    bot = Bot(TOKEN, base_url=double.base_url)
    try:
        await wait_for_telegram(bot, host, sleep=sleep, max_delay=4)
        assert bot.username == "double_bot"
    finally:
        await bot.shutdown()
    assert waits == [1, 2, 4, 4, 4]
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.startup"]
    assert len(lines) == 5
    assert all(f"Telegram ({host}) can't be reached" in line for line in lines)
    assert [f"attempt {n}:" in line for n, line in enumerate(lines, 1)] == [True] * 5


async def test_a_closed_port_is_retried_too(caplog: pytest.LogCaptureFixture) -> None:
    port = closed_port()
    attempts = 0

    class GiveUpError(Exception):
        pass

    async def sleep(seconds: float) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 3:
            raise GiveUpError

    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot")
    with pytest.raises(GiveUpError):
        await wait_for_telegram(bot, f"127.0.0.1:{port}", sleep=sleep)
    await bot.shutdown()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.startup"]
    assert len(lines) == 3
    assert all(f"Telegram (127.0.0.1:{port}) can't be reached" in line for line in lines)
    assert TOKEN not in caplog.text


async def test_a_rejected_token_is_one_sentence_with_its_last_four_characters(
    double: BotApiDouble,
) -> None:
    wrong = TOKEN[:-4] + "QQQQ"
    bot = Bot(wrong, base_url=double.base_url)
    with pytest.raises(StartupError) as caught:
        await wait_for_telegram(bot, "api.telegram.org")
    message = str(caught.value)
    assert wrong not in message
    assert "…QQQQ" in message
    assert "copy it again from @BotFather" in message


def test_conflicts_persist_from_the_third_within_a_minute() -> None:
    now = [0.0]
    watch = ConflictWatch(clock=lambda: now[0])
    assert not watch.persists()  # a restart's overlap
    now[0] = 61.0
    assert not watch.persists()  # the first is forgotten
    now[0] = 62.0
    assert not watch.persists()
    now[0] = 63.5
    assert watch.persists()


# --- the real process ------------------------------------------------------------------------


def bot_env(tmp_path: Path, **more: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE"))}
    base.pop("DYNO", None)
    return {
        **base,
        "PYTHONUNBUFFERED": "1",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ADMIN_CHAT_IDS": "1001:Alice",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crm.db'}",
        "FILE_STORAGE_DIR": str(tmp_path / "files"),
        **more,
    }


async def start(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process) -> tuple[str, str]:
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stdout, stderr = out.decode(), err.decode()
    assert TOKEN not in stdout + stderr, "the whole token must never be printed"
    return stdout, stderr


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


async def test_crm_bot_with_a_rejected_token_exits_1_in_one_sentence(
    double: BotApiDouble, tmp_path: Path
) -> None:
    wrong = TOKEN[:-4] + "QQQQ"
    env = bot_env(tmp_path, TELEGRAM_BOT_TOKEN=wrong, TELEGRAM_API_BASE_URL=double.base_url)
    process = await start(tmp_path, env)
    _, stderr = await finish(process)
    assert process.returncode == 1, stderr
    assert wrong not in stderr
    assert "Traceback" not in stderr
    assert last_line(stderr) == (
        "Telegram rejected the bot token ending …QQQQ: copy it again from @BotFather "
        "(/mybots, API Token) into TELEGRAM_BOT_TOKEN."
    )


async def test_crm_bot_waits_for_telegram_then_starts(
    double: BotApiDouble, tmp_path: Path
) -> None:
    double.fail_next("getMe", 502, times=2)
    env = bot_env(tmp_path, TELEGRAM_API_BASE_URL=double.base_url)
    process = await start(tmp_path, env)
    try:
        await double.wait_until(lambda: double.calls("getUpdates"), timeout=30, describe="polling")
    finally:
        process.terminate()
    _, stderr = await finish(process)
    assert process.returncode == 0, stderr
    retries = [line for line in stderr.splitlines() if "can't be reached" in line]
    assert len(retries) == 2, stderr
    assert all(f"Telegram (127.0.0.1:{double.port})" in line for line in retries)
    assert "Traceback" not in stderr


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
async def test_crm_bot_with_an_unreachable_database_says_so_with_the_password_hidden(
    tmp_path: Path, kind: str
) -> None:
    url = {
        "postgres": f"postgresql://crm:s3cret-pw@127.0.0.1:{closed_port()}/crm",
        "sqlite": f"sqlite:///{tmp_path / 'no-such-dir' / 'crm.db'}",
    }[kind]
    process = await start(tmp_path, bot_env(tmp_path, DATABASE_URL=url))
    _, stderr = await finish(process)
    assert process.returncode == 1, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith(("Can't connect to the database", "Can't open the database"))
    assert "s3cret" not in stderr
    if kind == "postgres":
        assert "crm:***@127.0.0.1" in stderr


@pytest.mark.postgres  # on SQLite the bot migrates the database itself
async def test_crm_bot_on_an_unmigrated_database_says_run_db_upgrade(tmp_path: Path) -> None:
    databases = DatabaseMaker("postgres", tmp_path)
    try:
        url = databases.new()
        process = await start(tmp_path, bot_env(tmp_path, DATABASE_URL=url))
        _, stderr = await finish(process)
    finally:
        databases.close()
    assert process.returncode == 1, stderr
    assert last_line(stderr).endswith("has no schema yet: run `crm db upgrade`.")
    assert "Traceback" not in stderr


async def test_crm_bot_on_heroku_refuses_sqlite_and_local_files(tmp_path: Path) -> None:
    process = await start(tmp_path, bot_env(tmp_path, DYNO="worker.1"))
    _, stderr = await finish(process)
    assert process.returncode == 2, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "heroku-postgresql" in stderr
    assert "S3_BUCKET" in stderr
    assert not (tmp_path / "crm.db").exists(), "nothing may be written to the dyno's disk"


async def test_another_poller_stops_the_bot_in_one_sentence(
    double: BotApiDouble, tmp_path: Path
) -> None:
    process = await start(tmp_path, bot_env(tmp_path, TELEGRAM_API_BASE_URL=double.base_url))
    try:
        await double.wait_until(lambda: double.commands, timeout=30, describe="setMyCommands")
        double.fail_next("getUpdates", 409, times=20, description=CONFLICT)
    except BaseException:
        process.kill()
        raise
    _, stderr = await finish(process)
    assert process.returncode == 1, stderr
    assert ANOTHER_POLLER in stderr
    assert stderr.count(ANOTHER_POLLER) == 1
    assert "Traceback" not in stderr


async def test_a_webhook_set_while_polling_stops_the_bot_in_one_sentence(
    double: BotApiDouble, tmp_path: Path
) -> None:
    double.webhook["url"] = "https://production-1a2b3c.example.com/telegram"
    process = await start(tmp_path, bot_env(tmp_path, TELEGRAM_API_BASE_URL=double.base_url))
    try:
        # Polling removes the webhook it found (and says so); then production sets it again.
        await double.wait_until(lambda: double.calls("getUpdates"), timeout=30, describe="polling")
        assert double.webhook["url"] == ""
        double.webhook["url"] = "https://production-1a2b3c.example.com/telegram"
    except BaseException:
        process.kill()
        raise
    _, stderr = await finish(process)
    assert process.returncode == 1, stderr
    [found] = [line for line in stderr.splitlines() if "A webhook is set for this bot" in line]
    assert "(production-1a2b3c.example.com)" in found
    assert "second bot" in found
    assert stderr.count(WEBHOOK_WHILE_POLLING) == 1
    assert "Traceback" not in stderr
