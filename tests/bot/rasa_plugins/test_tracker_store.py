"""The tracker store: conversations come back as they were saved, and each event reaches the broker once."""
from __future__ import annotations

import asyncio
import time

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event, select

from bot.db import models as m
from bot.db.engine import session_scope
from bot.rasa_plugins.event_broker import KpiEventBroker
from bot.rasa_plugins.tracker_store import SQLTrackerStore
from tests.conftest import PROJECT_ROOT


def _message(text: str, intent: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9})


def _intent_rows(engine, conversation_id: str, expected: int, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(engine) as session:
            rows = session.execute(select(m.InteractionEvent.intent).where(
                m.InteractionEvent.conversation_id == conversation_id,
                m.InteractionEvent.kind == "intent").order_by(m.InteractionEvent.id)).scalars().all()
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


async def test_a_conversation_is_saved_once_and_comes_back_whole(tmp_path, database_url, engine):
    domain = Domain.load(str(PROJECT_ROOT / "domain"))
    broker = KpiEventBroker(database_url)
    store = SQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'tracker.db'}", event_broker=broker)
    tracker = DialogueStateTracker("+573001234501", domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(_message("cuánto debo", "check_balance"))
    tracker.update(SlotSet("journey", "check_balance"))
    await store.save(tracker)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(_message("gracias", "thank"))
    await store.save(tracker)
    await store.save(tracker)  # nothing new: nothing written, nothing published

    again = await store.retrieve("+573001234501")
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in tracker.events]
    assert again.get_slot("journey") == "check_balance"
    assert again.latest_message.text == "gracias"
    assert await store.retrieve("+573009999999") is None
    assert _intent_rows(engine, "+573001234501", expected=2) == ["check_balance", "thank"]
    await asyncio.sleep(0.3)  # a duplicate would have arrived by now
    assert _intent_rows(engine, "+573001234501", expected=3, timeout=0) == ["check_balance", "thank"]
    await broker.close()


async def test_a_sqlite_file_store_keeps_its_connections_open(tmp_path):
    """Opening and configuring a SQLite connection per query was a tenth of the server's CPU under load."""
    domain = Domain.load(str(PROJECT_ROOT / "domain"))
    store = SQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    opened = []
    event.listen(store.engine, "connect", lambda *_: opened.append(1))
    for turn in range(5):
        tracker = await store.get_or_create_tracker("+573001234501")
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(_message(f"mensaje {turn}", "inform"))
        await store.save(tracker)
    assert len((await store.retrieve("+573001234501")).events) >= 10
    assert len(opened) <= 2  # one per worker thread that happened to run a query, not one per query
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
