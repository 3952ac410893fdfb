"""the agent desk: presence, assignment, labels, conversation status (issue 20)

Reserved while the work that fills it is under way; until then it changes nothing.

Revision ID: 0013
Revises: 0012
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
