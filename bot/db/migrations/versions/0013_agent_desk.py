"""the agent desk: presence, assignment, labels, conversation status (issue 20)

Agents get a presence (offline until they choose to be available), the round robin's turn and an
optional cap; handoffs get the desk status (open, pending, snoozed until a time, resolved), when they
were given to their current agent and since when the customer waits for an answer; labels, seeded
with the utility's common ones. Existing rows: finished handoffs are resolved, open ones open; one
already taken is assigned since it was taken, and waits for an answer if nobody answered yet.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

import bot.db.models


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

SEEDED = (("facturación", "#2a4a9a"), ("corte", "#8a4b00"), ("peligro", "#b3261e"), ("reclamo", "#6b3fa0"),
          ("prosumidor", "#0b6e4f"))


def upgrade() -> None:
    moment = bot.db.models.UTCDateTime(timezone=True)
    with op.batch_alter_table('agents') as batch:
        batch.add_column(sa.Column('presence', sa.String(length=10), nullable=False, server_default='offline'))
        batch.add_column(sa.Column('presence_at', moment, nullable=True))
        batch.add_column(sa.Column('last_active_at', moment, nullable=True))
        batch.add_column(sa.Column('last_assigned_at', moment, nullable=True))
        batch.add_column(sa.Column('max_open', sa.Integer(), nullable=True))
    with op.batch_alter_table('handoffs') as batch:
        batch.add_column(sa.Column('desk_status', sa.String(length=10), nullable=False, server_default='open'))
        batch.add_column(sa.Column('snoozed_until', moment, nullable=True))
        batch.add_column(sa.Column('assigned_at', moment, nullable=True))
        batch.add_column(sa.Column('awaiting_since', moment, nullable=True))
        batch.add_column(sa.Column('previous_agent_id', sa.Integer(), nullable=True))
    op.execute("UPDATE handoffs SET desk_status = 'resolved' WHERE status IN ('closed', 'left', 'diverted')")
    op.execute("UPDATE handoffs SET assigned_at = taken_at WHERE status = 'assigned'")
    op.execute("UPDATE handoffs SET awaiting_since = taken_at WHERE status = 'assigned' AND first_response_at IS NULL")
    labels = op.create_table(
        'labels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('color', sa.String(length=9), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'handoff_labels',
        sa.Column('handoff_id', sa.Integer(), nullable=False),
        sa.Column('label_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id']),
        sa.ForeignKeyConstraint(['label_id'], ['labels.id']),
        sa.PrimaryKeyConstraint('handoff_id', 'label_id'),
    )
    with op.batch_alter_table('handoff_labels') as batch:
        batch.create_index(batch.f('ix_handoff_labels_label_id'), ['label_id'], unique=False)
    op.bulk_insert(labels, [{"name": name, "color": color} for name, color in SEEDED])


def downgrade() -> None:
    with op.batch_alter_table('handoff_labels') as batch:
        batch.drop_index(batch.f('ix_handoff_labels_label_id'))
    op.drop_table('handoff_labels')
    op.drop_table('labels')
    with op.batch_alter_table('handoffs') as batch:
        for column in ('previous_agent_id', 'awaiting_since', 'assigned_at', 'snoozed_until', 'desk_status'):
            batch.drop_column(column)
    with op.batch_alter_table('agents') as batch:
        for column in ('max_open', 'last_assigned_at', 'last_active_at', 'presence_at', 'presence'):
            batch.drop_column(column)
