"""the website widget's visitor sessions and the messages it shows them (issue 21)

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa
import bot.db.models


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_visitors',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=True),
    sa.Column('created_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('web_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visitor_id', sa.String(length=40), nullable=False),
    sa.Column('author', sa.String(length=20), nullable=False),
    sa.Column('author_name', sa.String(length=80), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('media_url', sa.String(length=500), nullable=True),
    sa.Column('buttons', sa.JSON(), nullable=True),
    sa.Column('created_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['visitor_id'], ['web_visitors.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('web_messages', schema=None) as batch_op:
        batch_op.create_index('ix_web_messages_visitor_id', ['visitor_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_web_messages_visitor_id')
    op.drop_table('web_messages')
    op.drop_table('web_visitors')
