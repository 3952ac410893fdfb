"""Jobs planned before the move to ``bot/jobs/`` are stored as ``bot.jobs:<name>``: they still run."""
from apscheduler.util import ref_to_obj

from bot.jobs import scheduler, tasks


def test_a_job_stored_under_the_old_path_finds_its_function():
    assert ref_to_obj("bot.jobs:notify_planned") is tasks.notify_planned
    assert ref_to_obj("bot.jobs:notify_restoration") is tasks.notify_restoration


def test_new_jobs_are_stored_under_their_module():
    assert all(func.startswith("bot.jobs.tasks:") for func, _, _ in scheduler.RECURRING.values())
    assert all(ref_to_obj(func) for func in scheduler.ONE_OFF.values())
