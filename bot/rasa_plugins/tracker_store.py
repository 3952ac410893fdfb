"""Rasa's SQL tracker store, without reading every conversation twice per message.

Rasa 3.6's ``SQLTrackerStore.save`` first loads the whole conversation again from the
database only to find which events are new for the event broker, then counts the stored
events to find them a second time. Under load that reload was the largest single cost of a
message (profiled with py-spy, see docs/benchmarks.md). Here the new events are found once,
by the count, and the same events go to the broker and to the table. Loading a conversation
also resolves each event's class from a cache instead of walking Rasa's class tree per event.

Reading takes only the JSON column and writing is one INSERT of plain rows, without building ORM
objects. Rasa also runs these queries inside its event loop, so every other conversation waited for each
commit; here they run in a worker thread. On SQLite (the embedded profile) the file is put in WAL
mode, as the records database is, so a commit does not wait for the disk.

Same tables, same rows, same broker messages: ``type: bot.rasa_plugins.tracker_store.SQLTrackerStore`` in
endpoints.yml replaces ``type: SQL`` and nothing else changes. Rasa builds the store when it starts, so
its constructor is where the Rasa server installs the other speed-ups (``bot/rasa_plugins/speedups.py``).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
from functools import cache
from typing import Any, Dict, List, Optional, Type, cast

from rasa.core import tracker_store
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker

from bot.db.engine import create_engine
from bot.rasa_plugins import speedups

logger = logging.getLogger(__name__)


@cache
def _event_class(type_name: str) -> Optional[Type[Event]]:
    return Event.resolve_by_type(type_name, None)


def deserialise(serialised: List[Dict[str, Any]]) -> List[Event]:
    """Rasa's ``deserialise_events``, with the class of each event type looked up once per process."""
    events = []
    for data in serialised:
        event_class = _event_class(data.get("event", ""))
        event = event_class._from_parameters(data) if event_class else None
        if event is None:
            logger.warning("skipped an event that could not be read: %s", data.get("event"))
        else:
            events.append(event)
    return events


class SQLTrackerStore(tracker_store.SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Rasa builds its tracker store at start-up, before any message: the moment to install the speed-ups.
        speedups.install()
        super().__init__(*args, **kwargs)
        rasa_engine: Any = cast(Any, self).engine  # set by Rasa's constructor (untyped)
        if rasa_engine.dialect.name == "sqlite" and rasa_engine.url.database not in (None, "", ":memory:"):
            # Rasa's engine has no pool on a SQLite file (SQLAlchemy 1.4): every query opened, configured
            # and closed a connection, a tenth of the Rasa server's CPU under load. The records database's
            # engine keeps its connections open, in WAL mode; the tracker store uses the same kind.
            rasa_engine.dispose()
            self.engine = create_engine(str(rasa_engine.url))
            self.sessionmaker = sessionmaker(bind=self.engine)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        serialised = await asyncio.to_thread(self._load, sender_id, fetch_events_from_all_sessions)
        if not (self.domain and serialised):
            return None
        return DialogueStateTracker.from_events(sender_id, deserialise(serialised), self.domain.slots)

    def _load(self, sender_id: str, fetch_events_from_all_sessions: bool) -> List[Dict[str, Any]]:
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
            rows = query.with_entities(self.SQLEvent.data).all()  # the JSON only: no ORM objects to build
            return [json.loads(row.data) for row in rows]

    async def save(self, tracker: DialogueStateTracker) -> None:
        new_events = await asyncio.to_thread(self._store_new_events, tracker)
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    def _store_new_events(self, tracker: DialogueStateTracker) -> List[Event]:
        """Writes the events not yet stored, found by counting the stored ones; returns them."""
        with self.session_scope() as session:
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            rows = []
            for new in new_events:
                data = new.as_dict()
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": new.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                })
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)  # one statement, no unit of work
            session.commit()
        return new_events
