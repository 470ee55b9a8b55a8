"""lost reasons: the optional one-line reason asked after a move to a lost stage

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 08:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crm_lost_reasons',
    sa.Column('stage_change_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['stage_change_id'], ['crm_stage_changes.id'], name=op.f('fk_crm_lost_reasons_stage_change_id_crm_stage_changes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('stage_change_id', name=op.f('pk_crm_lost_reasons'))
    )


def downgrade() -> None:
    op.drop_table('crm_lost_reasons')
