"""satisfaction scores answered on WhatsApp and SMS before the scale fix, turned right side up

Until this release the 5-to-1 survey was listed by place on channels without buttons ("1. Excelente …
5. Muy mala") and a typed "5" was taken for the fifth option: stored 1. Answers on those channels are
inverted (6 - score) in `surveys` and in the `survey_answered` events the KPIs read, on the presumption
that they were typed as numbers (what the message asked for). A word ("excelente", "5 estrellas") was
stored right and cannot be told from a number in the data: see docs/kpis.md. A 3 is right either way.

Corrected surveys are flagged (`score_corrected`), corrected events carry EVENT_MARK in `text`, so the
downgrade puts back exactly what it changed. The demo history (conversations "demo-…") is not touched.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

NUMBERED = ('sms', 'whatsapp')
INVERTED = (1, 2, 4, 5)
EVENT_MARK = 'score inverted by migration 0009'

surveys = sa.table('surveys', sa.column('id', sa.Integer), sa.column('channel', sa.String),
                   sa.column('score', sa.Integer), sa.column('answered_at', sa.DateTime),
                   sa.column('score_corrected', sa.Boolean))
events = sa.table('interaction_events', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                  sa.column('channel', sa.String), sa.column('conversation_id', sa.String),
                  sa.column('value', sa.Integer), sa.column('text', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('surveys') as batch:
        batch.add_column(sa.Column('score_corrected', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(surveys.update()
               .where(surveys.c.channel.in_(NUMBERED), surveys.c.answered_at.is_not(None),
                      surveys.c.score.in_(INVERTED))
               .values(score=6 - surveys.c.score, score_corrected=sa.true()))
    op.execute(events.update()
               .where(events.c.kind == 'survey_answered', events.c.channel.in_(NUMBERED),
                      events.c.value.in_(INVERTED), events.c.text.is_(None),
                      sa.or_(events.c.conversation_id.is_(None), events.c.conversation_id.not_like('demo-%')))
               .values(value=6 - events.c.value, text=EVENT_MARK))


def downgrade() -> None:
    op.execute(events.update()
               .where(events.c.kind == 'survey_answered', events.c.text == EVENT_MARK)
               .values(value=6 - events.c.value, text=None))
    op.execute(surveys.update()
               .where(surveys.c.score_corrected == sa.true())
               .values(score=6 - surveys.c.score))
    with op.batch_alter_table('surveys') as batch:
        batch.drop_column('score_corrected')
