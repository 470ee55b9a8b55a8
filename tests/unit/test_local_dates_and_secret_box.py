"""An admin's local date and the secret box that seals the IMAP password. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crm_core.crypto import SecretBox, new_key
from crm_core.errors import ConfigError, CRMError
from crm_core.models import User
from crm_core.services.users import local_today

PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize(
    ("user_tz", "now", "expected"),
    [
        (None, datetime(2026, 11, 23, 23, 30, tzinfo=UTC), date(2026, 11, 23)),  # GMT in Nov
        (None, datetime(2026, 7, 1, 23, 30, tzinfo=UTC), date(2026, 7, 2)),  # BST
        ("Asia/Tokyo", datetime(2026, 11, 23, 15, 30, tzinfo=UTC), date(2026, 11, 24)),
        ("America/New_York", datetime(2026, 11, 24, 3, 0, tzinfo=UTC), date(2026, 11, 23)),
        ("Pacific/Kiritimati", datetime(2026, 11, 23, 10, 0, tzinfo=UTC), date(2026, 11, 24)),
    ],
)
def test_local_today_is_the_admins_date(user_tz, now, expected):
    user = User(telegram_user_id=1, display_name="A", timezone=user_tz)
    assert local_today(user, "Europe/London", now) == expected


# --- secret box -----------------------------------------------------------------------------


def test_seal_and_open():
    box = SecretBox([new_key()])
    token = box.seal(PASSWORD)
    assert PASSWORD not in token
    assert token != box.seal(PASSWORD)  # a fresh IV each time
    assert box.open(token) == (PASSWORD, False)


def test_a_token_sealed_with_an_old_key_opens_and_is_stale():
    old, new = new_key(), new_key()
    token = SecretBox([old]).seal(PASSWORD)
    box = SecretBox([new, old])
    assert box.open(token) == (PASSWORD, True)
    fresh = box.rotate(token)
    assert SecretBox([new]).open(fresh) == (PASSWORD, False)


def test_a_token_from_an_unknown_key_fails_cleanly():
    token = SecretBox([new_key()]).seal(PASSWORD)
    with pytest.raises(CRMError, match="can't be decrypted") as info:
        SecretBox([new_key()]).open(token)
    assert PASSWORD not in str(info.value)
    with pytest.raises(CRMError):
        SecretBox([new_key()]).open("not a token")


def test_a_box_needs_a_key():
    with pytest.raises(ConfigError, match="CRM_EMAIL_ENCRYPTION_KEY"):
        SecretBox([])
