"""contact-data changes confirmed by a one-time code; a durable inbox (issues 18, 22)

Reserved while the work that fills it is under way; until then it changes nothing.

Revision ID: 0016
Revises: 0015
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
