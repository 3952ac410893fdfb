"""Recording what happens in the service as ``InteractionEvent`` rows: the KPIs' only source.

``record`` adds to the caller's transaction (so an event exists exactly when
what it describes was committed); ``record_now`` opens its own, for the
channels' hot path, and never raises: a lost metric must not cost a reply.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from sqlalchemy.orm import Session

from bot.db import models as m
from bot.db.engine import engine_for, session_scope

log = logging.getLogger(__name__)
BILLING_INTENTS = ("check_balance", "high_bill_inquiry", "request_bill_copy", "pay_bill", "report_payment",
                   "payment_arrangement", "consumption_history")


def record(session: Session, kind: str, **fields: Any) -> m.InteractionEvent:
    if fields.get("text"):
        fields["text"] = str(fields["text"])[:300]
    event = m.InteractionEvent(kind=kind, **{k: v for k, v in fields.items() if v is not None})
    session.add(event)
    return event


def record_now(database_url: str, kind: str, **fields: Any) -> None:
    try:
        with session_scope(engine_for(database_url)) as session:
            record(session, kind, **fields)
    except Exception:  # noqa: BLE001 - metrics are best effort on the reply path
        log.exception("could not record %s event", kind)


def ticket_kind(ticket: Optional[str]) -> Optional[str]:
    return ticket.split("-", 1)[0] if ticket else None


def record_turn(database_url: str, channel: str, conversation_id: str, latency_ms: Optional[int]) -> None:
    """A customer message and, when it was answered, the reply's latency; one transaction, never raises."""
    try:
        with session_scope(engine_for(database_url)) as session:
            record(session, "message_received", channel=channel, conversation_id=conversation_id)
            if latency_ms is not None:
                record(session, "reply_sent", channel=channel, conversation_id=conversation_id, latency_ms=latency_ms)
    except Exception:  # noqa: BLE001 - metrics are best effort on the reply path
        log.exception("could not record the turn of %s", conversation_id)
