"""Mail fixtures: Alice's mailbox on the test Dovecot, contacts, a sync to run; and the file
stores and the CLI runner of the integration tests, for the mail cases that use them."""

from __future__ import annotations

import pytest

from crm_core.crypto import SecretBox, new_key
from crm_core.mail.sync import MailOptions, sync_mailbox
from crm_core.services import contacts as contact_svc
from crm_core.services.email_config import save_email_config
from tests.conftest import NOW, TODAY
from tests.dovecot import Dovecot
from tests.integration.conftest import store, store_kind  # noqa: F401 - file stores
from tests.integration.test_cli import crm  # noqa: F401 - `crm ...` as a process

ALICE_MAIL = "alice@v3.test"


@pytest.fixture
def box() -> SecretBox:
    return SecretBox([new_key()])


@pytest.fixture
def options(dovecot: Dovecot) -> MailOptions:
    return MailOptions(ca_file=dovecot.ca_file, timeout=5)


@pytest.fixture
def mailbox(session_factory, box, alice, dovecot: Dovecot) -> int:
    """Alice's mailbox on the test Dovecot; returns her users.id."""
    with session_factory.begin() as s:
        save_email_config(
            s,
            box,
            alice.id,
            username=ALICE_MAIL,
            password=dovecot.users[ALICE_MAIL],
            host=dovecot.host,
            port=dovecot.tls_port,
        )
    return alice.id


@pytest.fixture
def contact(session_factory, alice):
    def make(name: str, email: str | None) -> int:
        with session_factory.begin() as s:
            data = {"name": name, "contact_type": "prevention_prospect", "email": email}
            return contact_svc.create_contact(s, alice.id, data, today=TODAY, now=NOW).id

    return make


@pytest.fixture
def sync(session_factory, box, options, mailbox):
    def run(**kw):
        kw.setdefault("now", NOW)
        return sync_mailbox(session_factory, box, mailbox, options, **kw)

    return run
