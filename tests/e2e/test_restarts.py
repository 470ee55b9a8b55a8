"""What survives a restart of the bot (issue 9): a form answer given just before a crash
(defect 10) and the files of an album sent just before a graceful stop (defect 2)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot import texts
from crm_core.migrate import upgrade
from sandbox import BotApiDouble, Phone
from tests.e2e.flows import say, tap


@asynccontextmanager
async def bot_process(
    double: BotApiDouble, url: str, tmp_path: Path, starts: int
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m bot`` against the double and ``url``; yields once it has started (its
    ``starts``-th setMyCommands), kills it (SIGKILL: no flush, no goodbye) at the end."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONUNBUFFERED": "1",
        "TELEGRAM_BOT_TOKEN": double.token,
        "TELEGRAM_API_BASE_URL": double.base_url,
        "TELEGRAM_FILE_BASE_URL": double.base_file_url,
        "ADMIN_CHAT_IDS": "1001:Alice",
        "DATABASE_URL": url,
        "FILE_STORAGE_DIR": str(tmp_path / "files"),
    }
    with (tmp_path / f"bot-{starts}.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=tmp_path, stdout=log, stderr=log
        )
    try:
        await double.wait_until(
            lambda: len(double.calls("setMyCommands")) >= starts,
            timeout=30,
            describe="the bot's start",
        )
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_form_answer_survives_a_crash_right_after_it(
    double: BotApiDouble, phone: Phone, databases, tmp_path: Path
) -> None:
    """Killed a moment after the name was answered, the bot resumes /add at the type
    question: that question's buttons act, and it is not called "answered already"."""
    url = databases.new()
    upgrade(url)
    async with bot_process(double, url, tmp_path, starts=1) as process:
        await say(phone, "/add")
        ask_type = await say(phone, "Crash Carol")
        assert "type" in ask_type["text"]
        await phone.wait_idle(quiet=0.1)
        process.kill()  # well within PTB's 5-second persistence interval
        await process.wait()
    async with bot_process(double, url, tmp_path, starts=2):
        answer = await tap(phone, ask_type, "Eviction client")
        assert not answer.get("text"), answer  # neither "answered already" nor "closed"
        ask_email = await phone.wait_reply()
        assert "email" in ask_email["text"]


async def test_the_latest_question_is_never_called_answered_already(
    bot, phone: Phone, alice
) -> None:
    """Should the form's record still be one answer behind the chat (a crash before it was
    saved), the latest question's button says the answer was lost and asks again; only an
    older question's button is "answered already"."""
    ask_name = await say(phone, "/add")
    ask_type = await say(phone, "Lost Lucy")
    await phone.wait_idle()  # the step has recorded its question
    draft = bot.app.user_data[phone.user_id]["add"]
    draft["values"].pop("name")  # as saved before the crash: the name not yet answered
    draft["msg"] = ask_name["message_id"]
    draft["at"] = "name"
    answer = await tap(phone, ask_type, "Eviction client")
    assert not answer.get("text")
    assert (await phone.wait_reply())["text"] == texts.ANSWER_LOST
    again = await phone.wait_reply()
    assert "name" in again["text"]
    ask_type = await say(phone, "Lost Lucy")
    answer = await tap(phone, again, "Cancel")
    assert answer.get("text") == texts.OLD_QUESTION
    await tap(phone, ask_type, "Eviction client")
    assert "email" in (await phone.wait_reply())["text"]


async def test_an_album_sent_just_before_a_stop_is_asked_about_after_the_start(
    start_bot, phone: Phone, session_factory, alice, monkeypatch
) -> None:
    """The album's wait was an in-memory job: a graceful stop (SIGTERM) between its last
    photo and its question dropped it, and nothing was ever asked. Now the next start asks."""
    from tests.e2e.flows import seed
    from tests.e2e.test_files import files_of, jpeg, label_starting, press, wait_text

    jane = seed(session_factory, alice.id, "Jane Smith")
    monkeypatch.setattr("bot.features.attachments.receiving.ALBUM_WAIT", 30.0)  # stopped before it
    async with start_bot():
        for i in range(3):
            await phone.send_photo(jpeg(20_000 + i), media_group_id="album-before-stop")
        await phone.wait_idle()
    assert phone.messages == []  # the stop came first: nothing asked yet
    monkeypatch.setattr("bot.features.attachments.receiving.ALBUM_WAIT", 0.3)
    waiting = wait_text(phone, "to which contact?")
    async with start_bot():
        question = await waiting
        assert question["text"] == "Attach these 3 photos to which contact?"
        saved = await press(phone, question, label_starting(phone, question, "Jane"), "Saved")
        assert saved["text"].startswith("✅ Saved 3 files to Jane Smith (")
        await phone.wait_idle()
    assert len(files_of(session_factory, jane)) == 3


async def test_an_album_question_asked_just_before_a_crash_is_not_asked_twice(
    double: BotApiDouble, phone: Phone, databases, tmp_path: Path
) -> None:
    """The album's question comes from a job: what the job changed (asked, and which message
    asks) is written at once too, so a crash right after it leaves nothing for the next start
    to ask again; the question's buttons still work."""
    from tests.e2e.test_files import jpeg, label_starting, press, wait_text

    url = databases.new()
    upgrade(url)
    async with bot_process(double, url, tmp_path, starts=1) as process:
        await say(phone, "/start")  # the admin's row exists from here
        waiting = wait_text(phone, "to which contact?")
        for i in range(3):
            await phone.send_photo(jpeg(20_000 + i), media_group_id="album-before-crash")
        question = await waiting
        await phone.wait_idle(quiet=0.1)
        process.kill()
        await process.wait()
    asked = len(phone.messages)
    async with bot_process(double, url, tmp_path, starts=2):
        await phone.wait_idle(quiet=2.0)  # past the album wait: a second question would be here
        assert len(phone.messages) == asked
        saved = await press(phone, question, label_starting(phone, question, "🔎"), "Type part")
        assert "name" in saved["text"]
