"""digests: ledgers of daily digests and timed reminders; digest settings; follow-up times

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 23:14:59.995370
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crm_digest_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('late', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='1', nullable=False),
    sa.Column('items', sa.Integer(), server_default='0', nullable=False),
    sa.Column('parts_sent', sa.Integer(), server_default='0', nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('sending', 'sent', 'skipped', 'failed', 'blocked', 'unreachable')", name=op.f('ck_crm_digest_deliveries_status')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crm_digest_deliveries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_digest_deliveries')),
    sa.UniqueConstraint('user_id', 'local_date', name=op.f('uq_crm_digest_deliveries_user_id'))
    )
    op.create_table('crm_reminder_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('due_time', sa.Time(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('late', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='1', nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('sending', 'sent', 'skipped', 'failed', 'blocked', 'unreachable')", name=op.f('ck_crm_reminder_deliveries_status')),
    sa.ForeignKeyConstraint(['contact_id'], ['crm_contacts.id'], name=op.f('fk_crm_reminder_deliveries_contact_id_crm_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crm_reminder_deliveries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_reminder_deliveries')),
    sa.UniqueConstraint('contact_id', 'due_date', 'due_time', name=op.f('uq_crm_reminder_deliveries_contact_id'))
    )
    # Plain ADD COLUMNs: constant server defaults ('1', not sa.true()) keep Alembic's batch
    # mode from copying `users` on SQLite, which would mean DROP TABLE users under foreign keys.
    with op.batch_alter_table('crm_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_followup_time', sa.Time(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_days', sa.Integer(), server_default='127', nullable=False))
        batch_op.add_column(sa.Column('digest_empty', sa.Boolean(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('bot_blocked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Not batch mode: it would rebuild `users` and `crm_contacts` on SQLite (DROP TABLE under
    # foreign keys: refused, or cascading into notes). SQLite 3.35+ drops a column in place.
    for column in ('bot_blocked_at', 'digest_empty', 'digest_days'):
        op.drop_column('users', column)
    op.drop_column('crm_contacts', 'next_followup_time')
    op.drop_table('crm_reminder_deliveries')
    op.drop_table('crm_digest_deliveries')
