"""APScheduler in the web service: recurring jobs and one-off ones, kept in the database.

The job store is the records database (table ``scheduler_jobs``), so planned
notices survive a restart. Exactly one process of a deployment runs it
(``LUZ_SCHEDULER=off`` on the other replicas). Times are the utility's own
time zone (``LUZ_TIMEZONE``).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import clock
from bot.settings import Settings

log = logging.getLogger(__name__)

RECURRING = {  # id: (job, trigger, trigger arguments)
    "dispatch": ("bot.jobs.tasks:dispatch_notifications", "interval", {"seconds": 5}),
    "queue": ("bot.jobs.tasks:watch_queue", "interval", {"seconds": 5}),
    "bill_reminders": ("bot.jobs.tasks:remind_bills", "cron", {"hour": 9, "minute": 0}),
    "deadlines": ("bot.jobs.tasks:watch_deadlines", "interval", {"minutes": 30}),
    "complaint_surveys": ("bot.jobs.tasks:survey_resolved_complaints", "interval", {"minutes": 5}),
    "expired_estimates": ("bot.jobs.tasks:watch_estimates", "interval", {"minutes": 5}),
}
ONE_OFF = {"planned": "bot.jobs.tasks:notify_planned", "restoration": "bot.jobs.tasks:notify_restoration"}


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
