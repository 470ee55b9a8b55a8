"""board: an index of live contacts by type, stage and list order (the board's cards and totals)

A plain CREATE INDEX on both databases: no batch rebuild of crm_contacts on SQLite, so
migration 0005's FTS triggers stay.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    live = sa.text('deleted_at IS NULL')
    op.create_index('ix_crm_contacts_live_stage_followup', 'crm_contacts', ['contact_type', 'current_stage', 'next_followup_date', 'name_key', 'id', 'owner_id', 'potential_value', 'deleted_at'], unique=False, sqlite_where=live, postgresql_where=live)


def downgrade() -> None:
    live = sa.text('deleted_at IS NULL')
    op.drop_index('ix_crm_contacts_live_stage_followup', table_name='crm_contacts', sqlite_where=live, postgresql_where=live)
