"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 23:00:34.790564
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Trigram index for substring search (Heroku Postgres allows this extension).
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('digest_time', sa.Time(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('telegram_user_id', name=op.f('uq_users_telegram_user_id'))
    )
    op.create_table('crm_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('company', sa.String(length=200), nullable=True),
    sa.Column('contact_type', sa.String(length=32), nullable=False),
    sa.Column('how_found_us', sa.String(length=200), nullable=True),
    sa.Column('property_address', sa.String(length=500), nullable=True),
    sa.Column('service_type', sa.String(length=200), nullable=True),
    sa.Column('urgency_level', sa.String(length=16), server_default='normal', nullable=False),
    sa.Column('current_stage', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='active', nullable=False),
    sa.Column('next_followup_date', sa.Date(), nullable=True),
    sa.Column('potential_value', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('total_revenue', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False),
    sa.Column('total_jobs_referred', sa.Integer(), server_default='0', nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('referred_by_id', sa.Integer(), nullable=True),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('stage_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("contact_type IN ('eviction_client', 'prevention_prospect', 'referral_partner')", name=op.f('ck_crm_contacts_contact_type')),
    sa.CheckConstraint("status IN ('active', 'won', 'lost', 'dormant')", name=op.f('ck_crm_contacts_status')),
    sa.CheckConstraint("urgency_level IN ('low', 'normal', 'high', 'urgent')", name=op.f('ck_crm_contacts_urgency_level')),
    sa.CheckConstraint('potential_value >= 0', name=op.f('ck_crm_contacts_potential_value_non_negative')),
    sa.CheckConstraint('total_jobs_referred >= 0', name=op.f('ck_crm_contacts_total_jobs_referred_non_negative')),
    sa.CheckConstraint('total_revenue >= 0', name=op.f('ck_crm_contacts_total_revenue_non_negative')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_crm_contacts_owner_id_users')),
    sa.ForeignKeyConstraint(['referred_by_id'], ['crm_contacts.id'], name=op.f('fk_crm_contacts_referred_by_id_crm_contacts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_contacts'))
    )
    with op.batch_alter_table('crm_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_contacts_contact_type'), ['contact_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_contacts_email'), ['email'], unique=False)
        batch_op.create_index('ix_crm_contacts_live_dates', ['next_followup_date', 'owner_id', 'deleted_at'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_crm_contacts_live_filters', ['status', 'contact_type', 'current_stage', 'owner_id', 'deleted_at'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_crm_contacts_live_followup', ['next_followup_date', 'name', 'id', 'owner_id', 'contact_type', 'status', 'deleted_at'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_crm_contacts_live_value', ['status', 'owner_id', 'potential_value', 'deleted_at'], unique=False, sqlite_where=sa.text('deleted_at IS NULL AND potential_value IS NOT NULL'), postgresql_where=sa.text('deleted_at IS NULL AND potential_value IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_crm_contacts_next_followup_date'), ['next_followup_date'], unique=False)
        batch_op.create_index('ix_crm_contacts_owner_followup', ['owner_id', 'next_followup_date', 'name', 'id', 'contact_type', 'status', 'current_stage', 'potential_value', 'deleted_at'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_crm_contacts_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_contacts_phone'), ['phone'], unique=False)
        batch_op.create_index('ix_crm_contacts_search_text', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
        batch_op.create_index(batch_op.f('ix_crm_contacts_status'), ['status'], unique=False)

    op.create_table('crm_email_configs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('imap_host', sa.String(length=255), server_default='nebula.galaxywebsolutions.com', nullable=False),
    sa.Column('imap_port', sa.Integer(), server_default='993', nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('password_encrypted', sa.Text(), nullable=False),
    sa.Column('use_ssl', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('imap_port > 0 AND imap_port < 65536', name=op.f('ck_crm_email_configs_port_range')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crm_email_configs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_email_configs')),
    sa.UniqueConstraint('user_id', name=op.f('uq_crm_email_configs_user_id'))
    )
    op.create_table('crm_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_type', sa.String(length=127), nullable=False),
    sa.Column('file_size', sa.BigInteger(), nullable=False),
    sa.Column('storage_key', sa.String(length=512), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('caption', sa.Text(), nullable=True),
    sa.Column('telegram_file_id', sa.String(length=255), nullable=True),
    sa.Column('telegram_file_unique_id', sa.String(length=64), nullable=True),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('quote', 'contract', 'photo', 'document')", name=op.f('ck_crm_files_category')),
    sa.CheckConstraint('file_size >= 0', name=op.f('ck_crm_files_file_size_non_negative')),
    sa.ForeignKeyConstraint(['contact_id'], ['crm_contacts.id'], name=op.f('fk_crm_files_contact_id_crm_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_crm_files_uploaded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_files')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_crm_files_storage_key'))
    )
    with op.batch_alter_table('crm_files', schema=None) as batch_op:
        batch_op.create_index('ix_crm_files_contact_unique', ['contact_id', 'telegram_file_unique_id'], unique=False)

    op.create_table('crm_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('note_type', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("note_type IN ('call', 'email', 'meeting', 'internal', 'quote_sent')", name=op.f('ck_crm_notes_note_type')),
    sa.ForeignKeyConstraint(['contact_id'], ['crm_contacts.id'], name=op.f('fk_crm_notes_contact_id_crm_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_crm_notes_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_notes'))
    )
    with op.batch_alter_table('crm_notes', schema=None) as batch_op:
        batch_op.create_index('ix_crm_notes_contact_created', ['contact_id', 'created_at'], unique=False)

    op.create_table('crm_stage_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=64), nullable=True),
    sa.Column('to_stage', sa.String(length=64), nullable=False),
    sa.Column('changed_by', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['users.id'], name=op.f('fk_crm_stage_changes_changed_by_users')),
    sa.ForeignKeyConstraint(['contact_id'], ['crm_contacts.id'], name=op.f('fk_crm_stage_changes_contact_id_crm_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_stage_changes'))
    )
    with op.batch_alter_table('crm_stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_crm_stage_changes_contact_changed', ['contact_id', 'changed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('crm_stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_stage_changes_contact_changed')

    op.drop_table('crm_stage_changes')
    with op.batch_alter_table('crm_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_notes_contact_created')

    op.drop_table('crm_notes')
    with op.batch_alter_table('crm_files', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_files_contact_unique')

    op.drop_table('crm_files')
    op.drop_table('crm_email_configs')
    with op.batch_alter_table('crm_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_contacts_status'))
        batch_op.drop_index('ix_crm_contacts_search_text', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
        batch_op.drop_index(batch_op.f('ix_crm_contacts_phone'))
        batch_op.drop_index(batch_op.f('ix_crm_contacts_owner_id'))
        batch_op.drop_index('ix_crm_contacts_owner_followup', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_crm_contacts_next_followup_date'))
        batch_op.drop_index('ix_crm_contacts_live_value', sqlite_where=sa.text('deleted_at IS NULL AND potential_value IS NOT NULL'), postgresql_where=sa.text('deleted_at IS NULL AND potential_value IS NOT NULL'))
        batch_op.drop_index('ix_crm_contacts_live_followup', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_crm_contacts_live_filters', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_crm_contacts_live_dates', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_crm_contacts_email'))
        batch_op.drop_index(batch_op.f('ix_crm_contacts_contact_type'))

    op.drop_table('crm_contacts')
    op.drop_table('users')
