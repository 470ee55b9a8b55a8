"""Attachments end to end: files sent to the bot (served back by the double through getFile and
the file URL) land on the right contact in storage, come back, and go with the contact.

Most cases use the local store in a temporary folder; the ones that prove the S3 path (photo,
document, album, purge) run on moto's S3 server too.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import BOT_DATA_KEY
from crm_core.models import File
from crm_core.storage import FileStore, LocalStore, is_crm_key
from sandbox import BotApiDouble, Phone, RunningApp, Upload
from tests.e2e.flows import all_answered, seed, tap
from tests.s3 import MotoS3

JSON = dict[str, Any]


def jpeg(size: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + os.urandom(size - 4)


PDF = b"%PDF-1.7\n" + b"0" * 40_000


@pytest.fixture(params=["local", "s3"])
async def files_bot(
    request: pytest.FixtureRequest, start_bot: Callable[..., Any]
) -> AsyncIterator[RunningApp]:
    """The bot on the local store, then on S3 (moto)."""
    changes: dict[str, Any] = {}
    if request.param == "s3":
        moto: MotoS3 = request.getfixturevalue("moto_s3")
        changes = {"s3_bucket": moto.new_bucket(), "s3_endpoint_url": moto.endpoint_url}
    async with start_bot(**changes) as running_app:
        yield running_app


@pytest.fixture(autouse=True)
async def _every_button_answered(double: BotApiDouble) -> AsyncIterator[None]:
    yield
    await double.wait_idle()
    all_answered(double)


def store_of(bot: RunningApp) -> FileStore:
    store = bot.app.bot_data[BOT_DATA_KEY].store
    assert store is not None
    return store


def files_of(factory: sessionmaker[Session], contact_id: int | None = None) -> list[File]:
    with factory() as session:
        stmt = select(File).order_by(File.id)
        if contact_id is not None:
            stmt = stmt.where(File.contact_id == contact_id)
        return list(session.scalars(stmt))


def stored(bot: RunningApp, key: str) -> bytes:
    import io

    buffer = io.BytesIO()
    store_of(bot).get(key, buffer)
    return buffer.getvalue()


async def open_card(phone: Phone, name: str) -> JSON:
    await phone.send(f"/find {name}")
    card = await phone.wait_reply()
    assert card["text"].startswith(name + "\n"), card["text"]
    return card


def wait_text(phone: Phone, needle: str, timeout: float = 10.0) -> Awaitable[JSON]:
    """The next message the bot sends or edits into a text containing ``needle``, counting
    from now (call it before the action that causes it, await it after)."""
    double = phone.double
    mark = len(double.events)

    def found() -> JSON | None:
        for event in double.events[mark:]:
            if (
                event.chat_id == phone.chat_id
                and event.kind in ("send", "edit")
                and needle in (event.message.get("text") or "")
            ):
                return event.message
        return None

    async def wait() -> JSON:
        try:
            return dict(await double.wait_until(found, timeout, describe=repr(needle)))
        except AssertionError:
            said = [e.message.get("text") for e in double.events[mark:]]
            raise AssertionError(f"no bot message with {needle!r} since then: {said}") from None

    return wait()


async def press(phone: Phone, message: Mapping[str, Any], label: str, expect: str) -> JSON:
    """Tap a button (answered) and wait for a message containing ``expect``."""
    waiting = wait_text(phone, expect)
    await tap(phone, message, label)
    return await waiting


def label_starting(phone: Phone, message: Mapping[str, Any], prefix: str) -> str:
    found = [b for b in phone.buttons(message) if b.startswith(prefix)]
    assert found, f"no button starting {prefix!r}: {phone.buttons(message)}"
    return found[0]


def in_folder(store: FileStore, root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if isinstance(store, LocalStore) else []


# ----------------------------------------------------------------------------- attaching


async def test_photo_by_reply_to_the_card(files_bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    data = jpeg(150_000)
    waiting = wait_text(phone, "Saved to")
    await phone.send_photo(data, caption="Front door", reply_to=card)
    saved = await waiting

    assert saved["text"].startswith("✅ Saved to Jane Smith: photo_")
    assert ".jpg (146 KB) · Photo" in saved["text"]
    [row] = files_of(session_factory, jane)
    assert (row.category, row.caption, row.telegram_kind) == ("photo", "Front door", "photo")
    assert row.storage_key.startswith(f"crm/contact_{jane}/")
    assert is_crm_key(row.storage_key)
    assert stored(files_bot, row.storage_key) == data  # the largest size, byte for byte

    # Photos skip the category question; "Change category" fixes a wrong guess.
    changing = await tap(phone, saved, "🏷 Change category")
    assert changing.get("text") is None
    menu = await phone.wait_edit(saved)
    assert phone.buttons(menu)[:4] == ["Quote", "Contract", "Photo", "Document"]
    changed = await press(phone, menu, "Quote", "· Quote")
    assert "Saved to Jane Smith" in changed["text"]
    assert files_of(session_factory, jane)[0].category == "quote"


async def test_document_by_caption(files_bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    seed(session_factory, alice.id, "Omar Khan")
    waiting = wait_text(phone, "What is")
    await phone.send_document(PDF, "Quote 42.pdf", "application/pdf", caption="jane smith")
    question = await waiting
    assert question["text"] == "What is Quote 42.pdf for Jane Smith?"
    assert phone.buttons(question) == ["Quote", "Contract", "Photo", "Document", "Cancel"]

    saved = await press(phone, question, "Quote", "Saved to")
    assert saved["message_id"] == question["message_id"]  # the question became the answer
    assert saved["text"] == "✅ Saved to Jane Smith: Quote 42.pdf (39 KB) · Quote"
    [row] = files_of(session_factory)
    assert row.contact_id == jane
    assert (row.file_name, row.file_type, row.caption) == (
        "Quote 42.pdf",
        "application/pdf",
        "jane smith",
    )
    assert row.storage_key.endswith("_Quote 42.pdf")
    assert stored(files_bot, row.storage_key) == PDF


async def test_the_contact_question(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Jane Smith")
    omar = seed(session_factory, alice.id, "Omar Khan")
    waiting = wait_text(phone, "to which contact?")
    await phone.send_document(PDF, "report.pdf", "application/pdf")
    question = await waiting
    assert question["text"] == "Attach report.pdf to which contact?"
    buttons = phone.buttons(question)
    assert buttons[-2:] == ["🔎 Search…", "Cancel"]
    assert {b.split(" · ")[0] for b in buttons[:-2]} == {"Jane Smith", "Omar Khan"}

    category = await press(phone, question, label_starting(phone, question, "Omar Khan"), "What")
    assert category["message_id"] == question["message_id"]
    saved = await press(phone, category, "Document", "Saved to")
    assert saved["text"].startswith("✅ Saved to Omar Khan: report.pdf")
    assert [f.contact_id for f in files_of(session_factory)] == [omar]


async def test_search_for_the_contact(bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    seed(session_factory, alice.id, "Omar Khan")
    waiting = wait_text(phone, "to which contact?")
    await phone.send_document(PDF, "lease.pdf", "application/pdf")
    question = await waiting
    prompt = await press(phone, question, "🔎 Search…", "Type part of")

    await phone.send("zzz")  # typed text is the search, not a card lookup
    none = await phone.wait_reply()
    assert none["text"].startswith("No contact matches “zzz”")
    await phone.send("jane")
    results = await phone.wait_reply()
    assert results["text"] == "Attach to which of these matches for “jane”?"
    category = await press(phone, results, label_starting(phone, results, "Jane Smith"), "What")
    await press(phone, category, "Contract", "Saved to Jane Smith")
    [row] = files_of(session_factory)
    assert (row.contact_id, row.category) == (jane, "contract")

    # Typing afterwards is an ordinary search again.
    await phone.send("Omar")
    card = await phone.wait_reply()
    assert card["text"].startswith("Omar Khan\n")
    assert prompt  # (the prompt had no buttons to press)


async def test_cancel_stores_nothing(bot, phone, session_factory, alice):
    seed(session_factory, alice.id, "Jane Smith")
    waiting = wait_text(phone, "to which contact?")
    await phone.send_voice(b"OggS" + os.urandom(3000))
    question = await waiting
    assert question["text"] == "Attach this voice note to which contact?"
    cancelled = await press(phone, question, "Cancel", "Cancelled")
    assert cancelled["message_id"] == question["message_id"]
    assert phone.buttons(cancelled) == []
    assert files_of(session_factory) == []


async def test_voice_note_by_reply_gets_a_made_up_name(bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    waiting = wait_text(phone, "What is")
    await phone.send_voice(b"OggS" + os.urandom(3000), reply_to=card)
    question = await waiting
    assert question["text"] == "What is this voice note for Jane Smith?"
    await press(phone, question, "Document", "Saved to")
    [row] = files_of(session_factory, jane)
    assert row.file_name.startswith("voice_")
    assert row.file_name.endswith(".ogg")
    assert (row.telegram_kind, row.file_type) == ("voice", "audio/ogg")


@pytest.fixture
def quick_albums(monkeypatch: pytest.MonkeyPatch) -> None:
    """The double delivers an album's items at once: no need to wait a whole second."""
    monkeypatch.setattr("bot.features.attachments.receiving.ALBUM_WAIT", 0.3)


