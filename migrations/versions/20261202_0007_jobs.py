"""jobs: crm_jobs, the paid work of a contact (revenue and referral credit are derived from it)

Nothing is backfilled: contacts' typed total_revenue and total_jobs_referred are kept as they
are until their first job.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crm_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='booked', nullable=False),
    sa.Column('scheduled_date', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invoiced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('booked', 'in_progress', 'completed', 'invoiced', 'paid', 'cancelled')", name=op.f('ck_crm_jobs_status')),
    sa.CheckConstraint('value >= 0', name=op.f('ck_crm_jobs_value_non_negative')),
    sa.ForeignKeyConstraint(['contact_id'], ['crm_contacts.id'], name=op.f('fk_crm_jobs_contact_id_crm_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_crm_jobs_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_jobs')),
    sqlite_autoincrement=True,  # job ids travel in buttons: never hand one out twice
    )
    op.create_index('ix_crm_jobs_contact_status', 'crm_jobs', ['contact_id', 'status', 'value'], unique=False)
    op.create_index('ix_crm_jobs_paid_at', 'crm_jobs', ['paid_at', 'contact_id', 'value'], unique=False)
    live = sa.text('deleted_at IS NULL')
    op.create_index('ix_crm_contacts_live_forecast', 'crm_contacts', ['contact_type', 'status', 'current_stage', 'potential_value', 'stage_changed_at', 'created_at', 'deleted_at'], unique=False, sqlite_where=live, postgresql_where=live)


def downgrade() -> None:
    op.drop_index('ix_crm_contacts_live_forecast', table_name='crm_contacts', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
    op.drop_index('ix_crm_jobs_paid_at', table_name='crm_jobs')
    op.drop_index('ix_crm_jobs_contact_status', table_name='crm_jobs')
    op.drop_table('crm_jobs')
