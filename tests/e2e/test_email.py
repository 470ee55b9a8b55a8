"""/email from a phone, end to end: the real bot over HTTP against the Bot API double, a real
Dovecot behind it. The password's message is deleted, and the password is nowhere in clear."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.features.email import sync_due
from crm_core.crypto import new_key
from crm_core.models import Email, EmailConfig, Note
from crm_core.services.files import list_files
from tests.dovecot import Dovecot
from tests.e2e.flows import freeze, press, press_edit, say, seed, tap
from tests.mail.messages import message

ALICE_MAIL = "alice@v3.test"
KEY = new_key()

pytestmark = pytest.mark.usefixtures("phone_rules")


@pytest.fixture
def email_keys() -> tuple[str, ...]:
    return (KEY,)


@pytest.fixture
async def bot(start_bot, dovecot: Dovecot, email_keys) -> AsyncIterator[Any]:
    """The bot with a key, the test Dovecot as the company host, no scheduled sync."""
    async with start_bot(
        email_keys=email_keys,
        imap_default_host=dovecot.host,
        imap_ca_file=dovecot.ca_file,
        imap_sync_minutes=0,
    ) as running_app:
        freeze(running_app)
        yield running_app


async def connect(phone, dovecot: Dovecot, password: str) -> dict[str, Any]:
    """Walk the form up to the password question and type ``password``; returns the
    password's own message (as the phone sent it)."""
    first = await say(phone, "/email")
    assert "step 1 of 5" in first["text"]
    port_q = await press(phone, first, dovecot.host)
    assert "Which port?" in port_q["text"]
    security_q = await say(phone, str(dovecot.tls_port))
    assert phone.buttons(security_q) == ["TLS", "STARTTLS"]  # no plain unless allowed
    await press(phone, security_q, "TLS")
    password_q = await say(phone, ALICE_MAIL)
    assert "step 5 of 5" in password_q["text"]
    return await phone.send(password)


async def test_connect_deletes_the_password_and_stores_it_sealed(
    bot, phone, dovecot, session_factory, engine, caplog
):
    caplog.set_level(logging.DEBUG)
    wrong = await connect(phone, dovecot, "not-the-password")
    await phone.wait_delete(wrong["message"])
    assert (await phone.wait_reply())["text"].startswith("🔒 I deleted your message")
    assert (await phone.wait_reply())["text"] == "Testing the connection…"
    refused = await phone.wait_reply()
    assert "refused the login" in refused["text"]
    assert "step 5 of 5" in refused["text"]

    right = await phone.send(dovecot.users[ALICE_MAIL])
    await phone.wait_delete(right["message"])
    await phone.wait_reply()  # deleted
    await phone.wait_reply()  # testing
    assert (await phone.wait_reply())["text"].startswith("✅ Connected. I'll watch INBOX, Sent")
    status = await phone.wait_reply()
    assert status["text"].startswith("📧 alice@v3.test\nServer: 127.0.0.1:")
    assert "Sync now" in " ".join(phone.buttons(status))

    secret = dovecot.users[ALICE_MAIL]
    with session_factory() as s:
        config = s.scalar(select(EmailConfig))
        assert config is not None
        assert secret not in config.password_encrypted
        saved = [str(row) for row in s.execute(text("SELECT * FROM bot_state"))]
    assert not any(secret in row or "not-the-password" in row for row in saved)
    assert secret not in caplog.text
    assert "not-the-password" not in caplog.text


