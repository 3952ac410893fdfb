"""event latency as bigint (a complaint's resolution time in ms exceeds 32 bits)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('interaction_events', schema=None) as batch_op:
        batch_op.alter_column('latency_ms', existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('interaction_events', schema=None) as batch_op:
        batch_op.alter_column('latency_ms', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True)
