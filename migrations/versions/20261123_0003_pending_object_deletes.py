"""pending object deletes; the Telegram media kind of a stored file

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 23:08:37.062794
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crm_pending_object_deletes',
    sa.Column('storage_key', sa.String(length=512), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('storage_key', name=op.f('pk_crm_pending_object_deletes'))
    )
    with op.batch_alter_table('crm_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('telegram_kind', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('crm_files', schema=None) as batch_op:
        batch_op.drop_column('telegram_kind')
    op.drop_table('crm_pending_object_deletes')
