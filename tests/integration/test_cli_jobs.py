"""`crm revenue check` (and `crm report`), run as real processes on both databases."""

from __future__ import annotations

import csv
from datetime import date

from PIL import Image
from sqlalchemy import update

from crm_core.config import AdminSpec
from crm_core.db import make_engine, make_session_factory
from crm_core.models import Contact, User
from crm_core.services import jobs
from crm_core.services.contacts import create_contact
from crm_core.services.users import sync_admins
from tests.integration.test_cli import crm  # noqa: F401 - the fixture that runs `crm`


def seed_drift(url: str) -> int:
    """A paid job of £300 whose contact's revenue was then overwritten to £5."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as s:
            sync_admins(s, [AdminSpec(1001, "Alice")])
            user = s.query(User).one()
            client = create_contact(
                s,
                user.id,
                {"name": "Jane", "contact_type": "eviction_client"},
                today=date(2026, 11, 23),
            )
            job = jobs.add_job(
                s, client.id, {"value": "300"}, by_user_id=user.id, today=date(2026, 11, 23)
            )
            jobs.set_job_status(s, job.id, "paid")
            s.execute(update(Contact).where(Contact.id == client.id).values(total_revenue=5))
            return client.id
    finally:
        engine.dispose()


def test_revenue_check_reports_then_fixes(crm, databases):  # noqa: F811
    url = databases.new()
    assert crm("db", "upgrade", DATABASE_URL=url).returncode == 0
    contact_id = seed_drift(url)
    done = crm("revenue", "check", DATABASE_URL=url)
    assert done.returncode == 1
    assert f"#{contact_id} Jane: total_revenue is 5.00, the jobs say 300.00" in done.stdout
    assert "1 total drifted: run with --fix" in done.stderr
    done = crm("revenue", "check", "--fix", DATABASE_URL=url)
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "Fixed 1 total.")
    done = crm("revenue", "check", DATABASE_URL=url)
    assert done.returncode == 0
    assert "agree with the jobs" in done.stdout


def test_report_writes_charts_and_figures(crm, databases, tmp_path):  # noqa: F811
    url = databases.new()
    assert crm("db", "upgrade", DATABASE_URL=url).returncode == 0
    seed_drift(url)  # a £300 job paid today
    done = crm("report", "--period", "90d", "--out", str(tmp_path / "out"), DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["figures.csv", "funnel_eviction_client.png", "revenue.png"]
    for name in names[1:]:
        image = Image.open(tmp_path / "out" / name)
        image.load()
        assert image.format == "PNG"
    with (tmp_path / "out" / "figures.csv").open(encoding="utf-8") as f:
        rows = {(r["pipeline"], r["figure"]): r["value"] for r in csv.DictReader(f)}
    assert rows[("eviction_client", "paid_revenue")] == "300.00"
    assert rows[("eviction_client", "entered:new_inquiry")] == "1"
    assert rows[("prevention_prospect", "win_rate")] == ""
    done = crm("report", "--period", "soon", "--out", str(tmp_path / "x"), DATABASE_URL=url)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: A period is 30d, 90d, 12m")
