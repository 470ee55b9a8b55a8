"""Admins synced from ADMIN_CHAT_IDS and the sealed IMAP password (local dates and the secret box
alone: tests/unit/test_local_dates_and_secret_box.py)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from crm_core.config import AdminSpec
from crm_core.crypto import SecretBox, new_key
from crm_core.errors import CRMError, NotFound, ValidationError
from crm_core.models import EmailConfig, User
from crm_core.services.email_config import (
    DEFAULT_IMAP_HOST,
    get_email_config,
    read_email_password,
    save_email_config,
)
from crm_core.services.users import (
    active_users,
    find_user,
    require_user,
    sync_admins,
)

PASSWORD = "correct horse battery staple"


def users_by_id(session) -> dict[int, User]:
    session.expire_all()
    return {u.telegram_user_id: u for u in session.scalars(select(User))}


# --- admins ---------------------------------------------------------------------------------


def test_sync_admins_adds_renames_deactivates_and_reactivates(session):
    result = sync_admins(session, [AdminSpec(1, "Alice"), AdminSpec(2, None)])
    assert (result.added, result.reactivated, result.deactivated) == ([1, 2], [], [])
    users = users_by_id(session)
    assert users[1].display_name == "Alice"
    assert users[2].display_name == "Admin 2"
    assert users[1].active
    assert users[1].created_at.tzinfo is not None
    first_pk = users[1].id

    result = sync_admins(session, [AdminSpec(1, "Alice Jones"), AdminSpec(3, "Cara")])
    assert (result.added, result.reactivated, result.deactivated) == ([3], [], [2])
    users = users_by_id(session)
    assert set(users) == {1, 2, 3}  # removed ids are kept (they own contacts and notes)
    assert users[1].display_name == "Alice Jones"
    assert users[1].id == first_pk
    assert not users[2].active
    assert [u.telegram_user_id for u in active_users(session)] == [1, 3]

    result = sync_admins(session, [AdminSpec(1), AdminSpec(2), AdminSpec(3, "Cara")])
    assert (result.added, result.reactivated, result.deactivated) == ([], [2], [])
    users = users_by_id(session)
    assert all(u.active for u in users.values())
    assert users[1].display_name == "Alice Jones"  # no name given: the old one stays


def test_sync_with_nobody_deactivates_everyone_but_deletes_no_one(session, alice, bob):
    result = sync_admins(session, [])
    assert sorted(result.deactivated) == [1001, 1002]
    assert len(users_by_id(session)) == 2
    assert active_users(session) == []


def test_require_user_and_find_user(session, alice, bob):
    assert require_user(session, 1001).id == alice.id
    with pytest.raises(NotFound):
        require_user(session, 999)
    sync_admins(session, [AdminSpec(1001, "Alice")])
    with pytest.raises(NotFound):
        require_user(session, 1002)  # deactivated: no longer let in
    assert find_user(session, "1002").id == bob.id
    assert find_user(session, " alice ").id == alice.id
    with pytest.raises(ValidationError):
        find_user(session, "Nobody")


# --- email config ---------------------------------------------------------------------------


def stored_row(session) -> dict[str, object]:
    row = session.execute(text("SELECT * FROM crm_email_configs")).mappings().one()
    return dict(row)


def test_save_email_config_never_stores_the_clear_password(session, alice):
    box = SecretBox([new_key()])
    config = save_email_config(
        session, box, alice.id, username=" alice@v3.co.uk ", password=PASSWORD
    )
    assert PASSWORD not in repr(config)
    row = stored_row(session)
    assert all(PASSWORD not in str(value) for value in row.values())
    assert row["username"] == "alice@v3.co.uk"
    assert row["imap_host"] == DEFAULT_IMAP_HOST
    assert row["imap_port"] == 993
    assert bool(row["use_ssl"]) is True
    assert read_email_password(session, box, alice.id) == PASSWORD


def test_save_email_config_twice_updates_the_one_row(session, alice, bob):
    box = SecretBox([new_key()])
    save_email_config(session, box, alice.id, username="a", password="one")
    save_email_config(
        session,
        box,
        alice.id,
        username="a2",
        password="two",
        host="imap.example.com",
        port=143,
        use_ssl=False,
    )
    save_email_config(session, box, bob.id, username="b", password="three")
    configs = session.scalars(select(EmailConfig).order_by(EmailConfig.user_id)).all()
    assert [c.user_id for c in configs] == [alice.id, bob.id]
    mine = get_email_config(session, alice.id)
    assert (mine.username, mine.imap_host, mine.imap_port, mine.use_ssl) == (
        "a2",
        "imap.example.com",
        143,
        False,
    )
    assert read_email_password(session, box, alice.id) == "two"
    assert read_email_password(session, box, bob.id) == "three"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": " ", "password": "p"}, "username"),
        ({"username": "u", "password": ""}, "password"),
        ({"username": "u", "password": "p", "port": 0}, "imap_port"),
        ({"username": "u", "password": "p", "port": 70000}, "imap_port"),
        ({"username": "u" * 256, "password": "p"}, "username"),
        ({"username": "u", "password": "p", "host": "h" * 256}, "imap_host"),
    ],
)
def test_bad_email_config_is_rejected(session, alice, kwargs, field):
    box = SecretBox([new_key()])
    with pytest.raises(ValidationError) as info:
        save_email_config(session, box, alice.id, **kwargs)
    assert info.value.field == field
    assert session.scalars(select(EmailConfig)).all() == []


def test_no_mailbox_is_not_found(session, alice):
    with pytest.raises(NotFound):
        read_email_password(session, SecretBox([new_key()]), alice.id)


def test_key_rotation_reseals_with_the_newest_key_on_read(session_factory, alice):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with session_factory.begin() as s:
        save_email_config(s, SecretBox([old]), alice.id, username="alice", password=PASSWORD)
    with session_factory() as s:
        old_token = stored_row(s)["password_encrypted"]

    rotated = SecretBox([new, old])
    with session_factory.begin() as s:
        assert read_email_password(s, rotated, alice.id) == PASSWORD

    with session_factory() as s:
        new_token = stored_row(s)["password_encrypted"]
    assert new_token != old_token
    assert PASSWORD not in new_token
    assert SecretBox([new]).open(new_token) == (PASSWORD, False)
    with pytest.raises(CRMError):
        SecretBox([old]).open(new_token)

    # Already on the newest key: reading leaves the token alone.
    with session_factory.begin() as s:
        assert read_email_password(s, rotated, alice.id) == PASSWORD
    with session_factory() as s:
        assert stored_row(s)["password_encrypted"] == new_token


def test_long_admin_names_are_cut_to_the_column(session_factory) -> None:
    from crm_core.config import AdminSpec
    from crm_core.models import User
    from crm_core.services.users import NAME_LIMIT, sync_admins

    with session_factory.begin() as s:
        sync_admins(s, [AdminSpec(77, "x" * 300)])
    with session_factory() as s:
        assert s.query(User).one().display_name == "x" * NAME_LIMIT
