"""email history: emails, cursors, addresses seen; mailbox sync state

crm_emails holds only mail that matches a contact (one row per contact and message);
crm_email_cursors the (UIDVALIDITY, last UID) of each watched folder; crm_email_addresses_seen the
contact addresses a mailbox has covered (a new one is backfilled by a server-side SEARCH). The
mailbox row gains STARTTLS, Pause, the login-refused flag and the network back-off.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:06:17.934147
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crm_email_addresses_seen',
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['crm_email_configs.id'], name=op.f('fk_crm_email_addresses_seen_config_id_crm_email_configs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('config_id', 'address', name=op.f('pk_crm_email_addresses_seen'))
    )
    op.create_table('crm_email_cursors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('folder', sa.String(length=255), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['crm_email_configs.id'], name=op.f('fk_crm_email_cursors_config_id_crm_email_configs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_email_cursors')),
    sa.UniqueConstraint('config_id', 'folder', name=op.f('uq_crm_email_cursors_config_id')),
    sqlite_autoincrement=True,  # every surrogate id is never handed out twice (0006)
    )
    op.create_table('crm_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('message_key', sa.String(length=255), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_addr', sa.String(length=320), nullable=False),
    sa.Column('to_addrs', sa.Text(), server_default='', nullable=False),
    sa.Column('cc_addrs', sa.Text(), server_default='', nullable=False),
    sa.Column('subject', sa.Text(), server_default='', nullable=False),
    sa.Column('snippet', sa.Text(), server_default='', nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('folder', sa.String(length=255), nullable=False),
    sa.Column('uid', sa.BigInteger(), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("direction IN ('in', 'out')", name=op.f('ck_crm_emails_direction')),
    sa.ForeignKeyConstraint(['contact_id'], ['crm_contacts.id'], name=op.f('fk_crm_emails_contact_id_crm_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crm_emails_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_emails')),
    sa.UniqueConstraint('contact_id', 'message_key', name=op.f('uq_crm_emails_contact_id')),
    sqlite_autoincrement=True,  # email ids travel in buttons: never hand one out twice
    )
    with op.batch_alter_table('crm_emails', schema=None) as batch_op:
        batch_op.create_index('ix_crm_emails_contact_sent', ['contact_id', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_emails_user_id'), ['user_id'], unique=False)

    # A plain CREATE INDEX (no batch): rebuilding crm_contacts on SQLite would drop 0005's
    # search triggers.
    op.create_index('ix_crm_contacts_updated_at', 'crm_contacts', ['updated_at'], unique=False)
    # SQLite may rebuild the table for these: keep 0006's AUTOINCREMENT through it.
    with op.batch_alter_table(
        'crm_email_configs', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.add_column(sa.Column('starttls', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('auth_failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('folders', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('addresses_checked_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    # SQLite rebuilds the table to drop columns: keep 0006's AUTOINCREMENT through it.
    with op.batch_alter_table(
        'crm_email_configs', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_column('addresses_checked_at')
        batch_op.drop_column('folders')
        batch_op.drop_column('last_error')
        batch_op.drop_column('retry_at')
        batch_op.drop_column('failures')
        batch_op.drop_column('auth_failed_at')
        batch_op.drop_column('paused')
        batch_op.drop_column('starttls')

    with op.batch_alter_table('crm_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_emails_user_id'))
        batch_op.drop_index('ix_crm_emails_contact_sent')

    op.drop_table('crm_emails')
    op.drop_index('ix_crm_contacts_updated_at', table_name='crm_contacts')
    op.drop_table('crm_email_cursors')
    op.drop_table('crm_email_addresses_seen')
