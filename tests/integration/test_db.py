"""Database plumbing that isn't a service: the planner statistics SQLite needs gathering."""

from __future__ import annotations

from sqlalchemy import text

from crm_core.db import refresh_statistics
from crm_core.services.contacts import create_contact


def test_sqlite_gets_planner_statistics_and_postgresql_is_left_to_autovacuum(
    session, alice, today
):
    create_contact(
        session, alice.id, {"name": "Ada", "contact_type": "eviction_client"}, today=today
    )
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
    assert refresh_statistics(session) is sqlite
    if sqlite:
        stats = {tuple(r) for r in session.execute(text("SELECT tbl, idx FROM sqlite_stat1"))}
        assert ("crm_contacts", "ix_crm_contacts_live_followup") in stats
        assert ("crm_contacts", "crm_contacts_fts_ranking") in stats
