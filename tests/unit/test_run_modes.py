"""What ``crm-bot`` starts: the real bot with a token, the sandbox without one (unless the
settings say this is a deployment), and the sandbox's own settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import choose_mode, main
from bot.sandbox_mode import SANDBOX_ADMINS, STRANGER, chat_users, sandbox_settings
from crm_core.config import AdminSpec, Settings
from crm_core.errors import ConfigError
from sandbox import BotApiDouble


def from_env(**env: str) -> Settings:
    return Settings.from_env(env, dotenv=False)


def test_sandbox_defaults():
    settings = from_env()
    assert (settings.sandbox_host, settings.sandbox_port) == ("127.0.0.1", 8080)
    assert settings.sandbox_dir == Path("sandbox-data")  # not ./sandbox: the package's source
    assert settings.deployment == ()
    assert settings.sandbox_wanted()


def test_sandbox_variables_are_read():
    settings = from_env(SANDBOX_HOST="192.168.1.5", SANDBOX_PORT="9000", SANDBOX_DIR="/tmp/x")
    assert (settings.sandbox_host, settings.sandbox_port, settings.sandbox_dir) == (
        "192.168.1.5",
        9000,
        Path("/tmp/x"),
    )


@pytest.mark.parametrize("port", ["eighty", "0", "70000"])
def test_a_bad_sandbox_port_is_one_line_naming_it(port):
    with pytest.raises(ConfigError, match=r"^SANDBOX_PORT must be a port number"):
        from_env(SANDBOX_PORT=port)


@pytest.mark.parametrize(
    ("env", "deployment"),
    [
        ({"DYNO": "worker.1"}, ("DYNO",)),
        ({"WEBHOOK_URL": "https://x.example"}, ("WEBHOOK_URL",)),
        ({"S3_BUCKET": "crm"}, ("S3_BUCKET",)),
        ({"DATABASE_URL": "postgres://u:p@h/db"}, ("DATABASE_URL",)),
        ({"DATABASE_URL": "sqlite:///other.db"}, ()),  # a local file is no deployment
    ],
)
def test_signs_of_a_deployment(env, deployment):
    settings = from_env(**env)
    assert settings.deployment == deployment
    assert settings.sandbox_wanted() is (deployment == ())


def test_no_token_and_nothing_deployed_starts_the_sandbox():
    assert choose_mode(from_env(), sandbox=False, demo=False) == "sandbox"
    assert choose_mode(from_env(ADMIN_CHAT_IDS="5:Sam"), sandbox=False, demo=True) == "sandbox"


def test_a_token_starts_the_bot_and_sandbox_forces_the_sandbox():
    settings = from_env(TELEGRAM_BOT_TOKEN="1:abc", ADMIN_CHAT_IDS="5")
    assert choose_mode(settings, sandbox=False, demo=False) == "telegram"
    assert choose_mode(settings, sandbox=True, demo=True) == "sandbox"


def test_demo_data_never_goes_into_the_real_database():
    settings = from_env(TELEGRAM_BOT_TOKEN="1:abc", ADMIN_CHAT_IDS="5")
    with pytest.raises(ConfigError, match="--demo only fills the sandbox"):
        choose_mode(settings, sandbox=False, demo=True)


def test_a_deployment_without_a_token_fails_instead_of_starting_a_sandbox():
    with pytest.raises(ConfigError, match=r"^TELEGRAM_BOT_TOKEN must be set: with DYNO set"):
        choose_mode(from_env(DYNO="web.1"), sandbox=False, demo=False)


def test_a_token_without_admins_is_still_one_line():
    with pytest.raises(ConfigError, match="ADMIN_CHAT_IDS must be set"):
        choose_mode(from_env(TELEGRAM_BOT_TOKEN="1:abc"), sandbox=False, demo=False)


def test_help_prints_and_starts_nothing(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: crm-bot")
    for word in ("--sandbox", "--demo", "SANDBOX_DIR", "http://127.0.0.1:8080"):
        assert word in out


def test_check_says_which_mode(monkeypatch, capsys):
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "DYNO", "WEBHOOK_URL", "S3_BUCKET"):
        monkeypatch.setenv(name, "")
    assert main(["--check"]) == 0
    assert capsys.readouterr().out == "sandbox\n"
    monkeypatch.setenv("DYNO", "web.1")
    assert main(["--check"]) == 2
    assert capsys.readouterr().err.startswith("Configuration error: TELEGRAM_BOT_TOKEN must be")


async def test_sandbox_settings_point_at_its_own_folder_and_the_stand_in(tmp_path):
    real = Settings(
        database_url="postgresql+psycopg2://u@h/prod",
        file_storage_dir=Path("crm-files"),
        s3_bucket="prod-files",
        webhook_url="https://prod.example",
        telegram_token="1:real",
        sandbox_dir=tmp_path / "box",
    )
    async with BotApiDouble() as double:
        local = sandbox_settings(real, double)
    assert local.database_url == f"sqlite:///{(tmp_path / 'box').resolve()}/crm.db"
    assert local.file_storage_dir == (tmp_path / "box").resolve() / "files"
    assert (local.s3_bucket, local.webhook_url) == (None, None)
    assert local.telegram_token == double.token
    assert local.telegram_api_base_url == f"http://127.0.0.1:{double.port}/bot"
    assert local.admins == SANDBOX_ADMINS


def test_the_page_plays_each_admin_then_the_stranger():
    admins = (AdminSpec(7, "Sam"), AdminSpec(8))
    users = chat_users(Settings(admins=admins))
    assert [(u.user_id, u.name) for u in users] == [(7, "Sam"), (8, "Admin 8"), (4242, "Stranger")]
    assert users[-1] == STRANGER
