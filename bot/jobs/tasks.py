"""The scheduler's jobs. Module-level functions, so the persistent job store can name them.

Each reads the process's settings, does its database work in a worker thread
and leaves sending to the notification dispatcher.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

import httpx
from sqlalchemy.orm import Session

from bot import assignment, calls, fanout, handoff, notifications, restoration, webhooks
from bot.db import models as m
from bot.db.engine import engine_for, in_thread
from bot.jobs.dispatch import Dispatcher
from bot.settings import Settings, get_settings
from channels import outbound, visitors

log = logging.getLogger(__name__)
T = TypeVar("T")


@lru_cache(maxsize=4)
def dispatcher(settings: Settings) -> Dispatcher:
    """One per process: its rate limits hold across rounds."""
    return Dispatcher(settings)


async def _db(work: Callable[[Session], T]) -> T:
    return await in_thread(engine_for(get_settings().database_url), work)


async def dispatch_notifications() -> int:
    return await dispatcher(get_settings()).run_once()


async def deliver_webhooks() -> int:
    """Sends the webhook deliveries that are due (bot/webhooks.py); how many were tried."""
    claimed = await _db(lambda session: webhooks.claim_due(session, m.utcnow()))
    if not claimed:
        return 0
    async with httpx.AsyncClient(timeout=get_settings().provider_timeout_seconds) as client:
        for outgoing in claimed:
            try:
                answer = await client.post(outgoing.url, content=outgoing.body, headers=webhooks.headers(outgoing, m.utcnow()))
                status, error = answer.status_code, None if answer.is_success else f"HTTP {answer.status_code}"
            except httpx.HTTPError as failure:
                status, error = None, (str(failure) or type(failure).__name__)[:300]
            await _db(functools.partial(_record_delivery, outgoing.id, status, error))
    return len(claimed)


def _record_delivery(delivery_id: int, status: Optional[int], error: Optional[str], session: Session) -> None:
    webhooks.record(session, delivery_id, status, error, m.utcnow())


async def remind_bills() -> int:
    count = await _db(lambda session: notifications.bill_reminders(session, get_settings()))
    log.info("bill reminders queued: %s", count)
    return count


async def notify_planned(outage_id: int, hours_before: int) -> int:
    def queue(session: Session) -> int:
        outage = session.get(m.Outage, outage_id)
        if outage is None or outage.status != m.OutageStatus.scheduled:
            return 0  # cancelled or already started
        return notifications.planned_notice(session, outage, hours_before, get_settings())

    return await _db(queue)


async def fan_out(batch_id: int) -> int:
    """An outage's notices to everyone it affects, queued in bulk (bot/fanout.py); the dispatcher's next round
    (every 5 s) starts sending them."""
    count = await _db(lambda session: fanout.run_batch(session, batch_id, get_settings(), m.utcnow()))
    log.info("notice batch %s: %s notices queued", batch_id, count)
    return count


async def notify_restoration(outage_id: int) -> int:
    def queue(session: Session) -> int:
        outage = session.get(m.Outage, outage_id)
        return fanout.restored(session, outage, m.utcnow()) if outage else 0

    return await _db(queue)


async def watch_deadlines() -> int:
    escalated = await _db(lambda session: [c.ticket or str(c.id) for c in notifications.deadline_watch(session, get_settings())])
    if escalated:
        log.warning("complaints escalated to supervisors (near or past the deadline): %s", ", ".join(escalated))
    return len(escalated)


async def watch_estimates() -> int:
    """Outages whose estimated restoration passed with the power still out are marked as owing an update."""
    expired = await _db(lambda session: [o.id for o in restoration.expired_estimates(session)])
    if expired:
        log.warning("outages with an expired restoration estimate (the OMS owes an update): %s", expired)
    return len(expired)


async def survey_resolved_complaints() -> int:
    def queue(session: Session) -> int:
        settings = get_settings()
        return sum(notifications.complaint_survey(session, complaint, settings)
                   for complaint in notifications.resolved_without_survey(session, settings))

    return await _db(queue)


async def watch_queue() -> int:
    """Customers pushed back by an urgent case are told; those waiting too long are offered a callback. A callback
    the phone line registered (reason "callback") waits for a call, not on a line: it is told nothing."""
    settings = get_settings()

    def find(session: Session) -> List[Tuple[str, str, Dict[str, Any]]]:
        now = m.utcnow()
        notices: List[Tuple[str, str, Dict[str, Any]]] = [
            (p.handoff.channel, p.handoff.conversation_id, {"text": handoff.moved_text(p)})
            for p in handoff.grown_positions(session, settings, now)
            if p.handoff is not None and p.handoff.reason != calls.CALLBACK_REASON]
        for position, item in enumerate(handoff.waiting(session), start=1):
            if item.reason == calls.CALLBACK_REASON:
                continue
            if item.patience_told_at is None and now - item.created_at >= dt.timedelta(minutes=settings.queue_patience_minutes):
                item.patience_told_at = now
                notices.append((item.channel, item.conversation_id, {
                    "text": handoff.patience_text(position, handoff.wait_minutes(session, position, settings, now)),
                    "buttons": [{"title": t, "payload": p} for t, p in handoff.PATIENCE_BUTTONS]}))
        return notices

    notices = await _db(find)
    for channel, conversation_id, message in notices:
        await outbound.deliver(channel, conversation_id, [message])
    return len(notices)


async def run_desk() -> int:
    """The agent desk's pass (``bot/assignment.py``): presence by inactivity, snoozes that ended, conversations
    left unanswered, then round-robin assignment; each customer given to an agent is greeted by them."""
    settings = get_settings()
    done = await _db(lambda session: assignment.sweep(session, settings, m.utcnow()))
    for item in done.assigned:
        await outbound.deliver(item.channel, item.conversation_id, [{"text": item.greeting}])
    if done.released or done.away or done.offline:
        log.info("desk: released %s, away %s, offline %s", done.released, done.away, done.offline)
    return len(done.assigned)


async def forget_web_visitors() -> int:
    """Website visitors whose session ended over a day ago, and what their widget showed (``channels/visitors.py``)."""
    kept = dt.timedelta(hours=get_settings().widget_session_hours + 24)
    return await _db(lambda session: visitors.forget(session, m.utcnow() - kept))
