"""The test Dovecot itself: TLS with our certificate, the \\Sent folder, APPEND, passwords."""

from __future__ import annotations

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.dovecot import Dovecot


def test_serves_tls_sent_folder_and_appended_mail(dovecot: Dovecot) -> None:
    dovecot.append("alice@v3.test", "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n")
    with dovecot.client("alice@v3.test") as imap:
        folders = {name: flags for flags, _sep, name in imap.list_folders()}  # type: ignore[attr-defined]
        assert b"\\Sent" in folders["Sent"]
        assert imap.select_folder("INBOX", readonly=True)[b"EXISTS"] == 1  # type: ignore[attr-defined]


def test_password_change_is_seen_at_once(dovecot: Dovecot) -> None:
    dovecot.set_password("bob@v3.test", "new-one")
    imap = IMAPClient(dovecot.host, dovecot.tls_port, ssl_context=dovecot.ssl_context())
    try:
        with pytest.raises(LoginError):
            imap.login("bob@v3.test", "bob-secret")
    finally:
        imap.shutdown()
    with dovecot.client("bob@v3.test") as ok:
        assert ok.noop()  # type: ignore[attr-defined]
