"""What Heroku reads (Procfile, app.json, .python-version) agrees with the code: one way to
migrate, exactly one process taking the bot's updates, PostgreSQL added, and the variables a
dyno needs marked required and described."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
#: The processes that take the bot's updates (both run crm-bot; only one may be scaled up).
UPDATE_TAKERS = ("web", "worker")


@pytest.fixture(scope="module")
def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


@pytest.fixture(scope="module")
def app_json() -> dict:
    return json.loads((ROOT / "app.json").read_text())


def test_release_migrates_the_way_everything_else_does(procfile: dict[str, str]) -> None:
    assert procfile["release"] == "crm db upgrade"


def test_every_process_runs_the_bot(procfile: dict[str, str]) -> None:
    assert {name: procfile[name] for name in UPDATE_TAKERS} == {
        "web": "crm-bot",
        "worker": "crm-bot",
    }
    assert set(procfile) == {"release", *UPDATE_TAKERS}


def test_the_formation_runs_exactly_one_process_that_takes_updates(
    app_json: dict, procfile: dict[str, str]
) -> None:
    formation = app_json["formation"]
    assert set(formation) <= set(procfile)
    assert sum(formation[name]["quantity"] for name in UPDATE_TAKERS) == 1
    # An eco web dyno sleeps after 30 minutes without traffic and misses the morning digest.
    assert all(process.get("size") != "eco" for process in formation.values())


def test_postgresql_is_added(app_json: dict) -> None:
    plans = [addon["plan"] if isinstance(addon, dict) else addon for addon in app_json["addons"]]
    assert any(plan.startswith("heroku-postgresql:") for plan in plans)


def test_every_variable_is_described_and_the_essential_ones_required(app_json: dict) -> None:
    env = app_json["env"]
    assert all(spec.get("description") for spec in env.values())
    required = {name for name, spec in env.items() if spec.get("required")}
    assert {"TELEGRAM_BOT_TOKEN", "ADMIN_CHAT_IDS", "S3_BUCKET"} <= required
    assert "CRM_ALLOW_EPHEMERAL_STORAGE" not in env, "the override is not for a normal deploy"


def test_a_dyno_configured_as_app_json_says_starts(app_json: dict) -> None:
    """The defaults load, and the required variables with what the add-on sets satisfy the
    dyno's storage rule."""
    env = {name: spec.get("value", "") for name, spec in app_json["env"].items()}
    env.update(
        TELEGRAM_BOT_TOKEN="7012345678:AAExampleExampleExampleExample",
        ADMIN_CHAT_IDS="111111111:Sam",
        S3_BUCKET="v3-crm-files",
        DATABASE_URL="postgres://u:p@ec2.example.com:5432/d1",  # set by heroku-postgresql
        DYNO="web.1",
    )
    settings = Settings.from_env(env, dotenv=False)
    settings.require_bot()
    settings.require_durable_storage()


def test_python_version_is_pinned() -> None:
    version = (ROOT / ".python-version").read_text().strip()
    assert version.count(".") == 1, "a major version (3.11) gets Heroku's security updates"
