"""the phone line: calls and their turns (issue 21)

``voice_calls``: one row per call with Luz, incoming or placed for a notification (silences, unclear speech,
how it ended); ``voice_turns``: each request Twilio makes during a call, processed once, with the TwiML it got
so a retry of the same turn gets the same answer.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

import bot.db.models


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('voice_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=80), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('silences', sa.Integer(), nullable=False),
    sa.Column('unclear', sa.Integer(), nullable=False),
    sa.Column('last_said', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('transferred_to', sa.String(length=40), nullable=True),
    sa.Column('started_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', bot.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_sid')
    )
    op.create_index('ix_voice_calls_conversation_id', 'voice_calls', ['conversation_id'], unique=False)
    op.create_index('ix_voice_calls_phone', 'voice_calls', ['phone'], unique=False)
    op.create_table('voice_turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('turn', sa.Integer(), nullable=False),
    sa.Column('heard', sa.Text(), nullable=True),
    sa.Column('twiml', sa.Text(), nullable=True),
    sa.Column('created_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_sid', 'turn')
    )


def downgrade() -> None:
    op.drop_table('voice_turns')
    op.drop_index('ix_voice_calls_phone', table_name='voice_calls')
    op.drop_index('ix_voice_calls_conversation_id', table_name='voice_calls')
    op.drop_table('voice_calls')
