"""Background work in the web service: APScheduler (``scheduler``), the scheduled jobs (``tasks``) and
the notification dispatcher (``dispatch``).

Jobs planned before this package existed are stored as ``bot.jobs:<name>`` in the job store: a name
asked of this package is looked up in ``tasks`` on first use, so they still run (nothing happens at import).
"""
from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    tasks = importlib.import_module("bot.jobs.tasks")
    try:
        return getattr(tasks, name)
    except AttributeError:
        raise AttributeError(f"module 'bot.jobs' has no attribute {name!r}") from None
