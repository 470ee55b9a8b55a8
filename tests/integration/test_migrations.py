"""The migrations build exactly the models' schema on both databases, and undo it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from crm_core.db import make_engine, make_session_factory
from crm_core.migrate import (
    ROOT,
    current_revision,
    downgrade,
    head_revision,
    include_object,
    upgrade,
)
from crm_core.models import Base
from crm_core.services.contacts import create_contact, update_contact
from crm_core.services.search import search_contacts
from crm_core.services.trash import delete_contact, purge_contact


def schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": include_object}
            context = MigrationContext.configure(conn, opts=opts)
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def index_names(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {str(i["name"]) for i in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


def test_upgrade_builds_the_models_schema_and_downgrade_undoes_it(databases):
    url = databases.new()
    upgrade(url)
    assert schema_diff(url) == []
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision(url)
    finally:
        engine.dispose()
    assert {t.name for t in Base.metadata.sorted_tables} <= tables(url)

    downgrade(url, "base")
    assert tables(url) <= {"alembic_version"}

    upgrade(url)
    assert schema_diff(url) == []


def test_alembic_command_line_uses_alembic_ini(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-x", f"url={url}", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert schema_diff(url) == []
    current = subprocess.run(
        [sys.executable, "-m", "alembic", "-x", f"url={url}", "current"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert current.returncode == 0, current.stderr
    assert f"{head_revision(url)} (head)" in current.stdout


def test_cascade_deletes_work_with_raw_sql(databases):
    url = databases.new()
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, telegram_user_id, display_name, active, created_at) "
                    "VALUES (1, 1001, 'Alice', true, CURRENT_TIMESTAMP)"
                )
            )
            for cid in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO crm_contacts (id, name, contact_type, current_stage, "
                        "owner_id, created_at, updated_at) VALUES (:id, :name, 'eviction_client', "
                        "'new_inquiry', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"id": cid, "name": f"Contact {cid}"},
                )
                conn.execute(
                    text(
                        "INSERT INTO crm_notes (contact_id, note_type, content, created_at) "
                        "VALUES (:id, 'call', 'hello', CURRENT_TIMESTAMP)"
                    ),
                    {"id": cid},
                )
                conn.execute(
                    text(
                        "INSERT INTO crm_stage_changes (contact_id, to_stage, changed_at) "
                        "VALUES (:id, 'new_inquiry', CURRENT_TIMESTAMP)"
                    ),
                    {"id": cid},
                )
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM crm_contacts WHERE id = 1"))
        with engine.connect() as conn:
            notes = conn.execute(text("SELECT contact_id FROM crm_notes")).scalars().all()
            changes = (
                conn.execute(text("SELECT contact_id FROM crm_stage_changes")).scalars().all()
            )
        assert notes == [2]
        assert changes == [2]
    finally:
        engine.dispose()


def test_a_note_for_a_missing_contact_is_refused(databases):
    url = databases.new()
    upgrade(url)
    engine = make_engine(url)
    try:
        with pytest.raises(IntegrityError, match=r"(?i)foreign key"), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO crm_notes (contact_id, note_type, content, created_at) "
                    "VALUES (42, 'call', 'orphan', CURRENT_TIMESTAMP)"
                )
            )
    finally:
        engine.dispose()


def test_migration_0005_keys_the_contacts_it_finds_and_its_search_index_stays_in_step(
    databases,
):
    """0005 backfills name keys and, on SQLite, indexes the existing contacts for search; the
    triggers follow every later write. (On PostgreSQL the trigram index of 0001 serves search.)"""
    url = databases.new()
    upgrade(url, "0004")
    engine = make_engine(url)
    factory = make_session_factory(engine)
    try:
        with engine.begin() as conn:  # as the 0004 schema has it: no name_key yet
            conn.execute(
                text(
                    "INSERT INTO users (id, telegram_user_id, display_name, active, created_at) "
                    "VALUES (1, 1001, 'Alice', true, CURRENT_TIMESTAMP)"
                )
            )
            for name in ["Harriet Vane", "ÉMILE STRAßE"]:
                conn.execute(
                    text(
                        "INSERT INTO crm_contacts (name, contact_type, current_stage, owner_id, "
                        "search_text, created_at, updated_at) VALUES (:name, 'eviction_client', "
                        "'new_inquiry', 1, :text, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"name": name, "text": name.casefold()},
                )
            old_id = conn.scalar(text("SELECT min(id) FROM crm_contacts"))
        upgrade(url)
        alice_id = 1
        with engine.connect() as conn:
            keys = conn.execute(text("SELECT name_key FROM crm_contacts ORDER BY id")).scalars()
            assert list(keys) == ["harriet vane", "émile strasse"]
        with factory.begin() as session:
            assert [c.id for c in search_contacts(session, "riet va")] == [old_id]
            new = create_contact(
                session,
                alice_id,
                {"name": "Peter Wimsey", "contact_type": "eviction_client"},
                today=date(2026, 11, 24),
            )
            update_contact(
                session,
                old_id,
                {"name": "Harriet Wimsey"},
                by_user_id=alice_id,
                today=date(2026, 11, 24),
            )
        with factory.begin() as session:
            assert {c.id for c in search_contacts(session, "wimsey")} == {old_id, new.id}
            assert search_contacts(session, "vane") == []
            delete_contact(session, new.id)
            purge_contact(session, new.id)
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                # FTS5 compares its index with crm_contacts and raises if they differ.
                conn.execute(
                    text(
                        "INSERT INTO crm_contacts_fts(crm_contacts_fts, rank) "
                        "VALUES ('integrity-check', 1)"
                    )
                )
        ranking = {"crm_contacts_fts_ranking"} if engine.dialect.name == "sqlite" else set()
        assert index_names(url, "crm_contacts") & {"crm_contacts_fts_ranking"} == ranking
        downgrade(url, "0004")
        assert not {t for t in tables(url) if t.startswith("crm_contacts_fts")}
        assert "crm_contacts_fts_ranking" not in index_names(url, "crm_contacts")
        upgrade(url)
        with factory.begin() as session:
            assert [c.id for c in search_contacts(session, "wimsey")] == [old_id]
    finally:
        engine.dispose()


def _schema_objects(url: str) -> dict[str, set[str]]:
    """Index and trigger names per table (SQLite's catalogue; PostgreSQL's indexes)."""
    engine = make_engine(url)
    try:
        if engine.dialect.name != "sqlite":
            inspector = inspect(engine)
            return {
                t: {str(i["name"]) for i in inspector.get_indexes(t)}
                for t in inspector.get_table_names()
            }
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT tbl_name, name FROM sqlite_master WHERE type IN ('index', 'trigger') "
                    "AND sql IS NOT NULL"
                )
            ).all()
        found: dict[str, set[str]] = {}
        for table, name in rows:
            found.setdefault(table, set()).add(name)
        return found
    finally:
        engine.dispose()


def test_migration_0006_keeps_every_row_and_ids_are_never_handed_out_again(databases, monkeypatch):
    """Erasing the newest contact (or note, or file) must not give its id to the next one:
    its old card's buttons would act on someone else. 0006 rebuilds SQLite's tables with
    AUTOINCREMENT, keeping rows, indexes, constraints and the search index's triggers."""
    url = databases.new()
    upgrade(url, "0005")
    engine = make_engine(url)
    factory = make_session_factory(engine)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, telegram_user_id, display_name, active, created_at) "
                    "VALUES (1, 1001, 'Alice', true, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO bot_processed_updates (update_id, received_at) "
                    "VALUES (5, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO bot_state (namespace, key, data, updated_at) "
                    "VALUES ('user', '1001', '{}', CURRENT_TIMESTAMP)"
                )
            )
        # Rows written as the 0005 schema has them (SQL, not the services: the models are
        # today's, and a column added later would not exist yet).
        with engine.begin() as conn:
            for name in ("Harriet Vane", "Peter Wimsey"):
                conn.execute(
                    text(
                        "INSERT INTO crm_contacts (name, name_key, contact_type, current_stage, "
                        "owner_id, search_text, created_at, updated_at) VALUES (:name, :key, "
                        "'eviction_client', 'new_inquiry', 1, :key, CURRENT_TIMESTAMP, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"name": name, "key": name.casefold()},
                )
            kept_id, erased_id = conn.execute(
                text("SELECT id FROM crm_contacts ORDER BY id")
            ).scalars()
            conn.execute(
                text(
                    "INSERT INTO crm_notes (contact_id, note_type, content, created_at) "
                    "VALUES (:c, 'call', 'kept note', CURRENT_TIMESTAMP)"
                ),
                {"c": kept_id},
            )
            # The highest id, erased before 0006.
            conn.execute(text("DELETE FROM crm_contacts WHERE id = :c"), {"c": erased_id})
        before = _schema_objects(url)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "777:SECRET")  # the release phase has it
        upgrade(url, "0006")
        assert _schema_objects(url) == before  # every index and trigger is back
        upgrade(url)
        assert schema_diff(url) == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT content FROM crm_notes")).scalars().all() == [
                "kept note"
            ]
            claimed = conn.execute(text("SELECT bot_id, update_id FROM bot_processed_updates"))
            assert [tuple(row) for row in claimed] == [(777, 5)]
            assert conn.execute(text("SELECT key FROM bot_state")).scalars().all() == ["777/1001"]
            if engine.dialect.name == "sqlite":
                sql = dict(
                    conn.execute(
                        text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
                    ).all()
                )
                for model in Base.metadata.sorted_tables:
                    if "id" in model.c and model.c.id.primary_key:
                        assert "AUTOINCREMENT" in sql[model.name], model.name
        with factory.begin() as session:
            assert [c.id for c in search_contacts(session, "harriet")] == [kept_id]
            second = create_contact(
                session,
                1,
                {"name": "Mervyn Bunter", "contact_type": "eviction_client"},
                today=date(2026, 11, 24),
            )
            session.flush()
            second_id = second.id
            delete_contact(session, second_id)
            purge_contact(session, second_id)
        with factory.begin() as session:
            third = create_contact(
                session,
                1,
                {"name": "Miss Climpson", "contact_type": "eviction_client"},
                today=date(2026, 11, 24),
            )
            session.flush()
            assert third.id > second_id > kept_id
            note_ids = [
                session.scalar(
                    text(
                        "INSERT INTO crm_notes (contact_id, note_type, content, created_at) "
                        "VALUES (:c, 'call', 'n', CURRENT_TIMESTAMP) RETURNING id"
                    ),
                    {"c": third.id},
                )
                for _ in range(2)
            ]
            session.execute(text("DELETE FROM crm_notes WHERE id = :i"), {"i": note_ids[-1]})
            again = session.scalar(
                text(
                    "INSERT INTO crm_notes (contact_id, note_type, content, created_at) "
                    "VALUES (:c, 'call', 'n', CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"c": third.id},
            )
            assert again not in note_ids
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO crm_contacts_fts(crm_contacts_fts, rank) "
                        "VALUES ('integrity-check', 1)"
                    )
                )
        with factory.begin() as session:
            assert [c.id for c in search_contacts(session, "climpson")] == [third.id]
        downgrade(url, "0005")
        assert _schema_objects(url) == before
        with engine.connect() as conn:
            assert conn.execute(text("SELECT key FROM bot_state")).scalars().all() == ["1001"]
        monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
        upgrade(url)
        with engine.connect() as conn:  # whose they are can't be told: forgotten
            assert conn.scalar(text("SELECT count(*) FROM bot_state")) == 0
        assert schema_diff(url) == []
        with factory.begin() as session:
            assert [c.id for c in search_contacts(session, "harriet")] == [kept_id]
    finally:
        engine.dispose()
