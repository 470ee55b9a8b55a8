"""search and sort keys: crm_contacts.name_key orders lists; an FTS5 trigram index serves search
on SQLite

``name_key`` is the name casefolded (kept by the service, backfilled here to the same
``str.casefold``): the list indexes order by it instead of the name, so "adam" sorts beside
"Adam" whatever the collation.

PostgreSQL already serves LIKE '%x%' from the pg_trgm GIN index of 0001. SQLite has no such
index type; an FTS5 table with the trigram tokenizer (SQLite 3.34+) answers the same substring
question from an index instead of a scan. It is an external-content table: it stores only the
index, the text stays in crm_contacts, and triggers keep the two in step. A narrow covering
index gives ranking the matches' name keys without reading the wide rows. All of it is named
crm_contacts_fts*: autogenerate leaves such names alone (crm_core.migrate.include_object).

Nothing here rebuilds crm_contacts (no batch mode): on SQLite a rebuild would drop the
triggers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 01:20:00
"""

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text('deleted_at IS NULL')
#: The list indexes, by name: their columns before (with name) and after (with name_key).
LIST_INDEXES = {
    'ix_crm_contacts_live_followup': (
        'next_followup_date', '{name}', 'id', 'owner_id', 'contact_type', 'status', 'deleted_at',
    ),
    'ix_crm_contacts_owner_followup': (
        'owner_id', 'next_followup_date', '{name}', 'id', 'contact_type', 'status',
        'current_stage', 'potential_value', 'deleted_at',
    ),
}

SQLITE_UPGRADE = (
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
    # Ranking the matches reads each one's name key: from this narrow index instead of the
    # wide rows (about a quarter off a common fragment's search). SQLite's planner takes it
    # once ANALYZE has run, which the bot does at start and daily.
    "CREATE INDEX crm_contacts_fts_ranking ON crm_contacts (id, name_key, deleted_at) "
    "WHERE deleted_at IS NULL",
)

SQLITE_DOWNGRADE = (
    "DROP INDEX crm_contacts_fts_ranking",
    "DROP TRIGGER crm_contacts_fts_update",
    "DROP TRIGGER crm_contacts_fts_delete",
    "DROP TRIGGER crm_contacts_fts_insert",
    "DROP TABLE crm_contacts_fts",
)


def _list_indexes(name_column: str) -> None:
    for index, columns in LIST_INDEXES.items():
        op.drop_index(index, table_name='crm_contacts', sqlite_where=LIVE, postgresql_where=LIVE)
        op.create_index(
            index, 'crm_contacts', [c.format(name=name_column) for c in columns],
            unique=False, sqlite_where=LIVE, postgresql_where=LIVE,
        )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite and sqlite3.sqlite_version_info < (3, 34):
        raise RuntimeError(
            f"SQLite {sqlite3.sqlite_version} is too old: contact search needs 3.34 or newer "
            "(its FTS5 trigram tokenizer). Use a newer Python build, or PostgreSQL."
        )
    op.add_column(
        'crm_contacts', sa.Column('name_key', sa.Text(), server_default='', nullable=False)
    )
    # lower() in SQL does most names at once; Python's casefold, which the service uses, then
    # puts right the few it does differently (beyond ASCII: SQLite's lower() stops there).
    contacts = sa.table('crm_contacts', sa.column('id'), sa.column('name'), sa.column('name_key'))
    conn = op.get_bind()
    conn.execute(contacts.update().values(name_key=sa.func.lower(contacts.c.name)))
    rows = conn.execute(sa.select(contacts.c.id, contacts.c.name, contacts.c.name_key)).all()
    fixes = [{'key_id': i, 'key': name.casefold()} for i, name, key in rows
             if key != name.casefold()]
    if fixes:
        conn.execute(
            contacts.update().where(contacts.c.id == sa.bindparam('key_id')).values(
                name_key=sa.bindparam('key')
            ),
            fixes,
        )
    _list_indexes('name_key')
    if sqlite:
        for statement in SQLITE_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
    _list_indexes('name')
    op.drop_column('crm_contacts', 'name_key')
