"""a payment reference is applied once per account: a unique index on applied payments

Two posts of one payment with different idempotency keys could both pass the API's check and apply it
twice; the index makes the second fail (the API answers 409). Rows already applied twice (none are expected)
keep their first application; the later ones are marked rejected before the index is created.

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

APPLIED = sa.text("status = 'applied'")
payments = sa.table('payments', sa.column('id', sa.Integer), sa.column('account_id', sa.Integer),
                    sa.column('reference', sa.String), sa.column('status', sa.String))


def upgrade() -> None:
    first = (sa.select(sa.func.min(payments.c.id))
             .where(payments.c.status == 'applied', payments.c.reference.is_not(None))
             .group_by(payments.c.account_id, payments.c.reference).scalar_subquery())
    later = sa.select(payments.c.id).where(payments.c.status == 'applied', payments.c.reference.is_not(None),
                                           payments.c.id.not_in(first))
    op.execute(sa.update(payments).where(payments.c.id.in_(later.scalar_subquery())).values(status='rejected'))
    op.create_index('uq_payments_applied_reference', 'payments', ['account_id', 'reference'], unique=True,
                    postgresql_where=APPLIED, sqlite_where=APPLIED)


def downgrade() -> None:
    op.drop_index('uq_payments_applied_reference', table_name='payments')
