"""wrong answers to the second factor, to stop guessing it

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

from bot.db.models import UTCDateTime


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'second_factor_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('sender', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_second_factor_failures_account_at', 'second_factor_failures', ['account_id', 'at'])
    op.create_index('ix_second_factor_failures_sender_at', 'second_factor_failures', ['sender', 'at'])


def downgrade() -> None:
    op.drop_index('ix_second_factor_failures_sender_at', table_name='second_factor_failures')
    op.drop_index('ix_second_factor_failures_account_at', table_name='second_factor_failures')
    op.drop_table('second_factor_failures')
