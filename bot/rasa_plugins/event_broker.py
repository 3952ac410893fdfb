"""Rasa's event broker for the KPIs: what the assistant understood, and when it did not.

Rasa publishes every tracker event to its broker. This one keeps two kinds:
a customer message's intent and confidence (with the text when it was not
understood, to improve training) and the fallback action. Rows are written by
a background thread in small batches, so the dialogue never waits for them.
In the production profile Rasa's Pika broker sends the same events to
RabbitMQ (``KpiPikaEventBroker``: only those) and ``python -m bot kpi-consumer``
writes them with ``rows_for``.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Dict, List, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.pika import PikaEventBroker
from rasa.utils.endpoints import EndpointConfig

from bot import clock, events
from bot.db.engine import engine_for, session_scope
from bot.settings import get_settings

log = logging.getLogger(__name__)
FALLBACK_ACTIONS = {"action_default_ask_affirmation", "action_default_fallback"}


def rows_for(event: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The KPI rows one Rasa event gives (none for most)."""
    at = clock.from_timestamp(event["timestamp"]) if event.get("timestamp") else None
    common = {"at": at, "conversation_id": event.get("sender_id"), "channel": event.get("input_channel")}
    if event.get("event") == "user":
        intent = (event.get("parse_data") or {}).get("intent") or {}
        name = intent.get("name")
        text = event.get("text") if name == "nlu_fallback" else None
        if name and not (event.get("text") or "").startswith("/"):  # buttons are not understanding
            return [{"kind": "intent", "intent": name, "confidence": intent.get("confidence"), "text": text, **common}]
    if event.get("event") == "action" and event.get("name") in FALLBACK_ACTIONS:
        return [{"kind": "fallback", "intent": event["name"], **common}]
    return []


def write(database_url: str, rows: List[Dict[str, Any]]) -> None:
    with session_scope(engine_for(database_url)) as session:
        for row in rows:
            fields = {k: v for k, v in row.items() if k != "kind" and v is not None}
            events.record(session, row["kind"], **fields)


class KpiEventBroker(EventBroker):
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._queue: queue.Queue[Optional[Dict]] = queue.Queue(maxsize=10000)
        self._thread = threading.Thread(target=self._drain, name="kpi-events", daemon=True)
        self._thread.start()

    @classmethod
    async def from_endpoint_config(cls, broker_config: EndpointConfig, event_loop=None) -> KpiEventBroker:
        return cls(broker_config.url or get_settings().database_url)

    def publish(self, event: Dict[str, Any]) -> None:
        rows = rows_for(event)
        for row in rows:
            try:
                self._queue.put_nowait(row)
            except queue.Full:
                log.warning("KPI event queue full; dropping an event")

    def _drain(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < 200:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [row for row in batch if row is not None]
            if rows:
                try:
                    write(self.database_url, rows)
                except Exception:  # noqa: BLE001 - metrics must never stop the assistant
                    log.exception("could not write %s KPI events", len(rows))
            if None in batch:
                return

    async def close(self) -> None:
        self._queue.put(None)
        self._thread.join(5)


class KpiPikaEventBroker(PikaEventBroker):
    """Rasa's Pika broker, publishing only the events the KPIs count.

    Rasa publishes about ten events per customer message (actions, slots, bot replies); the consumer
    kept one of them and dropped the rest after RabbitMQ had stored and delivered them all. Under load
    that traffic cost more CPU than the KPIs' database writes (docs/benchmarks.md). A consumer that
    needs every event uses ``type: pika`` instead."""

    def publish(self, event: Dict[str, Any], headers: Optional[Dict[str, str]] = None) -> None:
        if rows_for(event):
            super().publish(event, headers)
