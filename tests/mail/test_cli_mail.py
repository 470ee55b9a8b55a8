"""`crm keys rotate` and `crm doctor`'s mailbox checks, run as real processes."""

from __future__ import annotations

from crm_core.crypto import SecretBox, new_key
from crm_core.db import make_engine, make_session_factory
from crm_core.services.email_config import save_email_config
from crm_core.services.users import get_user_by_telegram_id, sync_admins
from tests.conftest import ALICE, BOB
from tests.dovecot import Dovecot
from tests.integration.test_cli import doctor_settings

ALICE_MAIL = "alice@v3.test"


def _mailboxes(url: str, key: str, dovecot: Dovecot, bob_password: str) -> None:
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as s:
            sync_admins(s, [ALICE, BOB])
            alice = get_user_by_telegram_id(s, ALICE.telegram_user_id)
            bob = get_user_by_telegram_id(s, BOB.telegram_user_id)
            assert alice
            assert bob
            box = SecretBox([key])
            for user_id, name, password in (
                (alice.id, ALICE_MAIL, dovecot.users[ALICE_MAIL]),
                (bob.id, "bob@v3.test", bob_password),
            ):
                save_email_config(
                    s,
                    box,
                    user_id,
                    username=name,
                    password=password,
                    host=dovecot.host,
                    port=dovecot.tls_port,
                )
    finally:
        engine.dispose()


def test_doctor_checks_each_mailbox_without_secrets(crm, databases, tmp_path, dovecot):
    url = databases.new()
    assert crm("db", "upgrade", DATABASE_URL=url).returncode == 0
    settings = doctor_settings(url, tmp_path)
    _mailboxes(url, settings["CRM_EMAIL_ENCRYPTION_KEY"], dovecot, "not-bobs-password")
    done = crm("doctor", IMAP_CA_FILE=str(dovecot.ca_file), **settings)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[-2].startswith("OK")
    assert "mailbox alice@v3.test" in lines[-2]
    assert "watching INBOX, Sent" in lines[-2]
    assert lines[-1].startswith("FAIL")
    assert "refused the login" in lines[-1]
    output = done.stdout + done.stderr
    assert "alice-secret" not in output
    assert "not-bobs-password" not in output
    assert settings["CRM_EMAIL_ENCRYPTION_KEY"] not in output


def test_keys_rotate_reseals_with_the_newest_key(crm, databases, tmp_path, dovecot):
    url = databases.new()
    assert crm("db", "upgrade", DATABASE_URL=url).returncode == 0
    old, new = new_key(), new_key()
    _mailboxes(url, old, dovecot, "bob-secret")
    both = f"{new},{old}"
    done = crm("keys", "rotate", DATABASE_URL=url, CRM_EMAIL_ENCRYPTION_KEY=both)
    assert done.returncode == 0, done.stderr
    assert "Re-sealed 2 mailbox passwords" in done.stdout
    # Only the new key now: the doctor still logs in to both mailboxes.
    settings = {**doctor_settings(url, tmp_path), "CRM_EMAIL_ENCRYPTION_KEY": new}
    done = crm("doctor", IMAP_CA_FILE=str(dovecot.ca_file), **settings)
    assert done.returncode == 0, done.stdout
    assert sum("OK    mailbox" in line for line in done.stdout.splitlines()) == 2
    again = crm("keys", "rotate", DATABASE_URL=url, CRM_EMAIL_ENCRYPTION_KEY=new)
    assert "Re-sealed 0 mailbox passwords" in again.stdout