@pytest.mark.usefixtures("quick_albums")
async def test_album_of_three_photos(files_bot, phone, double, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    seed(session_factory, alice.id, "Omar Khan")
    photos = [jpeg(60_000 + i) for i in range(3)]
    waiting = wait_text(phone, "to which contact?")
    for data in photos:
        await phone.send_photo(data, media_group_id="album-1")
    question = await waiting
    assert question["text"] == "Attach these 3 photos to which contact?"
    saved = await press(phone, question, label_starting(phone, question, "Jane Smith"), "Saved")
    assert saved["text"].startswith("✅ Saved 3 files to Jane Smith (")
    assert saved["text"].count("\n• photo_") == 3
    # One question, one confirmation: that is all the bot said.
    assert [m["message_id"] for m in phone.messages] == [question["message_id"]]
    rows = files_of(session_factory, jane)
    assert sorted(stored(files_bot, r.storage_key) for r in rows) == sorted(photos)
    assert len({r.storage_key for r in rows}) == 3


@pytest.mark.usefixtures("quick_albums")
async def test_album_of_documents_by_reply(bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    waiting = wait_text(phone, "What is")
    for i in range(3):
        await phone.send_document(
            PDF + bytes([i]),
            f"page{i}.pdf",
            "application/pdf",
            reply_to=card,
            media_group_id="album-2",
        )
    question = await waiting
    assert question["text"] == "What is these 3 files for Jane Smith?"
    saved = await press(phone, question, "Contract", "Saved")
    assert saved["text"].startswith("✅ Saved 3 files to Jane Smith")
    assert "· Contract:" in saved["text"]
    assert [f.file_name for f in files_of(session_factory, jane)] == [
        "page0.pdf",
        "page1.pdf",
        "page2.pdf",
    ]
    assert len([m for m in phone.messages if "What is" in (m.get("text") or "")]) == 0


async def test_the_same_file_twice_is_stored_once(bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    waiting = wait_text(phone, "Saved to")
    first = await phone.send_photo(jpeg(20_000), reply_to=card)
    await waiting
    # Forwarded again from another chat: the same Telegram file (same file_unique_id).
    again = {
        "from": phone.user,
        "chat": phone.chat,
        "photo": first["message"]["photo"],
        "reply_to_message": card,
        "forward_origin": {"type": "hidden_user", "sender_user_name": "Site team", "date": 1},
    }
    waiting = wait_text(phone, "Already saved")
    await phone.send_raw_update({"message": again})
    said = await waiting
    assert said["text"].startswith("Already saved to Jane Smith on ")
    assert said["text"].endswith("— not stored again.")
    assert len(files_of(session_factory, jane)) == 1


async def test_a_25_mb_file_is_refused(bot, phone, double, session_factory, alice, tmp_path):
    seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    await phone.send_document(
        b"\0" * (25 * 1024 * 1024), "site-video.mov", "video/quicktime", reply_to=card
    )
    refused = await phone.wait_reply()
    assert refused["text"].startswith("⚠️ site-video.mov is 25.0 MB")
    assert "up to 20 MB" in refused["text"]
    assert "TELEGRAM_API_BASE_URL" in refused["text"]
    assert phone.buttons(refused) == []
    await phone.wait_idle()
    assert files_of(session_factory) == []
    assert in_folder(store_of(bot), tmp_path / "files") == []


async def test_storage_down_then_retry(start_bot, phone, session_factory, alice, tmp_path):
    blocker = tmp_path / "storage"
    blocker.write_text("a file where the storage folder should be: every write fails")
    async with start_bot(file_storage_dir=blocker) as bot:
        jane = seed(session_factory, alice.id, "Jane Smith")
        card = await open_card(phone, "Jane Smith")
        waiting = wait_text(phone, "What is")
        await phone.send_document(PDF, "quote.pdf", "application/pdf", reply_to=card)
        question = await waiting
        failed = await press(phone, question, "Quote", "storage unavailable")
        assert failed["text"].startswith("⚠️ Couldn't save the file: storage unavailable.")
        assert "Nothing was saved" in failed["text"]
        assert phone.buttons(failed) == ["🔁 Retry", "Cancel"]
        assert files_of(session_factory) == []

        # Still down: Retry says so again, nothing half-saved.
        again = await press(phone, failed, "🔁 Retry", "storage unavailable")
        assert files_of(session_factory) == []

        blocker.unlink()  # storage is back
        saved = await press(phone, again, "🔁 Retry", "Saved to")
        assert saved["text"] == "✅ Saved to Jane Smith: quote.pdf (39 KB) · Quote"
        [row] = files_of(session_factory, jane)
        assert stored(bot, row.storage_key) == PDF


async def test_a_question_survives_a_restart(start_bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    async with start_bot():
        card = await open_card(phone, "Jane Smith")
        waiting = wait_text(phone, "What is")
        await phone.send_document(PDF, "deed.pdf", "application/pdf", reply_to=card)
        question = await waiting
        await phone.wait_idle()
    async with start_bot():  # a new process: the pending file comes back from the database
        saved = await press(phone, question, "Contract", "Saved to")
    assert saved["text"].startswith("✅ Saved to Jane Smith: deed.pdf")
    assert [f.file_name for f in files_of(session_factory, jane)] == ["deed.pdf"]


# ----------------------------------------------------------------------------- getting back


async def test_video_and_audio_come_back_as_what_they_are(
    bot, phone, double, session_factory, alice
):
    seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    for send in (phone.send_video, phone.send_audio):
        waiting = wait_text(phone, "What is")
        await send(os.urandom(5000), reply_to=card)
        await press(phone, await waiting, "Document", "Saved to")
    await tap(phone, card, "📎 Files")
    listing = await phone.wait_reply()
    labels = phone.buttons(listing)
    for label, kind in ((labels[0], "audio"), (labels[2], "video")):  # newest first
        await tap(phone, listing, label)
        sent = await phone.wait_reply()
        assert kind in sent
        assert isinstance(double.calls(f"send{kind.capitalize()}")[-1][kind], str)


async def _attach_two(phone: Phone, card: JSON) -> tuple[bytes, bytes]:
    photo = jpeg(30_000)
    waiting = wait_text(phone, "Saved to")
    await phone.send_photo(photo, reply_to=card)
    await waiting
    waiting = wait_text(phone, "What is")
    await phone.send_document(PDF, "contract.pdf", "application/pdf", reply_to=card)
    await press(phone, await waiting, "Contract", "Saved to")
    return photo, PDF


async def test_files_list_and_send_back(bot, phone, double, session_factory, alice):
    seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    photo, pdf = await _attach_two(phone, card)

    await tap(phone, card, "📎 Files")
    listing = await phone.wait_reply()
    assert listing["text"].startswith("Files of Jane Smith — 2 files")
    assert "• contract.pdf — Contract · 39 KB · " in listing["text"]
    labels = phone.buttons(listing)
    assert labels[0].startswith("📝 contract.pdf · Contract · 39 KB · ")
    assert labels[1] == "🗑"
    assert labels[2].startswith("🖼 photo_")
    assert labels[-1] == "« Card"

    # By file id: Telegram still has it, nothing is uploaded.
    await tap(phone, listing, labels[2])
    sent = await phone.wait_reply()
    assert "photo" in sent
    assert "Photo · 29 KB · Jane Smith" in sent["caption"]
    assert double.sent_documents(phone.chat_id)[-1].data == photo
    assert isinstance(double.calls("sendPhoto")[-1]["photo"], str)

    # Telegram no longer accepts the id: streamed from storage instead.
    double.fail_next(
        "sendDocument", 400, description="Bad Request: wrong file identifier/HTTP URL specified"
    )
    await tap(phone, listing, labels[0])
    sent = await phone.wait_reply()
    assert sent["document"]["file_name"] == "contract.pdf"
    assert double.sent_documents(phone.chat_id)[-1].data == pdf
    assert isinstance(double.calls("sendDocument")[-1]["document"], Upload)
    # Replying to a sent-back file attaches to the same contact.
    assert phone.buttons(sent) == ["📎 Files", "« Card"]


async def test_delete_a_file(bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    await _attach_two(phone, card)
    await tap(phone, card, "📎 Files")
    listing = await phone.wait_reply()
    doomed = next(f for f in files_of(session_factory, jane) if f.file_name == "contract.pdf")

    await tap(phone, listing, "🗑")  # the first row: contract.pdf, the newest
    prompt = await phone.wait_edit(listing)
    assert prompt["text"].startswith("Delete contract.pdf (Contract, 39 KB) from Jane Smith?")
    back = await press(phone, prompt, "No", "Files of Jane Smith — 2 files")
    await tap(phone, back, "🗑")
    prompt = await phone.wait_edit(back)
    after = await press(phone, prompt, "Yes, delete", "Deleted contract.pdf")
    assert "Files of Jane Smith — 1 file" in after["text"]
    assert [f.file_name for f in files_of(session_factory, jane)] == [
        next(f.file_name for f in files_of(session_factory, jane))
    ]
    assert "contract.pdf" not in [f.file_name for f in files_of(session_factory, jane)]
    assert not store_of(bot).exists(doomed.storage_key)


async def test_trash_keeps_files_and_purge_removes_them(files_bot, phone, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    await _attach_two(phone, card)
    keys = [f.storage_key for f in files_of(session_factory, jane)]
    store = store_of(files_bot)

    prompt = await press(phone, card, "🗑 Delete", "Delete Jane Smith")
    assert "and 2 files?" in prompt["text"]
    deleted = await press(phone, prompt, "Yes, delete", "Deleted")
    assert all(store.exists(k) for k in keys)  # in the trash, restorable: files kept
    restored = await press(phone, deleted, "↩️ Undo", "Files: 2")
    assert all(store.exists(k) for k in keys)
    assert restored

    card = await open_card(phone, "Jane Smith")
    prompt = await press(phone, card, "🗑 Delete", "Delete Jane Smith")
    await press(phone, prompt, "Yes, delete", "Deleted")
    await phone.send("/trash")
    trash = await phone.wait_reply()
    confirm = await press(phone, trash, "❌ Delete forever", "Erase Jane Smith for good")
    waiting = wait_text(phone, "Erased for good.")
    await tap(phone, confirm, "Yes, erase now")
    await waiting
    assert files_of(session_factory) == []
    assert not any(store.exists(k) for k in keys)


# ----------------------------------------------------------------------------- hostile names


async def test_hostile_file_names(bot, phone, session_factory, alice, tmp_path):
    jane = seed(session_factory, alice.id, "Jane Smith")
    card = await open_card(phone, "Jane Smith")
    names = [
        "../../etc/passwd",
        "q" * 300 + ".pdf",
        "invoice\u202egpj.exe",
        "<b>bold</b> & co.pdf",
    ]
    for name in names:
        waiting = wait_text(phone, "What is")
        await phone.send_document(PDF + name.encode(), name, "application/pdf", reply_to=card)
        question = await waiting
        await press(phone, question, "Document", "Saved to")

    rows = files_of(session_factory, jane)
    assert len(rows) == 4
    root = (tmp_path / "files").resolve()
    for row in rows:
        assert is_crm_key(row.storage_key), row.storage_key
        assert ".." not in row.storage_key
        assert "\u202e" not in row.storage_key
        assert len(row.file_name) <= 120
    shown = [r.file_name for r in rows]
    assert shown[0] == "etc_passwd.pdf"
    assert shown[1].endswith(".pdf")
    assert len(shown[1]) == 120
    assert shown[2] == "invoicegpj.exe"
    assert shown[3] == "b_bold__b_ & co.pdf"
    # Everything written is inside the storage folder, one file per row.
    written = [p.resolve() for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert len(written) == 4
    assert all(p.is_relative_to(root) for p in written)
    assert not (tmp_path / "etc").exists()

    await tap(phone, card, "📎 Files")
    listing = await phone.wait_reply()  # the double rejects HTML that isn't escaped
    assert "b_bold__b_ &amp; co.pdf" not in listing["text"]
    assert "b_bold__b_ & co.pdf" in listing["text"]
    assert "\u202e" not in listing["text"]
