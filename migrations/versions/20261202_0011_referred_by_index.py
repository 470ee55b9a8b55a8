"""referrals: an index on crm_contacts.referred_by_id (a partner's card counts its referrals)

Partial (referred_by_id IS NOT NULL): most contacts have none, and a full index of NULLs looks
useless to SQLite's planner after ANALYZE. A plain CREATE INDEX on both databases: no batch
rebuild of crm_contacts on SQLite, so migration 0005's FTS triggers stay.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    referred = sa.text('referred_by_id IS NOT NULL')
    op.create_index('ix_crm_contacts_referred_by_id', 'crm_contacts', ['referred_by_id'], unique=False, sqlite_where=referred, postgresql_where=referred)


def downgrade() -> None:
    referred = sa.text('referred_by_id IS NOT NULL')
    op.drop_index('ix_crm_contacts_referred_by_id', table_name='crm_contacts', sqlite_where=referred, postgresql_where=referred)
