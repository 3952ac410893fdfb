"""notice batches: an outage's notices to everyone it affects, queued in bulk after the OMS's request (issue 22)

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

from bot.db.models import UTCDateTime


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notice_batches',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('outage_id', sa.Integer(), sa.ForeignKey('outages.id'), nullable=False),
        sa.Column('kind', sa.String(40), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('queued_at', UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_notice_batches_outage_id', 'notice_batches', ['outage_id'])
    op.create_index('ix_notifications_outage_kind_status', 'notifications', ['outage_id', 'kind', 'status'])


def downgrade() -> None:
    op.drop_index('ix_notifications_outage_kind_status', table_name='notifications')
    op.drop_index('ix_notice_batches_outage_id', table_name='notice_batches')
    op.drop_table('notice_batches')
