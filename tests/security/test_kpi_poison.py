"""A poison message in the KPI queue (issue 18) is parked after a few attempts, not retried for ever.

Against the local RabbitMQ (the production profile's broker, 127.0.0.1:5672, guest/guest) with a queue of
the test's own: the real consumer drains it into the test database.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import List

import aio_pika
from sqlalchemy import select

from bot.db import models as m
from bot.db.engine import session_scope
from bot.rasa_plugins import kpi_consumer
from bot.rasa_plugins.kpi_consumer import ATTEMPTS, ERROR, PARKED, REQUEUED, consume, handle, parked_queue

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"


def user_event(sender: str) -> dict:
    return {"event": "user", "timestamp": time.time(), "sender_id": sender, "input_channel": "whatsapp",
            "text": "hola", "parse_data": {"intent": {"name": "greet", "confidence": 0.99}}}


def intents_of(engine, sender: str) -> int:
    with session_scope(engine) as session:
        return len(session.execute(select(m.InteractionEvent).where(
            m.InteractionEvent.kind == "intent", m.InteractionEvent.conversation_id == sender)).scalars().all())


def test_a_poison_message_is_parked_after_n_tries_and_the_others_are_written(database_url, engine):
    queue_name = f"luz_test_events_{uuid.uuid4().hex[:8]}"
    good = f"kpi-{uuid.uuid4().hex[:8]}"

    async def run():
        connection = await aio_pika.connect_robust(RABBITMQ)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(queue_name, durable=True)
            parked = await channel.declare_queue(parked_queue(queue_name), durable=True)
            try:
                for body in (json.dumps([1, 2]).encode(), b"\xff not json", json.dumps(user_event(good)).encode()):
                    await channel.default_exchange.publish(aio_pika.Message(body), routing_key=queue_name)
                consumer = asyncio.create_task(consume(RABBITMQ, queue_name, database_url, asyncio.Event(),
                                                       max_attempts=3))
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    counted = await channel.declare_queue(parked_queue(queue_name), durable=True, passive=True)
                    if counted.declaration_result.message_count >= 2 and intents_of(engine, good):
                        break
                    await asyncio.sleep(0.2)
                await asyncio.sleep(1)  # nothing more comes back
                consumer.cancel()
                await asyncio.gather(consumer, return_exceptions=True)
                left = await channel.declare_queue(queue_name, durable=True, passive=True)
                found: List[aio_pika.abc.AbstractIncomingMessage] = []
                while (message := await parked.get(no_ack=True, fail=False)) is not None:
                    found.append(message)
                return left.declaration_result.message_count, found
            finally:
                await queue.delete(if_unused=False, if_empty=False)
                await parked.delete(if_unused=False, if_empty=False)

    left, parked = asyncio.run(run())
    assert left == 0  # nothing circles in the queue
    assert intents_of(engine, good) == 1  # the good message was written, once
    by_body = {message.body: message.headers for message in parked}
    assert set(by_body) == {b"[1, 2]", b"\xff not json"}
    assert by_body[b"[1, 2]"][ATTEMPTS] == 3 and "AttributeError" in str(by_body[b"[1, 2]"][ERROR])
    assert by_body[b"\xff not json"][ATTEMPTS] == 1  # never readable: parked at once


class Message:
    """Just enough of an incoming message for ``handle``."""

    def __init__(self, body: bytes, headers=None) -> None:
        self.body, self.headers, self.content_type, self.outcome = body, headers or {}, None, []

    async def ack(self) -> None:
        self.outcome.append("ack")

    async def nack(self, requeue: bool = True) -> None:
        self.outcome.append(f"nack requeue={requeue}")


class Exchange:
    def __init__(self) -> None:
        self.published = []

    async def publish(self, message, routing_key: str) -> None:
        self.published.append((routing_key, message))


class Channel:
    def __init__(self) -> None:
        self.default_exchange = Exchange()


def test_while_the_database_is_away_nothing_is_counted_or_parked(monkeypatch, tmp_path):
    monkeypatch.setattr(kpi_consumer.asyncio, "sleep", _no_sleep)
    message, channel = Message(json.dumps(user_event("kpi-away")).encode(), {ATTEMPTS: 4}), Channel()
    away = f"sqlite:///{tmp_path / 'missing' / 'luz.db'}"  # cannot be opened
    outcome = asyncio.run(handle(message, channel, "luz_events", away, max_attempts=5))  # type: ignore[arg-type]
    assert outcome == REQUEUED and message.outcome == ["nack requeue=True"] and channel.default_exchange.published == []


def test_the_last_attempt_parks_with_the_error(database_url):
    message, channel = Message(json.dumps({"event": "user", "timestamp": "ayer", "parse_data": {}}).encode(),
                               {ATTEMPTS: 4}), Channel()
    outcome = asyncio.run(handle(message, channel, "luz_events", database_url, max_attempts=5))  # type: ignore[arg-type]
    [(routing_key, parked)] = channel.default_exchange.published
    assert outcome == PARKED and message.outcome == ["ack"] and routing_key == "luz_events.parked"
    assert parked.headers[ATTEMPTS] == 5 and "TypeError" in parked.headers[ERROR]


async def _no_sleep(_seconds: float) -> None:
    return None
