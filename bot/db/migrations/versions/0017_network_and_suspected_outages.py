"""the network behind the meters (transformers), suspected outages grouped from reports, outbound webhooks (issue 22)

Existing accounts get one transformer per feeder ("<feeder>-T1"), so grouping works on old data too; a seed
or the utility's GIS import spreads them over more.

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

from bot.db.models import UTCDateTime


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'transformers',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(30), nullable=False, unique=True),
        sa.Column('feeder_id', sa.Integer(), sa.ForeignKey('feeders.id'), nullable=False),
    )
    op.create_index('ix_transformers_feeder_id', 'transformers', ['feeder_id'])
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('transformer_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_accounts_transformer_id', 'transformers', ['transformer_id'], ['id'])
        batch.create_index('ix_accounts_transformer_id', ['transformer_id'])
    op.execute("INSERT INTO transformers (code, feeder_id) SELECT code || '-T1', id FROM feeders")
    op.execute("UPDATE accounts SET transformer_id = (SELECT t.id FROM transformers t WHERE t.feeder_id = accounts.feeder_id)")
    op.create_table(
        'suspected_outages',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('level', sa.String(20), nullable=False),
        sa.Column('transformer_id', sa.Integer(), sa.ForeignKey('transformers.id'), nullable=True),
        sa.Column('feeder_id', sa.Integer(), sa.ForeignKey('feeders.id'), nullable=False),
        sa.Column('zone_id', sa.Integer(), sa.ForeignKey('zones.id'), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('reports', sa.Integer(), nullable=False),
        sa.Column('opened_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_report_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('merged_outage_id', sa.Integer(), sa.ForeignKey('outages.id'), nullable=True),
        sa.Column('merged_at', UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_suspected_outages_status', 'suspected_outages', ['status', 'zone_id'])
    with op.batch_alter_table('outage_reports') as batch:
        batch.add_column(sa.Column('suspected_outage_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_outage_reports_suspected_outage_id', 'suspected_outages',
                                 ['suspected_outage_id'], ['id'])
        batch.create_index('ix_outage_reports_suspected_outage_id', ['suspected_outage_id'])
        batch.create_index('ix_outage_reports_kind_created_at', ['kind', 'created_at'])
    op.create_table(
        'webhook_subscribers',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(80), nullable=False, unique=True),
        sa.Column('url', sa.String(400), nullable=False),
        sa.Column('secret', sa.String(100), nullable=False),
        sa.Column('events', sa.String(400), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('subscriber_id', sa.Integer(), sa.ForeignKey('webhook_subscribers.id'), nullable=False),
        sa.Column('event', sa.String(60), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(300), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('replay_of', sa.Integer(), nullable=True),
    )
    op.create_index('ix_webhook_deliveries_subscriber_id', 'webhook_deliveries', ['subscriber_id'])
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['status', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_subscribers')
    with op.batch_alter_table('outage_reports') as batch:
        batch.drop_index('ix_outage_reports_kind_created_at')
        batch.drop_index('ix_outage_reports_suspected_outage_id')
        batch.drop_constraint('fk_outage_reports_suspected_outage_id', type_='foreignkey')
        batch.drop_column('suspected_outage_id')
    op.drop_table('suspected_outages')
    with op.batch_alter_table('accounts') as batch:
        batch.drop_index('ix_accounts_transformer_id')
        batch.drop_constraint('fk_accounts_transformer_id', type_='foreignkey')
        batch.drop_column('transformer_id')
    op.drop_index('ix_transformers_feeder_id', table_name='transformers')
    op.drop_table('transformers')
