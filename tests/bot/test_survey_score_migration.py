"""Migration 0009 on SQLite: survey scores stored upside down on WhatsApp and SMS are turned right side up
(surveys and the events the KPIs read), nothing else moves, and the downgrade puts back exactly what it changed."""
from __future__ import annotations

from alembic import command
from sqlalchemy import text

from bot.db.engine import create_engine
from bot.db.migrate import alembic_config, upgrade

ASKED = "2026-10-01 15:00:00.000000"
SURVEYS = [  # id, channel, score, answered
    (1, "sms", 5, True), (2, "whatsapp", 1, True), (3, "whatsapp", 4, True), (4, "sms", 2, True),
    (5, "sms", 3, True), (6, "telegram", 5, True), (7, "whatsapp", None, False), (8, "telegram", 1, True),
]
EVENTS = [  # id, kind, channel, conversation, value, text
    (1, "survey_answered", "sms", "+573001112201", 5, None),
    (2, "survey_answered", "whatsapp", "+573001112202", 1, None),
    (3, "survey_answered", "whatsapp", "+573001112205", 3, None),
    (4, "survey_answered", "telegram", "tg:99", 5, None),
    (5, "survey_answered", "whatsapp", "demo-1003-7", 5, None),  # the demo history: meant as written
    (6, "ticket_resolved", "sms", "+573001112201", 1, None),
]


def rows(engine, query: str):
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def test_scores_answered_on_numbered_channels_are_inverted_and_flagged_and_the_downgrade_restores_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    upgrade(url, "0008")
    engine = create_engine(url)
    with engine.begin() as connection:
        for id_, channel, score, answered in SURVEYS:
            connection.execute(text(
                "INSERT INTO surveys (id, conversation_id, channel, subject, score, asked_at, answered_at) "
                "VALUES (:id, :conversation, :channel, 'handoff', :score, :asked, :answered)"),
                {"id": id_, "conversation": f"+5730011122{id_:02d}", "channel": channel, "score": score,
                 "asked": ASKED, "answered": ASKED if answered else None})
        for id_, kind, channel, conversation, value, note in EVENTS:
            connection.execute(text(
                "INSERT INTO interaction_events (id, at, kind, channel, conversation_id, value, text, category) "
                "VALUES (:id, :at, :kind, :channel, :conversation, :value, :text, 'handoff')"),
                {"id": id_, "at": ASKED, "kind": kind, "channel": channel, "conversation": conversation,
                 "value": value, "text": note})

    upgrade(url, "0009")
    assert rows(engine, "SELECT id, score, score_corrected FROM surveys ORDER BY id") == [
        (1, 1, 1), (2, 5, 1), (3, 2, 1), (4, 4, 1),  # WhatsApp and SMS: 6 - score
        (5, 3, 0),  # a 3 is a 3 either way
        (6, 5, 0), (7, None, 0), (8, 1, 0),  # Telegram (buttons) and an unanswered survey: untouched
    ]
    assert rows(engine, "SELECT id, value FROM interaction_events ORDER BY id") == [
        (1, 1), (2, 5), (3, 3), (4, 5), (5, 5), (6, 1)]
    assert rows(engine, "SELECT id FROM interaction_events WHERE text IS NOT NULL ORDER BY id") == [(1,), (2,)]
    # What the KPIs average on the numbered channels now.
    assert rows(engine, "SELECT channel, AVG(value) FROM interaction_events WHERE kind = 'survey_answered' "
                        "AND conversation_id NOT LIKE 'demo-%' GROUP BY channel ORDER BY channel") == [
        ("sms", 1.0), ("telegram", 5.0), ("whatsapp", 4.0)]

    # An answer stored after the fix is not flagged: the downgrade leaves it as it came.
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO surveys (id, conversation_id, channel, subject, score, asked_at, answered_at) "
                                "VALUES (9, '+573001112209', 'sms', 'handoff', 5, :at, :at)"), {"at": ASKED})
    command.downgrade(alembic_config(url), "0008")
    assert rows(engine, "SELECT id, score FROM surveys ORDER BY id") == [
        (id_, score) for id_, _, score, _ in SURVEYS] + [(9, 5)]
    assert rows(engine, "SELECT id, value, text FROM interaction_events ORDER BY id") == [
        (id_, value, note) for id_, _, _, _, value, note in EVENTS]
    assert "score_corrected" not in [row[1] for row in rows(engine, "PRAGMA table_info(surveys)")]
    engine.dispose()
