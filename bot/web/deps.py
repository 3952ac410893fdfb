"""What every route may ask for (FastAPI ``Depends``): the settings, the database, the scheduler.

``create_app`` builds each once and keeps it on ``app.state``; these functions only read it back,
so a route is a plain module-level function and a test can build an app with any settings.
The console's signed-in agent and the API's key are dependencies of their own packages.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable, Optional, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db.engine import in_thread
from bot.jobs.scheduler import plan, run_soon
from bot.settings import Settings

T = TypeVar("T")


class Database:
    """``await db(work)``: ``work(session)`` in a worker thread, inside one committed transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def __call__(self, work: Callable[[Session], T]) -> T:
        return await in_thread(self.engine, work)


class Jobs:
    """The process's scheduler as routes use it: none runs here when ``LUZ_SCHEDULER=off``."""

    def __init__(self, scheduler: Optional[AsyncIOScheduler]) -> None:
        self.scheduler = scheduler

    def dispatch_soon(self) -> None:
        """Nudges the notification dispatcher after notifications were queued (nothing without a scheduler)."""
        run_soon(self.scheduler, "dispatch")

    def plan(self, kind: str, when: dt.datetime, *args) -> str:
        """A one-off job (``planned`` notice, ``restoration`` follow-up); refused without a scheduler."""
        return plan(self.scheduler, kind, when, *args)


def settings(request: Request) -> Settings:
    return request.app.state.settings


def database(request: Request) -> Database:
    return request.app.state.database


def jobs(request: Request) -> Jobs:
    return Jobs(request.app.state.scheduler)
