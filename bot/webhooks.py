"""Outbound webhooks: the utility's systems (the OMS first) told of Luz's events by signed POSTs.

Subscribers are managed like API keys (``python -m bot webhook add|list|revoke``): each has a URL, the
events it wants and a secret of its own. An event is queued as one delivery per subscriber in the caller's
transaction (``publish``), so it is sent only if the work it tells of was committed; the scheduler's
``webhooks`` job sends what is due (``bot/jobs/tasks.py``), claimed so two replicas never send the same one.

Each POST carries the JSON ``{"id", "event", "created_at", "data"}`` and the headers ``X-Luz-Event``,
``X-Luz-Delivery``, ``X-Luz-Timestamp`` and ``X-Luz-Signature: sha256=<hex>``, the HMAC-SHA256 of
``"<timestamp>.<body>"`` with the subscriber's secret (the receiver checks it and refuses old timestamps).
A 2xx answer delivers it; anything else is retried with a growing pause (30 s, 1 min, 2 min...) up to
``MAX_ATTEMPTS``, then the delivery is failed. Every attempt's outcome is recorded; any delivery can be
replayed (``POST /api/v1/webhooks/deliveries/{id}/replay``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import models as m

log = logging.getLogger(__name__)
EVENTS = ("suspected_outage.opened", "suspected_outage.merged")
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(seconds=30)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CLAIM_LEASE = dt.timedelta(minutes=5)  # a claimed delivery is due again after this if its round never recorded it


def add_subscriber(session: Session, name: str, url: str, events: str = "*") -> Tuple[m.WebhookSubscriber, str]:
    """A new subscriber and its secret (shown once to whoever adds it)."""
    address = urlsplit(url)
    if address.scheme != "https" and not (address.scheme == "http" and address.hostname in LOOPBACK):
        raise ValueError("the URL must be https:// (http only to this machine, for development)")
    unknown = [event for event in _split(events) if event != "*" and event not in EVENTS]
    if unknown:
        raise ValueError(f"unknown events: {', '.join(unknown)} (known: {', '.join(EVENTS)})")
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscriber = m.WebhookSubscriber(name=name, url=url, secret=secret, events=events, created_at=m.utcnow())
    session.add(subscriber)
    session.flush()
    return subscriber, secret


def publish(session: Session, event: str, data: Dict[str, Any], now: dt.datetime) -> int:
    """Queues the event for every active subscriber that wants it; how many deliveries."""
    queued = 0
    for subscriber in session.execute(select(m.WebhookSubscriber).where(m.WebhookSubscriber.revoked_at.is_(None))).scalars():
        wanted = _split(subscriber.events)
        if "*" in wanted or event in wanted:
            session.add(m.WebhookDelivery(subscriber_id=subscriber.id, event=event, status="queued", attempts=0,
                                          payload={"event": event, "created_at": now.isoformat(), "data": data},
                                          next_attempt_at=now, created_at=now))
            queued += 1
    return queued


def replay(session: Session, delivery_id: int, now: dt.datetime) -> Optional[m.WebhookDelivery]:
    """A new delivery of the same event to the same subscriber, due now; None when there is no such delivery."""
    original = session.get(m.WebhookDelivery, delivery_id)
    if original is None:
        return None
    again = m.WebhookDelivery(subscriber_id=original.subscriber_id, event=original.event, payload=original.payload,
                              status="queued", attempts=0, next_attempt_at=now, created_at=now, replay_of=original.id)
    session.add(again)
    session.flush()
    return again


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def delivery_json(delivery: m.WebhookDelivery) -> Dict[str, Any]:
    return {"id": delivery.id, "subscriber": delivery.subscriber.name, "event": delivery.event,
            "status": delivery.status, "attempts": delivery.attempts, "last_status": delivery.last_status,
            "last_error": delivery.last_error, "created_at": delivery.created_at.isoformat(),
            "next_attempt_at": delivery.next_attempt_at.isoformat() if delivery.status == "queued" else None,
            "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
            "replay_of": delivery.replay_of}


class Outgoing:
    """One claimed delivery, with what its POST needs (read inside the claiming transaction)."""

    def __init__(self, delivery: m.WebhookDelivery) -> None:
        self.id, self.url, self.secret, self.event = delivery.id, delivery.subscriber.url, delivery.subscriber.secret, delivery.event
        self.body = json.dumps({"id": delivery.id, **delivery.payload}, ensure_ascii=False, separators=(",", ":")).encode()


def claim_due(session: Session, now: dt.datetime, batch: int = 50) -> List[Outgoing]:
    """The deliveries due now, claimed for this round (``FOR UPDATE SKIP LOCKED``; SQLite has one writer)."""
    query = (select(m.WebhookDelivery)
             .join(m.WebhookSubscriber, m.WebhookSubscriber.id == m.WebhookDelivery.subscriber_id)
             .where(m.WebhookDelivery.status == "queued", m.WebhookDelivery.next_attempt_at <= now,
                    m.WebhookSubscriber.revoked_at.is_(None))  # a revoked subscriber is sent nothing more
             .order_by(m.WebhookDelivery.id).limit(batch))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=m.WebhookDelivery)
    due = list(session.execute(query).scalars())
    claimed = [Outgoing(delivery) for delivery in due]
    for delivery in due:
        delivery.next_attempt_at = now + CLAIM_LEASE
    return claimed


def headers(outgoing: Outgoing, now: dt.datetime) -> Dict[str, str]:
    """What a delivery's POST says about itself, its signature included."""
    timestamp = str(int(now.timestamp()))
    return {"Content-Type": "application/json", "User-Agent": "Luz-Webhooks/1", "X-Luz-Event": outgoing.event,
            "X-Luz-Delivery": str(outgoing.id), "X-Luz-Timestamp": timestamp,
            "X-Luz-Signature": signature(outgoing.secret, timestamp, outgoing.body)}


def record(session: Session, delivery_id: int, status: Optional[int], error: Optional[str], now: dt.datetime) -> None:
    delivery = session.get(m.WebhookDelivery, delivery_id)
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = status, error
    if error is None:
        delivery.status, delivery.delivered_at = "delivered", now
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
        log.error("webhook delivery %s (%s) failed after %s attempts: %s", delivery.id, delivery.event, delivery.attempts, error)
    else:
        delivery.next_attempt_at = now + FIRST_RETRY * 2 ** (delivery.attempts - 1)


def _split(events: str) -> List[str]:
    return [event.strip() for event in events.split(",") if event.strip()]
