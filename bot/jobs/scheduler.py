"""APScheduler in the web service: recurring jobs and one-off ones, kept in the database.

The job store is the records database (table ``scheduler_jobs``), so planned
notices survive a restart. Exactly one process of a deployment runs it
(``LUZ_SCHEDULER=off`` on the other replicas); on PostgreSQL that holds even when
two replicas start it: ``SchedulerLeadership`` takes an advisory lock and the
process without it keeps its scheduler paused (it only stores the jobs it plans),
says so in its log, and takes over when the holder goes. Times are the
utility's own time zone (``LUZ_TIMEZONE``).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Optional

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot import clock
from bot.db.engine import engine_for
from bot.settings import Settings

log = logging.getLogger(__name__)

RECURRING = {  # id: (job, trigger, trigger arguments)
    "dispatch": ("bot.jobs.tasks:dispatch_notifications", "interval", {"seconds": 5}),
    "queue": ("bot.jobs.tasks:watch_queue", "interval", {"seconds": 5}),
    "desk": ("bot.jobs.tasks:run_desk", "interval", {"seconds": 2}),
    "webhooks": ("bot.jobs.tasks:deliver_webhooks", "interval", {"seconds": 5}),
    "bill_reminders": ("bot.jobs.tasks:remind_bills", "cron", {"hour": 9, "minute": 0}),
    "deadlines": ("bot.jobs.tasks:watch_deadlines", "interval", {"minutes": 30}),
    "complaint_surveys": ("bot.jobs.tasks:survey_resolved_complaints", "interval", {"minutes": 5}),
    "expired_estimates": ("bot.jobs.tasks:watch_estimates", "interval", {"minutes": 5}),
    "web_visitors": ("bot.jobs.tasks:forget_web_visitors", "interval", {"hours": 1}),
}
ONE_OFF = {"planned": "bot.jobs.tasks:notify_planned", "restoration": "bot.jobs.tasks:notify_restoration",
           "fanout": "bot.jobs.tasks:fan_out"}


def build_scheduler(settings: Settings) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url, tablename="scheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=settings.timezone,
    )
    for job_id, (func, trigger, arguments) in RECURRING.items():
        scheduler.add_job(func, trigger, id=job_id, replace_existing=True, **arguments)
    return scheduler


def plan(scheduler: Optional[AsyncIOScheduler], kind: str, when: dt.datetime, *args) -> str:
    """A one-off job (``planned`` notice, ``restoration`` follow-up) at ``when``; one per kind and arguments."""
    job_id = ":".join([kind, *map(str, args)])
    if scheduler is None:
        raise RuntimeError("this process runs no scheduler (LUZ_SCHEDULER=off)")
    scheduler.add_job(ONE_OFF[kind], "date", run_date=clock.to_machine(when), args=list(args), id=job_id,
                      replace_existing=True)
    return job_id


def run_soon(scheduler: Optional[AsyncIOScheduler], job_id: str) -> None:
    """Moves a job to now (e.g. the dispatcher, after new notifications were queued)."""
    if scheduler is not None and scheduler.running:
        job = scheduler.get_job(job_id)
        if job is not None:
            job.modify(next_run_time=dt.datetime.now(dt.timezone.utc))  # APScheduler's own (real) time: run at once


SCHEDULER_LOCK = 0x4C757A5363686564  # the advisory lock of "the scheduler runs here" ("LuzSched")


class SchedulerLeadership:
    """Runs ``scheduler`` in one process of those sharing a PostgreSQL database: the one holding the
    session advisory lock ``SCHEDULER_LOCK`` on a connection of its own. The others start it paused (their
    planned jobs go to the shared job store, which the running one reads) and try again every ``retry``
    seconds, so one takes over when the holder stops; a holder that loses its connection (and so the lock)
    pauses. SQLite is one process's database: its scheduler always runs."""

    def __init__(self, scheduler: AsyncIOScheduler, database_url: str, retry: float = 15.0) -> None:
        self.scheduler, self.database_url, self.retry = scheduler, database_url, retry
        self._connection: Optional[Connection] = None
        self._watch: Optional[asyncio.Task] = None

    @property
    def leading(self) -> bool:
        return self._connection is not None or not self.database_url.startswith("postgresql")

    def _try_lock(self) -> bool:
        connection = engine_for(self.database_url).connect()
        try:
            taken = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK}).scalar())
            connection.commit()
        except Exception:
            connection.close()
            raise
        if taken:
            self._connection = connection
        else:
            connection.close()
        return taken

    def _still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return True
        except Exception:  # noqa: BLE001 - a lost connection has lost its lock
            self._drop()
            return False

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK})
                connection.commit()
            except Exception:  # noqa: BLE001 - closing the connection lets the lock go anyway
                connection.invalidate()
            finally:
                connection.close()

    async def start(self) -> None:
        if not self.database_url.startswith("postgresql"):
            self.scheduler.start()
            return
        if await asyncio.to_thread(self._try_lock):
            self.scheduler.start()
            log.info("scheduler: this process runs it (advisory lock %s)", SCHEDULER_LOCK)
        else:
            self.scheduler.start(paused=True)
            log.warning("scheduler: another process of this database runs it (advisory lock %s is held); this one "
                        "runs no jobs, stores the ones it plans, and takes over if that process stops", SCHEDULER_LOCK)
        self._watch = asyncio.create_task(self._keep())

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.retry)
            try:
                if self._connection is not None:
                    if not await asyncio.to_thread(self._still_held):
                        self.scheduler.pause()
                        log.warning("scheduler: lost the database connection holding its lock; paused")
                elif await asyncio.to_thread(self._try_lock):
                    self.scheduler.resume()
                    log.warning("scheduler: the process that ran it stopped; this one runs it now")
            except Exception as error:  # noqa: BLE001 - the database may be away for a while; try again
                log.warning("scheduler: could not check its lock: %s", error)

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await asyncio.to_thread(self._drop)
