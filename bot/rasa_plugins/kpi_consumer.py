"""Drains Rasa's events from RabbitMQ into the KPI events (the production profile's broker).

Rasa's Pika broker publishes every tracker event to a durable queue; this
consumer keeps the ones the KPIs count (``bot.rasa_plugins.event_broker.rows_for``) and
acknowledges a batch only after it is written, so nothing is lost when it
stops or the database is briefly away.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal

import aio_pika

from bot.rasa_plugins.event_broker import rows_for, write
from bot.settings import Settings

log = logging.getLogger(__name__)


async def consume(url: str, queue_name: str, database_url: str, stop: asyncio.Event) -> None:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=200)
        queue = await channel.declare_queue(queue_name, durable=True)
        async with queue.iterator() as messages:
            async for message in messages:
                try:
                    rows = rows_for(json.loads(message.body))
                    if rows:
                        await asyncio.to_thread(write, database_url, rows)
                    await message.ack()
                except json.JSONDecodeError:
                    log.warning("dropping a message that is not JSON")
                    await message.reject()
                except Exception:  # noqa: BLE001 - back to the queue, tried again later
                    log.exception("could not write KPI events; the message goes back to the queue")
                    await message.nack(requeue=True)
                    await asyncio.sleep(2)
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
