"""Notices once: two dispatchers never send one notice twice, and two replicas starting the scheduler run one.

Real dispatchers sending to the Telegram Bot API emulator, and real web-service apps (their lifespans) on the
test database: what a customer receives is counted at the emulator.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING
from sqlalchemy import select

from bot.db import models as m
from bot.db.engine import session_scope
from bot.jobs.dispatch import Dispatcher
from bot.settings import get_settings
from channels import outbound
from channels.providers.telegram import TelegramProvider
from tests.product import TELEGRAM_TOKEN

NOTICES = 40


@pytest.fixture()
def telegram_out(use_database, telegram_api, monkeypatch):
    """This process sends Telegram messages to the emulator."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", telegram_api.url)
    get_settings.cache_clear()
    outbound.provider.cache_clear()
    yield telegram_api
    outbound.provider.cache_clear()
    get_settings.cache_clear()


def _queue(engine, run: str) -> list:
    chats = [f"{8800000 + i}{run}" for i in range(NOTICES)]
    with session_scope(engine) as session:
        for chat in chats:
            session.add(m.Notification(dedupe_key=f"once-{run}-{chat}", kind="outage_update", channel="telegram",
                                       address=f"tg:{chat}", body=f"Aviso de prueba {run}", not_before=m.utcnow()))
    return chats


async def test_two_dispatchers_at_once_send_each_notice_once(telegram_out, engine):
    run = uuid.uuid4().hex[:4].translate(str.maketrans("abcdef", "123456"))
    chats = _queue(engine, run)
    first, second = Dispatcher(get_settings()), Dispatcher(get_settings())  # two replicas' dispatchers
    telegram = outbound.provider("telegram")
    assert isinstance(telegram, TelegramProvider)
    await telegram.bot()  # made once before both use it (made by both at once, one's HTTP client would leak)
    try:
        for _ in range(4):  # rounds at the same time, as two schedulers would run them
            await asyncio.gather(first.run_once(batch=15), second.run_once(batch=15))
    finally:
        await outbound.close_all()

    sent = Counter(str(r["data"].get("chat_id")) for r in telegram_out.matching(
        lambda r: r["method"] == "sendMessage" and f"Aviso de prueba {run}" in str(r["data"].get("text"))))
    assert sent == Counter({chat: 1 for chat in chats})
    with session_scope(engine) as session:
        statuses = session.execute(select(m.Notification.status).where(m.Notification.dedupe_key.like(f"once-{run}-%"))).scalars()
        assert Counter(statuses) == Counter({m.NotificationStatus.sent: NOTICES})


async def test_two_replicas_starting_the_scheduler_run_one(use_database, monkeypatch, caplog):
    monkeypatch.setenv("LUZ_SCHEDULER", "on")
    get_settings.cache_clear()
    from bot.web.app import create_app

    apps = [create_app(get_settings()), create_app(get_settings())]
    ran = Counter()
    for index, app in enumerate(apps):
        app.state.scheduler_leadership.retry = 0.3
        app.state.scheduler.add_listener(lambda event, i=index: ran.update([i]), EVENT_JOB_EXECUTED)
    caplog.set_level(logging.INFO, logger="bot.jobs.scheduler")
    first, second = (app.router.lifespan_context(app) for app in apps)
    await first.__aenter__()
    try:
        await second.__aenter__()
        try:
            states = [app.state.scheduler.state for app in apps]
            if use_database.startswith("postgresql"):
                assert states == [STATE_RUNNING, STATE_PAUSED]
                assert "another process of this database runs it" in caplog.text
                apps[1].state.scheduler.get_job("queue").modify(next_run_time=m.utcnow())  # due now, in the shared store
                for app in apps:
                    app.state.scheduler.wakeup()
                await asyncio.sleep(2)
                assert ran[0] >= 1 and ran[1] == 0, ran  # the paused one ran nothing
            else:  # SQLite is one process's database: there is no second replica to keep out
                assert states == [STATE_RUNNING, STATE_RUNNING]
        finally:
            await first.__aexit__(None, None, None)  # the replica that ran it stops: the other takes over
        if use_database.startswith("postgresql"):
            for _ in range(50):
                if apps[1].state.scheduler.state == STATE_RUNNING:
                    break
                await asyncio.sleep(0.1)
            assert apps[1].state.scheduler.state == STATE_RUNNING
            assert "this one runs it now" in caplog.text
    finally:
        await second.__aexit__(None, None, None)
        get_settings.cache_clear()
