"""Sends the notifications that are due: within each provider's rate, by the WhatsApp rules, with retries.

WhatsApp allows free text only within 24 hours of the customer's last message;
outside it only an approved template may go (``LUZ_WHATSAPP_TEMPLATES``), and
without one the notice goes by SMS. Provider errors that may pass (5xx, 429,
network) are retried with a growing pause; others fail at once. The row's
status always says where a notification is.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from aiolimiter import AsyncLimiter
from sqlalchemy import select, update

from bot import events
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.notifications import HIDDEN_BODY, SECRET_KINDS, opted_out
from bot.settings import Settings
from channels import outbound
from channels.render import Delivery

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
FIRST_RETRY = dt.timedelta(seconds=30)
WHATSAPP_WINDOW = dt.timedelta(hours=24)
CONCURRENCY = 50  # sends in flight at once in one dispatcher (each still within its provider's rate)
CLAIM_LEASE = dt.timedelta(minutes=30)  # a claimed notice is due again after this if its round never recorded it


@dataclass
class Plan:
    """How one due notification goes out."""

    id: int
    channel: Optional[str]
    address: Optional[str]
    messages: List[Dict]
    template: Optional[tuple] = None
    skip: Optional[str] = None


class Dispatcher:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = engine_for(settings.database_url)
        self.limits = {"twilio": AsyncLimiter(settings.rate_twilio, 1), "telegram": AsyncLimiter(settings.rate_telegram, 1)}
        self._lock = asyncio.Lock()
        self._in_flight = asyncio.Semaphore(CONCURRENCY)

    def _plans(self, now: dt.datetime, batch: int) -> List[Plan]:
        """Claims the due notifications for this round: another dispatcher (another replica, a second
        scheduler) never picks the same ones. PostgreSQL: ``FOR UPDATE SKIP LOCKED``, then the claimed rows
        leave the due set (``not_before`` moved a lease ahead) before the locks are let go; SQLite has one
        writer, taken first, so the rows read are the latest and nobody else claims until the commit. A
        notice claimed by a dispatcher that stopped before recording it is due again after the lease."""
        with session_scope(self.engine) as session:
            due_now = (select(m.Notification).where(
                m.Notification.status == m.NotificationStatus.queued, m.Notification.not_before <= now)
                .order_by(m.Notification.id).limit(batch))
            if session.get_bind().dialect.name == "postgresql":
                due_now = due_now.with_for_update(skip_locked=True)
            else:
                session.execute(update(m.Notification).where(m.Notification.id == -1).values(attempts=m.Notification.attempts))
            due = session.execute(due_now).scalars().all()
            plans = [self._plan(session, item, now) for item in due]
            for item in due:
                item.not_before = now + CLAIM_LEASE
            return plans

    def _plan(self, session, item: m.Notification, now: dt.datetime) -> Plan:
        plan = Plan(item.id, item.channel, item.address, [{"text": item.body, "buttons": item.buttons or []}])
        if item.expires_at is not None and now >= item.expires_at:
            plan.skip = "venció antes de enviarse"
        elif item.channel == "whatsapp" and not self._window_open(session, item.address, now):
            template = self.settings.template_for(item.kind)
            if template:
                plan.template = (template, item.variables or {})
            elif outbound.can_deliver("sms") and not opted_out(session, "sms", item.address):
                plan.channel = "sms"  # no approved template for this notice: a text message instead
            else:
                plan.skip = "fuera de la ventana de 24 h de WhatsApp y sin plantilla aprobada"
        return plan

    @staticmethod
    def _window_open(session, phone: str, now: dt.datetime) -> bool:
        return session.execute(select(m.InboundMessage.id).where(
            m.InboundMessage.channel == "whatsapp", m.InboundMessage.sender == phone,
            m.InboundMessage.received_at >= now - WHATSAPP_WINDOW)).first() is not None

    async def run_once(self, now: Optional[dt.datetime] = None, batch: int = 200, budget: float = 4.5) -> int:
        """Sends what is due, round after round while a full batch keeps coming and ``budget`` seconds last (a
        storm's backlog drains at the providers' rates, not one batch per tick); how many were handled. Within a
        round up to ``CONCURRENCY`` sends are in flight, each within its provider's rate; a round's outcomes are
        recorded in one transaction. With ``now`` given (tests), one round."""
        async with self._lock:  # one round at a time here; other dispatchers never claim the same rows
            handled, started = 0, time.monotonic()
            while True:
                at = now or m.utcnow()
                plans = await asyncio.to_thread(self._plans, at, batch)
                outcomes = await asyncio.gather(*(self._send(plan) for plan in plans))
                await asyncio.to_thread(self._record_all, outcomes, at)
                handled += len(plans)
                if now is not None or len(plans) < batch or time.monotonic() - started > budget:
                    return handled

    async def _send(self, plan: Plan) -> Tuple[Plan, List[Delivery], Optional[str]]:
        if plan.skip:
            return plan, [], plan.skip
        if plan.channel is None or plan.address is None:  # a plan without a way out is skipped above
            raise LookupError(f"notification {plan.id} has no channel or address")
        async with self._in_flight, self.limits["telegram" if plan.channel == "telegram" else "twilio"]:
            try:
                return plan, await outbound.deliver_all(plan.channel, plan.address, plan.messages, plan.template), None
            except Exception as error:  # noqa: BLE001 - one notice's fault must not lose the round's records
                log.exception("notification %s: sending failed", plan.id)
                return plan, [Delivery(None, f"error interno: {type(error).__name__}", retryable=True)], None

    def _record_all(self, outcomes: List[Tuple[Plan, List[Delivery], Optional[str]]], now: dt.datetime) -> None:
        with session_scope(self.engine) as session:
            for plan, deliveries, skipped in outcomes:
                self._record_in(session, plan, deliveries, skipped, now)

    def _record(self, plan: Plan, deliveries: List[Delivery], skipped: Optional[str], now: dt.datetime) -> None:
        with session_scope(self.engine) as session:
            self._record_in(session, plan, deliveries, skipped, now)

    @staticmethod
    def _record_in(session, plan: Plan, deliveries: List[Delivery], skipped: Optional[str], now: dt.datetime) -> None:
        item = session.get(m.Notification, plan.id)
        item.attempts += 0 if skipped else 1
        item.channel = plan.channel
        item.template_id = plan.template[0] if plan.template else None
        if skipped:
            item.status, item.error = m.NotificationStatus.skipped, skipped
        elif deliveries and all(d.ok for d in deliveries):
            item.status, item.provider_id, item.sent_at, item.error = (
                m.NotificationStatus.sent, deliveries[0].provider_id, now, None)
            events.record(session, "notification_sent", at=now, channel=item.channel, category=item.kind)
        else:
            failed = next((d for d in deliveries if not d.ok), Delivery(None, "sin respuesta"))
            item.error = failed.error
            if failed.retryable and item.attempts < MAX_ATTEMPTS:
                item.not_before = now + FIRST_RETRY * 2 ** (item.attempts - 1)
                log.warning("notification %s: provider error %s, retry %s at %s", item.id, failed.error,
                            item.attempts, item.not_before)
            else:
                item.status = m.NotificationStatus.failed
                events.record(session, "notification_failed", at=now, channel=item.channel, category=item.kind)
        if item.kind in SECRET_KINDS and item.status != m.NotificationStatus.queued:
            item.body = HIDDEN_BODY

