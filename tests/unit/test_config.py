"""Settings.from_env: defaults, Heroku's URL, admin ids, one-line errors naming the variable."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from crm_core.config import AdminSpec, Settings, redact_url
from crm_core.db import make_engine
from crm_core.errors import ConfigError
from crm_core.stages import STAGE_PROBABILITIES


def from_env(**env: str) -> Settings:
    return Settings.from_env(env, dotenv=False)


def test_defaults_when_nothing_is_set():
    settings = from_env()
    assert settings.database_url == "sqlite:///crm.db"
    assert settings.is_sqlite
    assert settings.timezone == "Europe/London"
    assert settings.tz.key == "Europe/London"
    assert settings.digest_time == time(8, 0)
    assert settings.admins == ()
    assert settings.email_keys == ()
    assert settings.s3_bucket is None
    assert settings.file_storage_dir == Path("crm-files")
    assert settings.port is None  # no web server unless $PORT (or a webhook) asks for one
    assert settings.public_url is None
    assert settings.webapp_auth_max_age == 24 * 3600


def test_blank_values_fall_back_to_defaults():
    settings = from_env(TIMEZONE="  ", DIGEST_TIME="", DATABASE_URL="")
    assert settings.timezone == "Europe/London"
    assert settings.digest_time == time(8, 0)
    assert settings.database_url == "sqlite:///crm.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@host:5432/db", "postgresql+psycopg2://u:p@host:5432/db"),
        ("postgresql://u:p@host/db", "postgresql+psycopg2://u:p@host/db"),
        ("postgresql+psycopg2://u@host/db", "postgresql+psycopg2://u@host/db"),
        ("sqlite:///other.db", "sqlite:///other.db"),
    ],
)
def test_database_url_is_rewritten_for_sqlalchemy(given, expected):
    settings = from_env(DATABASE_URL=given)
    assert settings.database_url == expected
    assert settings.is_sqlite == expected.startswith("sqlite")


@pytest.mark.parametrize("given", ["postgres://u@host/db", "postgresql://u@host/db"])
def test_an_engine_made_from_a_bare_postgres_url_uses_psycopg2(given):
    engine = make_engine(given)  # no connection is made
    try:
        assert engine.dialect.driver == "psycopg2"
    finally:
        engine.dispose()


def test_admin_chat_ids_with_and_without_names():
    settings = from_env(ADMIN_CHAT_IDS=" 1, 2:Sam ,,3: ")
    assert settings.admins == (AdminSpec(1, None), AdminSpec(2, "Sam"), AdminSpec(3, None))
    assert settings.admin_ids == frozenset({1, 2, 3})


def test_duplicate_admin_ids_are_kept_once():
    assert from_env(ADMIN_CHAT_IDS="5:A,5:B").admins == (AdminSpec(5, "A"),)


def test_other_values_are_read():
    key = Fernet.generate_key().decode()
    old = Fernet.generate_key().decode()
    settings = from_env(
        TIMEZONE="America/New_York",
        DIGEST_TIME="7:30",
        CRM_EMAIL_ENCRYPTION_KEY=f"{key}, {old}",
        S3_BUCKET="files",
        S3_ENDPOINT_URL="http://localhost:9000",
        FILE_STORAGE_DIR="/data/files",
        TELEGRAM_BOT_TOKEN="123:abc",
        PORT="5000",
        PUBLIC_URL="https://crm-1a2b3c.herokuapp.com/",
        WEBAPP_AUTH_MAX_AGE="3600",
    )
    assert settings.timezone == "America/New_York"
    assert settings.digest_time == time(7, 30)
    assert settings.email_keys == (key, old)
    assert settings.s3_bucket == "files"
    assert settings.s3_endpoint_url == "http://localhost:9000"
    assert settings.file_storage_dir == Path("/data/files")
    assert settings.telegram_token == "123:abc"
    assert settings.port == 5000
    assert settings.public_url == "https://crm-1a2b3c.herokuapp.com"
    assert settings.webapp_auth_max_age == 3600


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TIMEZONE", "Mars/Base"),
        ("TIMEZONE", "../../etc/passwd"),
        ("DIGEST_TIME", "25:00"),
        ("DIGEST_TIME", "08:60"),
        ("DIGEST_TIME", "eight"),
        ("ADMIN_CHAT_IDS", "abc"),
        ("ADMIN_CHAT_IDS", "1,two:Sam"),
        ("CRM_EMAIL_ENCRYPTION_KEY", "notakey"),
        ("PORT", "http"),
        ("PUBLIC_URL", "http://crm.example.com"),  # Telegram opens Mini Apps over HTTPS only
        ("PUBLIC_URL", "crm.example.com"),
        ("PUBLIC_URL", "https://crm.example.com/app?x=1"),
        ("WEBAPP_AUTH_MAX_AGE", "a day"),
        ("WEBAPP_AUTH_MAX_AGE", "0"),
        ("STAGE_PROBABILITIES", "quote_sent:0.4,negotiation:0.6"),  # no such stage
        ("STAGE_PROBABILITIES", "quote_sent:1.5"),
        ("STAGE_PROBABILITIES", "quote_sent=0.4"),
        ("STAGE_PROBABILITIES", "quote_sent:nan"),
    ],
)
def test_a_bad_value_fails_with_one_line_naming_the_variable(variable, value):
    with pytest.raises(ConfigError) as info:
        from_env(**{variable: value})
    message = str(info.value)
    assert variable in message
    assert "\n" not in message


def test_a_bad_second_fernet_key_is_reported_by_position():
    good = Fernet.generate_key().decode()
    with pytest.raises(ConfigError, match="key 2"):
        from_env(CRM_EMAIL_ENCRYPTION_KEY=f"{good},notakey")


def test_require_bot_names_what_is_missing():
    with pytest.raises(ConfigError) as info:
        from_env().require_bot()
    assert "TELEGRAM_BOT_TOKEN" in str(info.value)
    assert "ADMIN_CHAT_IDS" in str(info.value)

    with pytest.raises(ConfigError) as info:
        from_env(TELEGRAM_BOT_TOKEN="123:abc").require_bot()
    assert "ADMIN_CHAT_IDS" in str(info.value)
    assert "TELEGRAM_BOT_TOKEN" not in str(info.value)

    from_env(TELEGRAM_BOT_TOKEN="123:abc", ADMIN_CHAT_IDS="1").require_bot()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg2://crm:s3cret@db:5432/crm",
            "postgresql+psycopg2://crm:***@db:5432/crm",
        ),
        ("postgresql://crm:p@ss:w@rd@db/crm", "postgresql://crm:***@db/crm"),
        ("postgresql://crm@db/crm", "postgresql://crm@db/crm"),
        ("sqlite:///crm.db", "sqlite:///crm.db"),
    ],
)
def test_redact_url_hides_the_password(url, expected):
    redacted = redact_url(url)
    assert redacted == expected
    assert "s3cret" not in redacted
    assert "rd@" not in redacted


def test_settings_are_injectable_without_the_environment():
    settings = Settings(database_url="sqlite://", admins=(AdminSpec(7, "Kim"),))
    changed = settings.with_(timezone="Asia/Tokyo")
    assert changed.timezone == "Asia/Tokyo"
    assert settings.timezone == "Europe/London"
    assert changed.admin_ids == frozenset({7})


def test_webhook_secret_must_be_telegram_safe() -> None:
    ok = Settings.from_env({"WEBHOOK_SECRET": "abc_DEF-123"}, dotenv=False)
    assert ok.webhook_secret == "abc_DEF-123"
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        Settings.from_env({"WEBHOOK_SECRET": "has space!"}, dotenv=False)


# --- Heroku: no silent data loss on the dyno's throwaway disk ---------------------------------

HEROKU_OK = {
    "DYNO": "web.1",
    "DATABASE_URL": "postgres://u:p@host:5432/db",
    "S3_BUCKET": "v3-crm-files",
}


def test_off_heroku_sqlite_and_local_files_are_fine():
    from_env().require_durable_storage()  # no DYNO: a laptop or a server with a real disk


def test_on_heroku_postgres_and_s3_are_fine():
    settings = from_env(**HEROKU_OK)
    assert settings.on_heroku
    settings.require_durable_storage()


@pytest.mark.parametrize(
    ("drop", "names", "fix"),
    [
        ("DATABASE_URL", "the SQLite database", "heroku addons:create heroku-postgresql"),
        ("S3_BUCKET", "the files in crm-files", "set S3_BUCKET"),
    ],
)
def test_on_heroku_sqlite_or_local_files_are_refused_in_one_sentence(drop, names, fix):
    env = {k: v for k, v in HEROKU_OK.items() if k != drop}
    with pytest.raises(ConfigError) as caught:
        from_env(**env).require_durable_storage()
    message = str(caught.value)
    assert "\n" not in message
    assert names in message
    assert fix in message
    assert "CRM_ALLOW_EPHEMERAL_STORAGE=1" in message


def test_on_heroku_both_problems_are_named_in_the_one_sentence():
    with pytest.raises(ConfigError) as caught:
        from_env(DYNO="worker.1").require_durable_storage()
    message = str(caught.value)
    assert "SQLite database and the files" in message
    assert "heroku-postgresql" in message
    assert "S3_BUCKET" in message


@pytest.mark.parametrize(("value", "allowed"), [("1", True), ("0", False), ("yes", False)])
def test_the_override_must_be_exactly_1(value, allowed):
    settings = from_env(DYNO="web.1", CRM_ALLOW_EPHEMERAL_STORAGE=value)
    assert settings.allow_ephemeral_storage is allowed
    if allowed:
        settings.require_durable_storage()
    else:
        with pytest.raises(ConfigError):
            settings.require_durable_storage()


def test_a_token_is_shown_by_its_last_four_characters_only():
    from crm_core.config import mask_token

    token = "7012345678:AAFakeTokenForTestsOnly_abcdWXYZ"
    assert mask_token(token) == "…WXYZ"
    assert mask_token("short") == "…"


def test_mail_settings(tmp_path: Path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    s = Settings.from_env(
        {
            "IMAP_DEFAULT_HOST": "mail.v3.test",
            "IMAP_SYNC_MINUTES": "5",
            "IMAP_CA_FILE": str(ca),
            "IMAP_ALLOW_PLAIN": "yes",
        },
        dotenv=False,
    )
    assert (s.imap_default_host, s.imap_sync_minutes, s.imap_ca_file, s.imap_allow_plain) == (
        "mail.v3.test",
        5,
        ca,
        True,
    )
    defaults = Settings.from_env({}, dotenv=False)
    assert (defaults.imap_sync_minutes, defaults.imap_ca_file, defaults.imap_allow_plain) == (
        10,
        None,
        False,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("IMAP_SYNC_MINUTES", "ten"),
        ("IMAP_CA_FILE", "/no/such/ca.pem"),
        ("IMAP_ALLOW_PLAIN", "maybe"),
    ],
)
def test_bad_mail_settings_name_the_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: value}, dotenv=False)


def test_stage_probabilities_override_the_defaults_of_the_stage_catalogue():
    assert from_env().stage_probabilities == STAGE_PROBABILITIES
    settings = from_env(STAGE_PROBABILITIES=" quote_sent:0.6 , won:1,lost:0 ")
    assert settings.stage_probabilities == {
        **STAGE_PROBABILITIES,
        "quote_sent": 0.6,
        "lost": 0.0,
    }
    assert STAGE_PROBABILITIES["quote_sent"] == 0.4  # the defaults themselves untouched
