"""The `crm` command line, run as a real process against fresh databases of both backends."""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from crm_core.crypto import new_key

ALICE_ID, BOB_ID = 1001, 1002
ADMINS = f"{ALICE_ID}:Alice,{BOB_ID}:Bob"
#: Every variable Settings reads: the tests decide all of them.
SETTINGS_VARS = (
    "DATABASE_URL",
    "ADMIN_CHAT_IDS",
    "TIMEZONE",
    "DIGEST_TIME",
    "CRM_EMAIL_ENCRYPTION_KEY",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "FILE_STORAGE_DIR",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_FILE_BASE_URL",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "PORT",
    "DYNO",
    "CRM_ALLOW_EPHEMERAL_STORAGE",
    "IMAP_DEFAULT_HOST",
    "IMAP_SYNC_MINUTES",
    "IMAP_CA_FILE",
    "IMAP_ALLOW_PLAIN",
)

Crm = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def crm(tmp_path: Path) -> Crm:
    """Run `crm ARGS...` in an empty directory (no .env) with only the settings given."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}

    def run(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crm_core.cli", *args],
            env={**clean, **settings},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    return run


def write_sample_csv(path: Path, count: int, *, seed: int = 7) -> None:
    """Contacts written the ways people write them: display names, national phone numbers,
    capitals in emails, owners by id or name or left empty."""
    rng = random.Random(seed)
    first = ["Jane", "Omar", "Priya", "Tom", "Gemma", "Zoë", "Liam", "Aisha", "Chen", "Seán"]
    last = ["Smith", "Patel", "O'Neil", "Jones", "Ångström", "Khan", "Taylor", "Wright", "Brown"]
    kinds = {
        "eviction_client": ["New Inquiry", "client_pack_sent", "Job Booked", "paid"],
        "Prevention prospect": ["prospect", "Quote Sent", "thinking about it", "Won", "lost"],
        "referral partner": ["Active Partner", "inactive"],
    }
    today = date.today()
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "name",
                "email",
                "phone",
                "company",
                "contact_type",
                "how_found_us",
                "property_address",
                "service_type",
                "urgency_level",
                "current_stage",
                "status",
                "next_followup_date",
                "potential_value",
                "total_revenue",
                "total_jobs_referred",
                "owner",
            ]
        )
        for i in range(count):
            name = f"{rng.choice(first)} {rng.choice(last)}"
            kind = rng.choice(list(kinds))
            followup = today + timedelta(days=rng.randint(-60, 60))
            writer.writerow(
                [
                    f"  {name} " if i % 7 == 0 else name,
                    f"{name.split()[0]}.{i}@Example.COM" if i % 3 else "",
                    f"07{rng.randint(100_000_000, 999_999_999)}" if i % 4 else "",
                    rng.choice(["", "Acme Lettings", "Smith, Jones & Co", 'The "Best" Homes']),
                    kind,
                    rng.choice(["", "Google", "Referral"]),
                    rng.choice(["", "1 High St\nLeeds LS1 1AA", "Flat 2, 3 Mill Rd"]),
                    rng.choice(["", "CCTV", "Eviction"]),
                    rng.choice(["", "low", "normal", "high", "urgent"]),
                    rng.choice(kinds[kind]),
                    rng.choice(["", "", "", "dormant"]),
                    followup.isoformat() if i % 5 else "",
                    rng.choice(["", "1500", "£2,250.5", "99.99"]),
                    rng.choice(["", "0", "120.10"]),
                    rng.choice(["", "0", "3"]),
                    rng.choice(["", str(ALICE_ID), "Bob", "alice"]),
                ]
            )


def test_import_1000_contacts_and_round_trip(crm, databases, tmp_path):
    first_url, second_url = databases.new(), databases.new()
    for url in (first_url, second_url):
        done = crm("db", "upgrade", DATABASE_URL=url, ADMIN_CHAT_IDS=ADMINS)
        assert done.returncode == 0, done.stderr
        assert "revision" in done.stdout
    sample = tmp_path / "sample.csv"
    write_sample_csv(sample, 1000)

    # Random names repeat at the same companies: /add's rules would call them duplicates.
    done = crm(
        "contacts",
        "import",
        str(sample),
        "--allow-duplicates",
        DATABASE_URL=first_url,
        ADMIN_CHAT_IDS=ADMINS,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Imported 1000 contacts"
    done = crm("contacts", "export", "first.csv", DATABASE_URL=first_url, ADMIN_CHAT_IDS=ADMINS)
    assert done.returncode == 0, done.stderr
    exported = (tmp_path / "first.csv").read_bytes()
    with (tmp_path / "first.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1000
    assert {r["owner"] for r in rows} == {str(ALICE_ID), str(BOB_ID)}
    assert all(r["phone"] == "" or r["phone"].startswith("+447") for r in rows)

    done = crm(
        "contacts",
        "import",
        "first.csv",
        "--allow-duplicates",
        DATABASE_URL=second_url,
        ADMIN_CHAT_IDS=ADMINS,
    )
    assert done.stdout.strip() == "Imported 1000 contacts", done.stderr
    done = crm("contacts", "export", "second.csv", DATABASE_URL=second_url, ADMIN_CHAT_IDS=ADMINS)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "second.csv").read_bytes() == exported

    # The export imported back into the database it came from adds nothing, and says so.
    done = crm("contacts", "import", "first.csv", DATABASE_URL=first_url, ADMIN_CHAT_IDS=ADMINS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "Imported nothing: all 1000 rows are contacts the CRM already has"
    )
    assert "--allow-duplicates" in done.stderr
    done = crm("contacts", "export", "-", DATABASE_URL=first_url, ADMIN_CHAT_IDS=ADMINS)
    assert done.stderr.strip() == "Exported 1000 contacts to stdout"


def test_import_with_a_bad_row_imports_nothing(crm, databases, tmp_path):
    url = databases.new()
    assert crm("db", "upgrade", DATABASE_URL=url).returncode == 0
    sample = tmp_path / "sample.csv"
    good = [f"Good {i},,,,eviction_client,,,,,,,,,,,\r\n" for i in range(6)]
    bad = "Bad Email,janex.com,,,eviction_client,,,,,,,,,,,\r\n"
    header = tmp_path / "header.csv"
    write_sample_csv(header, 0)
    rows = "".join(good[:5]) + bad + good[5]
    sample.write_text(header.read_text(encoding="utf-8") + rows, encoding="utf-8")

    done = crm("contacts", "import", str(sample), DATABASE_URL=url, ADMIN_CHAT_IDS=ADMINS)
    assert done.returncode == 1
    assert "line 7: That email address doesn't look right: missing @." in done.stderr
    assert "Traceback" not in done.stderr
    done = crm("contacts", "export", "-", DATABASE_URL=url, ADMIN_CHAT_IDS=ADMINS)
    assert done.stdout.count("\n") == 1  # the header only

    done = crm(
        "contacts", "import", str(sample), "--skip-bad", DATABASE_URL=url, ADMIN_CHAT_IDS=ADMINS
    )
    assert done.returncode == 0
    assert done.stdout.strip() == "Imported 6 contacts, skipped 1 bad row"
    assert "line 7:" in done.stderr


def doctor_settings(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "ADMIN_CHAT_IDS": ADMINS,
        "CRM_EMAIL_ENCRYPTION_KEY": new_key(),
        "FILE_STORAGE_DIR": str(tmp_path / "files"),
    }


def test_doctor_passes_on_a_migrated_database(crm, databases, tmp_path):
    url = databases.new()
    assert crm("db", "upgrade", DATABASE_URL=url).returncode == 0
    done = crm("doctor", **doctor_settings(url, tmp_path))
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert [line.split()[1] for line in lines] == [
        "configuration",
        "database",
        "migrations",
        "admins",
        "encryption",
        "storage",
    ]
    assert all(line.startswith("OK ") for line in lines)


def test_doctor_fails_on_an_unmigrated_database(crm, databases, tmp_path):
    done = crm("doctor", **doctor_settings(databases.new(), tmp_path))
    assert done.returncode == 1
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1
    assert "run `crm db upgrade`" in failed[0]


def test_doctor_names_what_is_missing(crm, tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert crm("db", "upgrade", DATABASE_URL=url).returncode == 0
    done = crm("doctor", DATABASE_URL=url, FILE_STORAGE_DIR=str(tmp_path / "files"))
    assert done.returncode == 1
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1
    assert "ADMIN_CHAT_IDS" in failed[0]
    # No mailbox password is stored yet: the key is optional, and the line says what it's for.
    [key] = [line for line in done.stdout.splitlines() if "encryption key" in line]
    assert key.startswith("OK")
    assert "crm keygen" in key


def test_doctor_reports_a_bad_setting(crm):
    done = crm("doctor", DIGEST_TIME="25:00")
    assert done.returncode == 1
    assert done.stdout.startswith("FAIL  configuration")
    assert "DIGEST_TIME" in done.stdout


@pytest.fixture
def s3_server() -> Iterator[tuple[str, dict[str, str]]]:
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    creds = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(
        Bucket="crm-files", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    yield endpoint, creds
    server.stop()


def test_doctor_checks_the_s3_bucket(crm, tmp_path, s3_server):
    endpoint, creds = s3_server
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert crm("db", "upgrade", DATABASE_URL=url).returncode == 0
    base = {**doctor_settings(url, tmp_path), **creds, "S3_ENDPOINT_URL": endpoint}

    done = crm("doctor", **base, S3_BUCKET="crm-files")
    assert done.returncode == 0, done.stdout
    assert "S3 bucket 'crm-files'" in done.stdout.splitlines()[-1]

    done = crm("doctor", **base, S3_BUCKET="no-such-bucket")
    assert done.returncode == 1
    last = done.stdout.splitlines()[-1]
    assert last.startswith("FAIL  storage")
    assert "doesn't exist" in last


def test_a_bad_setting_exits_2_with_one_line(crm):
    done = crm("db", "upgrade", DIGEST_TIME="25:00")
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("Configuration error: DIGEST_TIME")


def test_check_bot_config(crm):
    done = crm("check-bot-config", ADMIN_CHAT_IDS=ADMINS)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1
    assert "TELEGRAM_BOT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr

    done = crm("check-bot-config", TELEGRAM_BOT_TOKEN="123:abc")
    assert done.returncode == 1
    assert "ADMIN_CHAT_IDS" in done.stderr

    done = crm("check-bot-config", TELEGRAM_BOT_TOKEN="123:abc", ADMIN_CHAT_IDS=ADMINS)
    assert done.returncode == 0, done.stderr


def test_keygen_prints_a_fernet_key_even_when_the_configured_one_is_bad(crm):
    from cryptography.fernet import Fernet

    done = crm("keygen", CRM_EMAIL_ENCRYPTION_KEY="not-a-key")
    assert done.returncode == 0, done.stderr
    Fernet(done.stdout.strip())


def test_the_console_script_is_installed():
    script = Path(sys.executable).with_name("crm")
    if not script.exists():
        pytest.skip("the crm console script is not installed next to this Python")
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "contacts" in done.stdout


def _csv(tmp_path: Path, *rows: str) -> Path:
    header = tmp_path / "header.csv"
    write_sample_csv(header, 0)
    path = tmp_path / "people.csv"
    path.write_text(
        header.read_text(encoding="utf-8") + "".join(r + "\r\n" for r in rows), encoding="utf-8"
    )
    return path


def test_import_skips_duplicates_of_the_database_and_of_the_file_by_line(crm, databases, tmp_path):
    url = databases.new()
    assert crm("db", "upgrade", DATABASE_URL=url).returncode == 0
    tail = ",eviction_client" + "," * 11
    first = _csv(tmp_path, "Jane Smith,jane@example.com,07700 900123,Acme" + tail)
    done = crm("contacts", "import", str(first), DATABASE_URL=url, ADMIN_CHAT_IDS=ADMINS)
    assert done.returncode == 0, done.stderr
    people = _csv(
        tmp_path,
        "Janet Smyth,JANE@Example.com,,Other" + tail,  # line 2: same email as the database's
        "Robert Brown,,+44 7700 900999,Acme" + tail,  # line 3: new
        "Bob Brown,,07700 900999,Zeta" + tail,  # line 4: same phone as line 3
        "robert  browne,,,acme" + tail,  # line 5: very similar name at the same company
        "Priya Patel,,,Acme" + tail,  # line 6: new
    )
    done = crm("contacts", "import", str(people), DATABASE_URL=url, ADMIN_CHAT_IDS=ADMINS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Imported 2 contacts, skipped 3 duplicates"
    skipped = [line for line in done.stderr.splitlines() if line.endswith("(skipped)")]
    assert skipped == [
        "line 2: A duplicate of Jane Smith, already in the CRM (same email). (skipped)",
        "line 4: A duplicate of line 3 (same phone). (skipped)",
        "line 5: A duplicate of line 3 (similar name at the same company). (skipped)",
    ]

    again = _csv(tmp_path, "Janet Smyth,JANE@Example.com,,Other" + tail)
    done = crm(
        "contacts",
        "import",
        str(again),
        "--allow-duplicates",
        DATABASE_URL=url,
        ADMIN_CHAT_IDS=ADMINS,
    )
    assert done.stdout.strip() == "Imported 1 contact", done.stderr


def test_import_before_the_schema_exists_says_run_db_upgrade(crm, databases, tmp_path):
    people = _csv(tmp_path, "Jane Smith,,,,eviction_client" + "," * 11)
    missing = tmp_path / "nothing-here.db"
    for url in (f"sqlite:///{missing}", databases.new()):
        done = crm("contacts", "import", str(people), DATABASE_URL=url, ADMIN_CHAT_IDS=ADMINS)
        assert done.returncode == 1
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert "run `crm db upgrade`" in done.stderr
        assert "Traceback" not in done.stderr
    assert not missing.exists(), "no empty database file may be left behind"


def test_import_with_no_admins_says_so_once(crm, databases, tmp_path):
    url = databases.new()
    assert crm("db", "upgrade", DATABASE_URL=url).returncode == 0
    people = _csv(tmp_path, *[f"Person {i},,,,eviction_client" + "," * 11 for i in range(5)])
    done = crm("contacts", "import", str(people), DATABASE_URL=url)
    assert done.returncode == 1
    assert done.stderr.count("ADMIN_CHAT_IDS") == 1, done.stderr
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [
        ["db"],
        ["db", "upgrade"],
        ["contacts"],
        ["contacts", "export"],
        ["contacts", "import"],
        ["doctor"],
        ["keygen"],
        ["check-bot-config"],
    ],
)
def test_every_command_says_what_it_does_with_an_example(crm, command):
    done = crm(*command, "--help")
    assert done.returncode == 0
    assert "Example: crm" in done.stdout or "Example: DATABASE_URL=" in done.stdout
    description = done.stdout.split("\n\n")[1]
    assert len(description) > 20, done.stdout


def test_db_upgrade_on_heroku_refuses_sqlite_unless_told_to(crm, tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    done = crm("db", "upgrade", DATABASE_URL=url, DYNO="release.1", S3_BUCKET="files")
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert "heroku addons:create heroku-postgresql" in done.stderr
    assert not (tmp_path / "crm.db").exists()

    done = crm(
        "db",
        "upgrade",
        DATABASE_URL=url,
        DYNO="release.1",
        CRM_ALLOW_EPHEMERAL_STORAGE="1",
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "crm.db").exists()
