"""sqlite search index: an FTS5 trigram index of crm_contacts.search_text (SQLite only)

PostgreSQL already serves LIKE '%x%' from the pg_trgm GIN index of 0001. SQLite has no such
index type; an FTS5 table with the trigram tokenizer (SQLite 3.34+) answers the same substring
question from an index instead of a scan. It is an external-content table: it stores only the
index, the text stays in crm_contacts, and triggers keep the two in step. Everything here is
named crm_contacts_fts*: autogenerate leaves such names alone (crm_core.migrate.include_object).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 01:20:00
"""

import sqlite3
from collections.abc import Sequence

from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = (
    "CREATE VIRTUAL TABLE crm_contacts_fts USING fts5("
    "search_text, content='crm_contacts', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER crm_contacts_fts_insert AFTER INSERT ON crm_contacts BEGIN "
    "INSERT INTO crm_contacts_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER crm_contacts_fts_delete AFTER DELETE ON crm_contacts BEGIN "
    "INSERT INTO crm_contacts_fts(crm_contacts_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER crm_contacts_fts_update AFTER UPDATE OF search_text ON crm_contacts BEGIN "
    "INSERT INTO crm_contacts_fts(crm_contacts_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO crm_contacts_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    # Index the contacts that already exist.
    "INSERT INTO crm_contacts_fts(crm_contacts_fts) VALUES ('rebuild')",
    # Ranking the matches reads each one's name: from this narrow index instead of the wide
    # rows (about a quarter off a common fragment's search). SQLite's planner takes it once
    # ANALYZE has run, which the bot does at start and daily.
    "CREATE INDEX crm_contacts_fts_ranking ON crm_contacts (id, name, deleted_at) "
    "WHERE deleted_at IS NULL",
)

DOWNGRADE = (
    "DROP INDEX crm_contacts_fts_ranking",
    "DROP TRIGGER crm_contacts_fts_update",
    "DROP TRIGGER crm_contacts_fts_delete",
    "DROP TRIGGER crm_contacts_fts_insert",
    "DROP TABLE crm_contacts_fts",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        if sqlite3.sqlite_version_info < (3, 34):
            raise RuntimeError(
                f"SQLite {sqlite3.sqlite_version} is too old: contact search needs 3.34 or newer "
                "(its FTS5 trigram tokenizer). Use a newer Python build, or PostgreSQL."
            )
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for statement in DOWNGRADE:
            op.execute(statement)
