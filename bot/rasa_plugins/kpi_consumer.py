"""Drains Rasa's events from RabbitMQ into the KPI events (the production profile's broker).

Rasa's Pika broker publishes every tracker event to a durable queue; this
consumer keeps the ones the KPIs count (``bot.rasa_plugins.event_broker.rows_for``) and
acknowledges a batch only after it is written, so nothing is lost when it
stops or the database is briefly away.

A message that cannot be written while the database is up (a poison message: not JSON, not an event,
a value the table refuses) is not retried for ever: it goes back to the end of the queue with its count
of attempts (``x-luz-attempts``), and after ``MAX_ATTEMPTS`` it is parked in ``<queue>.parked`` (durable,
with the last error in ``x-luz-error``) and logged, for a person to look at. Not JSON is parked at once.
While the database is down nothing is counted: the message is requeued and waits for it.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from sqlalchemy import text

from bot.db.engine import engine_for
from bot.rasa_plugins.event_broker import rows_for, write
from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
ATTEMPTS = "x-luz-attempts"
ERROR = "x-luz-error"
WRITTEN, RETRIED, PARKED, REQUEUED = "written", "retried", "parked", "requeued"


def parked_queue(queue_name: str) -> str:
    return f"{queue_name}.parked"


def database_up(database_url: str) -> bool:
    try:
        with engine_for(database_url).connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not now"
        return False


async def handle(message: AbstractIncomingMessage, channel: AbstractChannel, queue_name: str, database_url: str,
                 max_attempts: int = MAX_ATTEMPTS) -> str:
    """Writes one message's KPI rows and acknowledges it; what became of it (WRITTEN, RETRIED, PARKED, REQUEUED)."""
    try:
        event = json.loads(message.body)
    except ValueError as error:  # not JSON (or not UTF-8): no attempt will read it
        return await _give_up(message, channel, queue_name, error, attempts=1)
    try:
        rows = rows_for(event)
        if rows:
            await asyncio.to_thread(write, database_url, rows)
    except Exception as error:  # noqa: BLE001 - the message's fault, or the database's: told apart below
        if not await asyncio.to_thread(database_up, database_url):
            log.warning("the database is away: the KPI message goes back to the queue")
            await message.nack(requeue=True)
            await asyncio.sleep(2)
            return REQUEUED
        attempts = _attempts(message) + 1
        if attempts >= max_attempts:
            return await _give_up(message, channel, queue_name, error, attempts)
        log.warning("could not write KPI events (attempt %s of %s): %r", attempts, max_attempts, error)
        await channel.default_exchange.publish(_copy(message, {ATTEMPTS: attempts}), routing_key=queue_name)
        await message.ack()  # after its copy is confirmed at the end of the queue: at least once
        return RETRIED
    await message.ack()
    return WRITTEN


def _attempts(message: AbstractIncomingMessage) -> int:
    try:
        return max(0, int(str((message.headers or {}).get(ATTEMPTS, 0))))
    except ValueError:
        return 0


def _copy(message: AbstractIncomingMessage, headers: dict) -> aio_pika.Message:
    return aio_pika.Message(message.body, headers={**(message.headers or {}), **headers},
                            content_type=message.content_type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)


async def _give_up(message: AbstractIncomingMessage, channel: AbstractChannel, queue_name: str, error: Exception,
                   attempts: int) -> str:
    log.error("parking a KPI message in %s after %s attempt(s): %r", parked_queue(queue_name), attempts, error)
    await channel.default_exchange.publish(_copy(message, {ATTEMPTS: attempts, ERROR: repr(error)[:300]}),
                                           routing_key=parked_queue(queue_name))
    await message.ack()
    return PARKED


async def consume(url: str, queue_name: str, database_url: str, stop: asyncio.Event,
                  max_attempts: int = MAX_ATTEMPTS) -> None:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=200)
        queue = await channel.declare_queue(queue_name, durable=True)
        await channel.declare_queue(parked_queue(queue_name), durable=True)
        async with queue.iterator() as messages:
            async for message in messages:
                await handle(message, channel, queue_name, database_url, max_attempts)
                if stop.is_set():
                    break


def main(settings: Settings) -> int:
    """Consumes ``settings.events_queue`` on ``settings.rabbitmq_url`` until SIGINT or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    url, queue_name = str(settings.rabbitmq_url), settings.events_queue

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        task = asyncio.create_task(consume(url, queue_name, settings.database_url, stop))
        await asyncio.wait([task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        failure = task.exception() if task.done() else None
        if failure is not None:
            raise failure
        log.info("stopped")
        # Unacknowledged messages go back to the queue, so leaving at once loses nothing; the AMQP
        # client's own shutdown can otherwise hold the process past its grace period.
        logging.shutdown()
        os._exit(0)

    log.info("consuming %s from %s", queue_name, url.split("@")[-1])
    asyncio.run(run())
    return 0
