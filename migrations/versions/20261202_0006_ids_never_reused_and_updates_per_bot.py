"""ids never reused (SQLite AUTOINCREMENT); processed updates keyed by bot and update id

Ids travel in buttons and in the replies to cards. Without AUTOINCREMENT, SQLite gives a new
row the highest rowid + 1, so erasing the newest contact hands its id to the next one, and
that contact's old card, Undo and Restore buttons then act on someone else. PostgreSQL's
sequences never go back; on SQLite every table with a surrogate ``id`` is rebuilt with
AUTOINCREMENT (the table's own SQL with that one change, the SQLite way: new table, copy, drop,
rename), keeping its indexes and triggers, among them the FTS5 search triggers and ranking
index that 0005 put on crm_contacts (the FTS5 table itself is not touched: the rowids it
indexes are copied unchanged). ``migrations/env.py`` turns SQLite's foreign keys off around
the migrations, as a rebuild needs: dropping the old copy would otherwise cascade-delete
every note, file and stage change.

Each bot numbers its own updates, so two bots (two tokens) on one database must not share one
"already handled" list: bot_processed_updates gets a ``bot_id`` in its primary key. The rows
there are a week's redelivery guard; those already present are given the bot id of
TELEGRAM_BOT_TOKEN (its number before the colon) when it is set, and are dropped otherwise.
For the same reason the bot's saved state (bot_state: forms, per-admin data) is kept per bot:
its keys now start with the bot id ("123456/1001"); the rows present are given that of
TELEGRAM_BOT_TOKEN (without it, whose they are can't be told: they are dropped, and a form
half-done at the deploy starts again).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:10:00
"""

import os
import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables whose ``id`` must never be handed out twice.
ID_TABLES = (
    'users', 'crm_contacts', 'crm_notes', 'crm_files', 'crm_stage_changes',
    'crm_email_configs', 'crm_digest_deliveries', 'crm_reminder_deliveries',
)


def _autoincrement(sql: str, table: str) -> str:
    """The table's CREATE TABLE as SQLAlchemy writes it with ``sqlite_autoincrement``."""
    sql, columns = re.subn(r'\(\s*id INTEGER NOT NULL,', '(\n\tid INTEGER NOT NULL PRIMARY KEY '
                           'AUTOINCREMENT,', sql, count=1)
    sql, constraints = re.subn(rf',\s*CONSTRAINT pk_{table} PRIMARY KEY \(id\)', '', sql)
    if (columns, constraints) != (1, 1):
        raise RuntimeError(f'unexpected schema of {table}: {sql}')
    return sql


def _plain(sql: str, table: str) -> str:
    """The reverse of ``_autoincrement``."""
    sql, columns = re.subn(r'id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,',
                           'id INTEGER NOT NULL,', sql, count=1)
    # (A column added later by ALTER TABLE ends the last line without a newline before ")".)
    sql, closing = re.subn(r'\s*\)\s*$', f', \n\tCONSTRAINT pk_{table} PRIMARY KEY (id)\n)', sql)
    if (columns, closing) != (1, 1):
        raise RuntimeError(f'unexpected schema of {table}: {sql}')
    return sql


def _rebuild_sqlite(table: str, rewrite: Callable[[str, str], str]) -> None:
    """Rebuild ``table`` from its own SQL as ``rewrite`` changes it, with its rows, indexes
    and triggers. Foreign keys must be off (env.py): the old table is dropped."""
    conn = op.get_bind()
    sql = conn.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {'t': table}
    ).scalar_one()
    extras = conn.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = :t "
        "AND sql IS NOT NULL ORDER BY type, name"
    ), {'t': table}).scalars().all()
    new_sql = rewrite(sql, table)
    temp = f'_rebuild_{table}'
    # (A renamed table's SQL names it in quotes.)
    create, found = re.subn(rf'^CREATE TABLE "?{table}"? \(', f'CREATE TABLE {temp} (', new_sql)
    if found != 1:
        raise RuntimeError(f'unexpected schema of {table}: {sql}')
    op.execute(create)
    op.execute(f'INSERT INTO {temp} SELECT * FROM {table}')  # noqa: S608 - our own names
    op.execute(f'DROP TABLE {table}')
    op.execute(f'ALTER TABLE {temp} RENAME TO {table}')
    for statement in extras:  # indexes, then triggers (the search index's among them)
        op.execute(statement)


def _updates_bot_id() -> int | None:
    number = (os.environ.get('TELEGRAM_BOT_TOKEN') or '').partition(':')[0]
    return int(number) if number.isdigit() else None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table in ID_TABLES:
            _rebuild_sqlite(table, _autoincrement)
    with op.batch_alter_table('bot_processed_updates') as batch_op:
        batch_op.add_column(sa.Column('bot_id', sa.BigInteger(), nullable=True))
    updates = sa.table('bot_processed_updates', sa.column('bot_id'))
    bot_id = _updates_bot_id()
    if bot_id is None:
        op.execute(updates.delete())
    else:
        op.execute(updates.update().values(bot_id=bot_id))
    with op.batch_alter_table('bot_processed_updates') as batch_op:
        batch_op.alter_column('bot_id', existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_constraint('pk_bot_processed_updates', type_='primary')
        batch_op.create_primary_key('pk_bot_processed_updates', ['bot_id', 'update_id'])
    state = sa.table('bot_state', sa.column('key', sa.String()))
    if bot_id is None:
        op.execute(state.delete())
    else:
        op.execute(state.update().values(key=sa.literal(f'{bot_id}/') + state.c.key))


def downgrade() -> None:
    # Two bots' rows may share an update id: keep the guard simple and start it afresh. Of
    # the saved state, only TELEGRAM_BOT_TOKEN's bot's (its keys unprefixed) can be kept.
    op.execute(sa.table('bot_processed_updates').delete())
    state = sa.table('bot_state', sa.column('key', sa.String()))
    bot_id = _updates_bot_id()
    prefix = f'{bot_id}/'
    mine = state.c.key.startswith(prefix) if bot_id is not None else sa.false()
    op.execute(state.delete().where(sa.not_(mine)))
    op.execute(state.update().values(key=sa.func.substr(state.c.key, len(prefix) + 1)))
    with op.batch_alter_table('bot_processed_updates') as batch_op:
        batch_op.drop_constraint('pk_bot_processed_updates', type_='primary')
        batch_op.drop_column('bot_id')
        batch_op.create_primary_key('pk_bot_processed_updates', ['update_id'])
    if op.get_bind().dialect.name == 'sqlite':
        for table in reversed(ID_TABLES):
            _rebuild_sqlite(table, _plain)
        op.execute(
            "DELETE FROM sqlite_sequence WHERE name IN "
            f"({', '.join(repr(t) for t in ID_TABLES)})"
        )
