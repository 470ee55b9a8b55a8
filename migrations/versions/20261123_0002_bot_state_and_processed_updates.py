"""bot state and processed updates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 23:03:17.949366
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bot_processed_updates',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_bot_processed_updates'))
    )
    with op.batch_alter_table('bot_processed_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bot_processed_updates_received_at'), ['received_at'], unique=False)

    op.create_table('bot_state',
    sa.Column('namespace', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('namespace', 'key', name=op.f('pk_bot_state'))
    )


def downgrade() -> None:
    op.drop_table('bot_state')
    with op.batch_alter_table('bot_processed_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bot_processed_updates_received_at'))

    op.drop_table('bot_processed_updates')
