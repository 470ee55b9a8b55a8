"""Mail sync against a real Dovecot, on SQLite and PostgreSQL: only mail with contacts is kept."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm_core.errors import ValidationError
from crm_core.mail.client import (
    LoginRefused,
    MailUnreachable,
    Security,
    Server,
    TLSProblem,
    check_mailbox,
)
from crm_core.mail.sync import SyncStatus, due_mailboxes, sync_mailbox
from crm_core.models import Email, EmailConfig
from crm_core.services import contacts as contact_svc
from crm_core.services.email_config import (
    mailbox_status,
    remove_email_config,
    save_email_config,
    set_paused,
)
from crm_core.services.emails import email_summary, forget_mail, list_emails
from tests.conftest import NOW
from tests.mail.messages import latin1_message, message

ALICE_MAIL = "alice@v3.test"


def emails(session_factory, contact_id=None) -> list[Email]:
    with session_factory() as s:
        q = select(Email).order_by(Email.id)
        if contact_id is not None:
            q = q.where(Email.contact_id == contact_id)
        return list(s.scalars(q))


def count(session_factory) -> int:
    with session_factory() as s:
        return int(s.scalar(select(func.count(Email.id))) or 0)


def test_only_mail_with_contacts_is_stored(dovecot, contact, sync, session_factory, caplog):
    jane = contact("Jane", "Jane@Example.com")
    bob = contact("Bob", "bob@lettings.co.uk")
    dovecot.append(ALICE_MAIL, message(sender="JANE@example.COM", subject="Quote"))
    dovecot.append(ALICE_MAIL, message(sender="x@y.com", cc="Bob@Lettings.co.uk", subject="Cc"))
    dovecot.append(ALICE_MAIL, message(sender="x@y.com", reply_to="jane@example.com", subject="R"))
    both = message(sender="x@y.com", to="jane@example.com, bob@lettings.co.uk", subject="Both")
    dovecot.append(ALICE_MAIL, both)
    dovecot.append(ALICE_MAIL, message(sender="stranger@nowhere.org", subject="Secret stuff"))
    caplog.set_level(logging.DEBUG)

    result = sync()

    assert result.status is SyncStatus.OK
    assert sorted(e.subject for e in emails(session_factory, jane)) == ["Both", "Quote", "R"]
    assert sorted(e.subject for e in emails(session_factory, bob)) == ["Both", "Cc"]
    assert result.stored == 5
    assert all(e.direction == "in" for e in emails(session_factory))
    assert "stranger" not in caplog.text
    assert "Secret stuff" not in caplog.text


def test_trashed_contacts_get_nothing(dovecot, contact, sync, session_factory):
    gone = contact("Gone", "gone@example.com")
    with session_factory.begin() as s:
        contact_svc.delete_contact(s, gone, now=NOW)
    dovecot.append(ALICE_MAIL, message(sender="gone@example.com"))
    assert sync().stored == 0
    assert count(session_factory) == 0


def test_sent_folder_is_outgoing_and_seen_flags_untouched(dovecot, contact, sync, session_factory):
    jane = contact("Jane", "jane@example.com")
    dovecot.append(ALICE_MAIL, message(sender=ALICE_MAIL, to="jane@example.com"), folder="Sent")
    dovecot.append(ALICE_MAIL, message(sender="jane@example.com", subject="Re: CCTV quote"))
    sync()
    by_subject = {e.folder: e.direction for e in emails(session_factory, jane)}
    assert by_subject == {"Sent": "out", "INBOX": "in"}
    with dovecot.client(ALICE_MAIL) as imap:
        for folder in ("INBOX", "Sent"):
            imap.select_folder(folder, readonly=True)
            flags = imap.get_flags(imap.search("ALL"))
            assert all(b"\\Seen" not in f for f in flags.values()), folder


def test_snippets_subjects_and_attachments(dovecot, contact, sync, session_factory):
    jane = contact("Jane", "jane@example.com")
    quoted = "Thanks, booked.\n\nOn Mon, Jane wrote:\n> old text\n\n-- \nJane, Acme"
    dovecot.append(ALICE_MAIL, message(sender="jane@example.com", subject="Plain", text=quoted))
    html = "<html><style>p{}</style><p>Hi <b>Alice</b>,</p><p>See&nbsp;attached</p></html>"
    dovecot.append(
        ALICE_MAIL, message(sender="jane@example.com", subject="Html", text=None, html=html)
    )
    big = bytes(range(256)) * (5 * 1024 * 4)  # 5 MB
    dovecot.append(
        ALICE_MAIL,
        message(
            sender="jane@example.com",
            subject="=?utf-8?q?Caf=C3=A9?=",
            attachments=(("plan.pdf", big), ("a.txt", b"x")),
        ),
    )
    dovecot.append(ALICE_MAIL, latin1_message("jane@example.com"))
    sync()
    got = {e.subject: e for e in emails(session_factory, jane)}
    assert got["Plain"].snippet == "Thanks, booked."
    assert got["Html"].snippet == "Hi Alice,\n\nSee attached"
    assert got["Café"].attachments == [["plan.pdf", len(big)], ["a.txt", 1]]
    assert got["Devis pour la caméra"].snippet == "Voilà le devis, café compris."
    assert all(len(e.snippet) <= 500 for e in got.values())


def test_incremental_sync_reads_only_new_mail(dovecot, contact, sync, session_factory):
    contact("Jane", "jane@example.com")
    dovecot.append(ALICE_MAIL, message(sender="jane@example.com", subject="one"))
    assert sync().stored == 1
    assert sync().stored == 0
    dovecot.append(ALICE_MAIL, message(sender="jane@example.com", subject="two"))
    assert sync().stored == 1
    assert [e.subject for e in emails(session_factory)] == ["one", "two"]


def test_missing_message_id_dedupes_on_a_hash(dovecot, contact, sync, session_factory):
    contact("Jane", "jane@example.com")
    same = message(sender="jane@example.com", subject="No id", message_id=None)
    dovecot.append(ALICE_MAIL, same)
    dovecot.append(ALICE_MAIL, same)
    sync()
    keys = [e.message_key for e in emails(session_factory)]
    assert len(keys) == 1
    assert keys[0].startswith("sha256:")


def test_uidvalidity_change_rereads_without_duplicates(dovecot, contact, sync, session_factory):
    contact("Jane", "jane@example.com")
    sent = message(sender=ALICE_MAIL, to="jane@example.com", subject="out")
    dovecot.append(ALICE_MAIL, sent, folder="Sent")
    sync()
    with dovecot.client(ALICE_MAIL) as imap:  # a rebuilt folder: new UIDVALIDITY
        imap.delete_folder("Sent")
        imap.create_folder("Sent")
    dovecot.append(ALICE_MAIL, sent, folder="Sent")
    dovecot.append(
        ALICE_MAIL, message(sender=ALICE_MAIL, to="jane@example.com", subject="new"), folder="Sent"
    )
    assert sync().stored == 1
    assert sorted(e.subject for e in emails(session_factory)) == ["new", "out"]


def test_one_message_in_two_mailboxes_is_stored_once(
    dovecot, contact, sync, session_factory, box, options, bob
):
    contact("Jane", "jane@example.com")
    shared = message(sender="jane@example.com", to="alice@v3.test, bob@v3.test")
    dovecot.append(ALICE_MAIL, shared)
    dovecot.append("bob@v3.test", shared)
    with session_factory.begin() as s:
        save_email_config(
            s,
            box,
            bob.id,
            username="bob@v3.test",
            password="bob-secret",
            host=dovecot.host,
            port=dovecot.tls_port,
        )
    sync()
    assert sync_mailbox(session_factory, box, bob.id, options, now=NOW).stored == 0
    assert count(session_factory) == 1


def test_new_contact_gets_recent_mail_by_search(dovecot, contact, sync, session_factory):
    contact("Jane", "jane@example.com")
    old = "Mon, 01 Jun 2026 10:00:00 +0000"
    dovecot.append(ALICE_MAIL, message(sender="late@example.com", subject="recent"), arrived=NOW)
    dovecot.append(
        ALICE_MAIL,
        message(sender="Late@example.com", subject="old", date=old),
        arrived=NOW - timedelta(days=150),
    )
    dovecot.append(
        ALICE_MAIL,
        message(sender=ALICE_MAIL, to="late@example.com", subject="sent"),
        folder="Sent",
        arrived=NOW - timedelta(days=3),
    )
    sync()
    assert count(session_factory) == 0
    late = contact("Late", "late@example.com")
    assert sync().stored == 2
    assert sorted(e.subject for e in emails(session_factory, late)) == ["recent", "sent"]
    assert sync().stored == 0  # covered now: no second search


def test_wrong_password_is_told_once_and_pauses(dovecot, sync, session_factory, box, mailbox):
    dovecot.set_password(ALICE_MAIL, "changed")
    first = sync()
    assert first.status is SyncStatus.LOGIN_REFUSED
    assert first.notify
    assert "AUTHENTICATIONFAILED" in (first.message or "") or "refused" in (first.message or "")
    again = sync()
    assert again.status is SyncStatus.SKIPPED
    assert not again.notify
    with session_factory() as s:
        assert due_mailboxes(s, NOW) == []
    with session_factory.begin() as s:  # /email: the new password
        save_email_config(
            s,
            box,
            mailbox,
            username=ALICE_MAIL,
            password="changed",
            host=dovecot.host,
            port=dovecot.tls_port,
        )
    assert sync().status is SyncStatus.OK


def test_server_down_backs_off_and_recovers(dovecot, contact, sync, session_factory, mailbox):
    contact("Jane", "jane@example.com")
    dovecot.append(ALICE_MAIL, message(sender="jane@example.com"))
    dovecot.stop()
    try:
        down = sync()
        assert down.status is SyncStatus.FAILED
        assert "refused the connection" in (down.message or "")
        with session_factory() as s:
            assert due_mailboxes(s, NOW) == []  # backing off
            assert due_mailboxes(s, NOW + timedelta(minutes=2)) == [mailbox]
        assert sync().status is SyncStatus.SKIPPED
    finally:
        dovecot.start()
    assert sync(now=NOW + timedelta(minutes=2)).stored == 1
    with session_factory() as s:
        config = s.scalar(select(EmailConfig))
        assert (config.failures, config.retry_at, config.last_error) == (0, None, None)


def test_plain_words_for_connection_problems(dovecot, tmp_path):
    good = Server(
        dovecot.host,
        dovecot.tls_port,
        Security.TLS,
        ALICE_MAIL,
        ca_file=dovecot.ca_file,
        timeout=5,
    )
    assert check_mailbox(good, dovecot.users[ALICE_MAIL]) == ["INBOX", "Sent"]
    with pytest.raises(LoginRefused, match="refused the login"):
        check_mailbox(good, "wrong")
    with pytest.raises(TLSProblem, match="certificate"):
        check_mailbox(Server(dovecot.host, dovecot.tls_port, Security.TLS, ALICE_MAIL), "x")
    starttls = Server(
        dovecot.host, dovecot.plain_port, Security.STARTTLS, ALICE_MAIL, ca_file=dovecot.ca_file
    )
    assert check_mailbox(starttls, dovecot.users[ALICE_MAIL]) == ["INBOX", "Sent"]
    with pytest.raises(MailUnreachable, match="not found"):
        check_mailbox(Server("no-such-host.invalid", 993, Security.TLS, ALICE_MAIL), "x")
    plain = Server(dovecot.host, dovecot.plain_port, Security.PLAIN, ALICE_MAIL)
    with pytest.raises(Exception, match="IMAP_ALLOW_PLAIN"):
        check_mailbox(plain, "x")


def test_forget_and_trash_hide_or_erase(dovecot, contact, sync, session_factory, mailbox):
    jane = contact("Jane", "jane@example.com")
    dovecot.append(ALICE_MAIL, message(sender="jane@example.com"))
    sync()
    with session_factory.begin() as s:
        assert email_summary(s, jane).count == 1
        contact_svc.delete_contact(s, jane, now=NOW)
        assert email_summary(s, jane).count == 0
        assert list_emails(s, jane).emails == []
        contact_svc.restore_contact(s, jane)
        assert forget_mail(s, mailbox) == 1
    assert count(session_factory) == 0


def test_bad_port_is_refused_before_saving(session_factory, box, alice):
    with pytest.raises(ValidationError), session_factory.begin() as s:
        save_email_config(s, box, alice.id, username="a", password="p", port=0)


def test_erasing_a_contact_erases_its_emails(dovecot, contact, sync, session_factory):
    jane = contact("Jane", "jane@example.com")
    dovecot.append(ALICE_MAIL, message(sender="jane@example.com"))
    sync()
    with session_factory.begin() as s:
        contact_svc.delete_contact(s, jane, now=NOW)
        contact_svc.purge_contact(s, jane)
    assert count(session_factory) == 0


def test_pause_resume_and_remove(dovecot, contact, sync, session_factory, mailbox):
    contact("Jane", "jane@example.com")
    dovecot.append(ALICE_MAIL, message(sender="jane@example.com"))
    with session_factory.begin() as s:
        set_paused(s, mailbox, True)
        assert due_mailboxes(s, NOW) == []
    assert sync().status is SyncStatus.SKIPPED
    with session_factory.begin() as s:
        set_paused(s, mailbox, False)
    assert sync().stored == 1
    with session_factory.begin() as s:
        status = mailbox_status(s, mailbox)
        assert (status.stored, status.folders, status.last_error) == (1, ["INBOX", "Sent"], None)
        assert remove_email_config(s, mailbox, forget=False) == 0
        assert s.scalar(select(func.count(EmailConfig.id))) == 0
    assert count(session_factory) == 1  # kept: only "forget" erases them


def test_a_server_that_never_answers_times_out_in_plain_words():
    with socket.socket() as silent:  # accepts connections (backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        server = Server("127.0.0.1", port, Security.TLS, ALICE_MAIL, timeout=0.5)
        with pytest.raises(MailUnreachable, match=r"did not answer within 0\.5 seconds"):
            check_mailbox(server, "x")
