"""second-factor failures counted by the account number given, known or not (no enumeration of accounts)

An unknown account number is now answered like a wrong digit and counted the same way: the failure keeps
the number given (`account_number`) and the account only when there is one (`account_id` may be null).
Existing rows get their account's number.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

failures = sa.table('second_factor_failures', sa.column('account_id', sa.Integer),
                    sa.column('account_number', sa.String))
accounts = sa.table('accounts', sa.column('id', sa.Integer), sa.column('account_number', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('second_factor_failures') as batch:
        batch.add_column(sa.Column('account_number', sa.String(length=20), nullable=True))
        batch.alter_column('account_id', existing_type=sa.Integer(), nullable=True)
    op.execute(failures.update().values(account_number=sa.select(accounts.c.account_number)
                                        .where(accounts.c.id == failures.c.account_id).scalar_subquery()))
    op.create_index('ix_second_factor_failures_number_at', 'second_factor_failures', ['account_number', 'at'])


def downgrade() -> None:
    op.drop_index('ix_second_factor_failures_number_at', table_name='second_factor_failures')
    op.execute(failures.delete().where(failures.c.account_id.is_(None)))
    with op.batch_alter_table('second_factor_failures') as batch:
        batch.alter_column('account_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('account_number')
