"""contact-data changes confirmed by a one-time code sent to a channel already on the account; a durable inbox

Contact changes (issue 18): ``contact_change_codes``. The inbox (issues 18 and 22): an inbound message keeps its
verified payload and a lease until it is answered, so a turn lost with its process is run again; the messages
already there were answered (``done_at`` = their arrival).

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

from bot.db.models import UTCDateTime


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

PENDING = sa.text('done_at IS NULL')


def upgrade() -> None:
    op.create_table(
        'contact_change_codes',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=False),
        sa.Column('conversation_id', sa.String(80), nullable=False),
        sa.Column('new_value', sa.String(160), nullable=False),
        sa.Column('code_hash', sa.String(100), nullable=False),
        sa.Column('sent_to', sa.String(80), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('closed_at', UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_contact_change_codes_conversation', 'contact_change_codes', ['conversation_id', 'account_id'])
    with op.batch_alter_table('inbound_messages') as batch:
        batch.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('claimed_until', UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('claimed_by', sa.String(80), nullable=True))
        batch.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('done_at', UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('outcome', sa.String(20), nullable=True))
    op.execute("UPDATE inbound_messages SET done_at = received_at, outcome = 'answered'")
    op.create_index('ix_inbound_messages_pending', 'inbound_messages', ['channel', 'claimed_until'],
                    postgresql_where=PENDING, sqlite_where=PENDING)


def downgrade() -> None:
    op.drop_index('ix_inbound_messages_pending', table_name='inbound_messages')
    with op.batch_alter_table('inbound_messages') as batch:
        for column in ('outcome', 'done_at', 'attempts', 'claimed_by', 'claimed_until', 'payload'):
            batch.drop_column(column)
    op.drop_index('ix_contact_change_codes_conversation', table_name='contact_change_codes')
    op.drop_table('contact_change_codes')
