"""when an outage's estimated restoration passed with the power still out: the OMS owes an update

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

from bot.db.models import UTCDateTime


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outages') as batch:
        batch.add_column(sa.Column('estimate_expired_at', UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outages') as batch:
        batch.drop_column('estimate_expired_at')