async def test_sync_now_and_the_card_shows_emails(bot, phone, dovecot, session_factory, alice):
    jane = seed(session_factory, alice.id, "Jane Smith", email="jane@example.com")
    await connect(phone, dovecot, dovecot.users[ALICE_MAIL])
    for _ in range(4):
        await phone.wait_reply()
    dovecot.append(
        ALICE_MAIL,
        message(sender="jane@example.com", subject="Re: CCTV quote", text="Yes, Tuesday works."),
    )
    status = await say(phone, "/email")
    answer = await tap(phone, status, "🔄 Sync now")
    assert answer.get("text") == "Syncing now…"
    assert (await phone.wait_reply())["text"] == "Sync done: 1 new email stored."
    assert "Emails stored: 1" in (await phone.wait_reply())["text"]

    card = await say(phone, "/find Jane Smith")
    assert "Last email: just now ← Re: CCTV quote" in card["text"]
    listing = await press_edit(phone, card, "✉️ Emails (1)")
    assert "Emails with Jane Smith" in listing["text"]
    (label,) = [b for b in phone.buttons(listing) if "CCTV" in b]
    one = await press_edit(phone, listing, label)
    assert "Yes, Tuesday works." in one["text"]
    assert "jane@example.com" in one["text"]
    answer = await tap(phone, one, "📝 Add as note")
    assert answer.get("text") == "Added as a note."
    with session_factory() as s:
        note = s.scalar(select(Note).where(Note.contact_id == jane, Note.note_type == "email"))
        assert note is not None
        assert "Re: CCTV quote" in note.content


async def test_login_refused_is_told_once_by_the_scheduled_sync(
    bot, phone, dovecot, session_factory
):
    await connect(phone, dovecot, dovecot.users[ALICE_MAIL])
    for _ in range(4):
        await phone.wait_reply()
    dovecot.set_password(ALICE_MAIL, "revoked")
    await sync_due(bot.app)
    told = await phone.wait_reply()
    assert told["text"].startswith("⛔ Your mailbox login was refused")
    await sync_due(bot.app)  # paused now: nothing more is said
    status = await say(phone, "/email")
    assert "refused the login" in status["text"]
    change = await press(phone, status, "🔑 Change password")
    assert "step 5 of 5" in change["text"]
    await phone.send("revoked")
    for _ in range(3):
        await phone.wait_reply()
    assert "Sync now" in " ".join(phone.buttons(await phone.wait_reply()))
    texts = [m["text"] for m in phone.messages]
    assert sum("login was refused" in t for t in texts) == 1


@pytest.mark.parametrize("email_keys", [()])
async def test_no_key_says_what_to_set(bot, phone):
    reply = await say(phone, "/email")
    assert reply["text"] == (
        "Email isn't available yet: the operator must set CRM_EMAIL_ENCRYPTION_KEY "
        "(make one with crm keygen)."
    )


async def test_save_attachments_then_remove_and_forget(
    bot, phone, dovecot, session_factory, alice
):
    jane = seed(session_factory, alice.id, "Jane Smith", email="jane@example.com")
    await connect(phone, dovecot, dovecot.users[ALICE_MAIL])
    for _ in range(4):
        await phone.wait_reply()
    pdf = b"%PDF-1.4 signed" * 100
    dovecot.append(
        ALICE_MAIL,
        message(sender="jane@example.com", subject="Signed", attachments=(("contract.pdf", pdf),)),
    )
    status = await say(phone, "/email")
    await tap(phone, status, "🔄 Sync now")
    await phone.wait_reply()
    await phone.wait_reply()
    card = await say(phone, "/find Jane Smith")
    listing = await press_edit(phone, card, "✉️ Emails (1)")
    label = next(b for b in phone.buttons(listing) if "Signed" in b)
    one = await press_edit(phone, listing, label)
    assert "contract.pdf" in one["text"]
    saved = await press(phone, one, "💾 Save attachments")
    assert saved["text"] == "Saved 1 attachment to the contact's files."
    with session_factory() as s:
        assert [f.file_name for f in list_files(s, jane)] == ["contract.pdf"]

    status = await say(phone, "/email")
    prompt = await press_edit(phone, status, "🗑 Remove")
    assert "1 email from it" in prompt["text"]
    done = await press_edit(phone, prompt, "Remove and forget emails")
    assert done["text"].startswith("Mailbox removed and forgot 1 stored email.")
    with session_factory() as s:
        assert s.scalar(select(EmailConfig)) is None
        assert s.scalar(select(Email)) is None
    again = await say(phone, "/email")
    assert "step 1 of 5" in again["text"]
