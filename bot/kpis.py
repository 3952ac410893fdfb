"""Service KPIs from the interaction events: responsiveness, containment, billing, complaints, satisfaction, channels.

One function, ``compute``, gives every figure for a date range (local days,
both ends included) and optionally one channel; the dashboard, the API, the
CSV and the monthly report all show its result, so they always agree.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import models as m
from bot.events import BILLING_INTENTS

CHANNELS = ("whatsapp", "sms", "telegram", "voice", "web", "rest")


ByKind = Dict[str, List[m.InteractionEvent]]  # the period's events by kind
Figures = Dict[str, Any]  # a section's figures, as JSON

def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """Linear interpolation between closest ranks (as spreadsheets and numpy do); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: Sequence[float]) -> Optional[float]:
    return sum(values) / len(values) if values else None


def _share(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def bucket(day: dt.date, every: str) -> dt.date:
    if every == "week":
        return day - dt.timedelta(days=day.weekday())
    if every == "month":
        return day.replace(day=1)
    return day


def events_between(session: Session, start: dt.date, end: dt.date, timezone: str,
                   channel: Optional[str] = None) -> List[m.InteractionEvent]:
    zone = ZoneInfo(timezone)
    since = dt.datetime.combine(start, dt.time(0), zone).astimezone(dt.timezone.utc)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.timezone.utc)
    query = select(m.InteractionEvent).where(m.InteractionEvent.at >= since, m.InteractionEvent.at < until)
    if channel:
        query = query.where(m.InteractionEvent.channel == channel)
    return list(session.execute(query.order_by(m.InteractionEvent.at, m.InteractionEvent.id)).scalars())


def compute(session: Session, start: dt.date, end: dt.date, timezone: str, channel: Optional[str] = None,
            every: str = "day", now: Optional[dt.datetime] = None) -> Figures:
    rows = events_between(session, start, end, timezone, channel)
    zone = ZoneInfo(timezone)
    by_kind: Dict[str, List[m.InteractionEvent]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row)
    agents = {a.id: a.full_name for a in session.execute(select(m.Agent)).scalars()}
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat(), "channel": channel or "todos", "every": every},
        "responsiveness": _responsiveness(by_kind),
        "containment": _containment(by_kind),
        "billing": _billing(by_kind),
        "complaints": _complaints(session, by_kind, now or m.utcnow()),
        "satisfaction": _satisfaction(by_kind, agents),
        "channels": _channels(by_kind, zone, every),
    }


def _latencies(rows: Iterable[m.InteractionEvent]) -> List[float]:
    return [row.latency_ms for row in rows if row.latency_ms is not None]


def _responsiveness(by_kind: ByKind) -> Figures:
    replies = _latencies(by_kind["reply_sent"])
    waits = [ms / 1000 for ms in _latencies(by_kind["handoff_taken"])]
    first = [ms / 1000 for ms in _latencies(by_kind["agent_first_response"])]
    return {
        "reply_latency_ms_p50": percentile(replies, 50), "reply_latency_ms_p95": percentile(replies, 95),
        "replies": len(replies),
        "handoff_wait_s_p50": percentile(waits, 50), "handoff_wait_s_p95": percentile(waits, 95),
        "agent_first_response_s_avg": _mean(first), "agent_first_response_s_p50": percentile(first, 50),
        "handoffs_queued": len(by_kind["handoff_queued"]), "handoffs_taken": len(waits),
        "left_queue": len(by_kind["handoff_left"]),
    }


def _containment(by_kind: ByKind) -> Figures:
    conversations = {row.conversation_id for row in by_kind["message_received"]}
    handed = {row.conversation_id for row in by_kind["handoff_queued"]} & conversations
    understood = by_kind["intent"]
    not_understood = Counter((row.text or "").strip().lower() for row in understood if row.intent == "nlu_fallback" and row.text)
    return {
        "conversations": len(conversations), "solved_without_person": len(conversations - handed),
        "containment_rate": _share(len(conversations - handed), len(conversations)),
        "messages_understood": len(understood), "fallbacks": len(by_kind["fallback"]),
        "fallback_rate": _share(len(by_kind["fallback"]), len(understood)),
        "top_not_understood": [{"text": text, "count": count} for text, count in not_understood.most_common(10)],
    }


def _billing(by_kind: ByKind) -> Figures:
    billing = [row for row in by_kind["intent"] if row.intent in BILLING_INTENTS]
    inquiries: Dict[str, dt.datetime] = {}
    for row in by_kind["intent"]:
        if row.intent == "high_bill_inquiry":
            inquiries.setdefault(row.conversation_id, row.at)
    became = {row.conversation_id for row in by_kind["ticket_created"]
              if (row.category or "").startswith("complaint:") and row.conversation_id in inquiries
              and row.at >= inquiries[row.conversation_id]}
    return {
        "billing_questions": len(billing),
        "by_intent": dict(Counter(row.intent for row in billing).most_common()),
        "high_bill_inquiries": len(inquiries), "high_bill_to_complaint": len(became),
        "high_bill_to_complaint_rate": _share(len(became), len(inquiries)),
    }


def _complaints(session: Session, by_kind: ByKind, now: dt.datetime) -> Figures:
    filed = Counter((row.category or "").split(":", 1)[1] for row in by_kind["ticket_created"]
                    if (row.category or "").startswith("complaint:"))
    resolved = by_kind["ticket_resolved"]
    overdue = session.execute(select(m.Complaint).where(
        m.Complaint.status.in_([m.TicketStatus.received, m.TicketStatus.in_progress]), m.Complaint.due_at < now)
        .order_by(m.Complaint.due_at).limit(50)).scalars().all()
    return {
        "filed": sum(filed.values()), "filed_by_category": dict(filed.most_common()),
        "resolved": len(resolved),
        "resolved_within_deadline_rate": _share(sum(row.value or 0 for row in resolved), len(resolved)),
        "resolution_days_avg": _mean([row.latency_ms / 86_400_000 for row in resolved if row.latency_ms is not None]),
        "overdue": [{"ticket": c.ticket, "category": c.category, "due_at": c.due_at.isoformat(),
                     "days_late": (now - c.due_at).days} for c in overdue],
    }


def _satisfaction(by_kind: ByKind, agents: Dict[int, str]) -> Figures:
    answers = by_kind["survey_answered"]
    scores = [row.value for row in answers if row.value]
    per_channel: Dict[str, List[int]] = defaultdict(list)
    per_agent: Dict[str, List[int]] = defaultdict(list)
    for row in answers:
        if row.value:
            per_channel[row.channel or "—"].append(row.value)
            if row.agent_id:
                per_agent[agents.get(row.agent_id, str(row.agent_id))].append(row.value)
    return {
        "answers": len(scores), "average": _mean(scores),
        "distribution": {str(score): scores.count(score) for score in range(1, 6)},
        "by_channel": {name: {"average": _mean(v), "answers": len(v)} for name, v in sorted(per_channel.items())},
        "by_agent": {name: {"average": _mean(v), "answers": len(v)} for name, v in sorted(per_agent.items())},
    }


def _channels(by_kind: ByKind, zone: ZoneInfo, every: str) -> Figures:
    mix: Dict[str, Counter[str]] = defaultdict(Counter)
    for row in by_kind["message_received"]:
        mix[bucket(row.at.astimezone(zone).date(), every).isoformat()][row.channel or "—"] += 1
    totals = Counter(row.channel or "—" for row in by_kind["message_received"])
    return {
        "messages": dict(totals.most_common()),
        "mix_over_time": {period: dict(counts) for period, counts in sorted(mix.items())},
        "notifications_sent": len(by_kind["notification_sent"]),
        "notifications_delivered": len(by_kind["notification_delivered"]),
        "notifications_failed": len(by_kind["notification_failed"]),
    }


def flatten(figures: Figures) -> List[Tuple[str, str, Any]]:
    """(section, figure, value) rows, for CSV."""
    rows = []
    for section, values in figures.items():
        if section == "period":
            continue
        for name, value in values.items():
            if isinstance(value, dict):
                for key, inner in value.items():
                    rows.append((section, f"{name}.{key}", inner if not isinstance(inner, dict) else
                                 "; ".join(f"{k}={v}" for k, v in inner.items())))
            elif isinstance(value, list):
                for item in value:
                    rows.append((section, name, "; ".join(f"{k}={v}" for k, v in item.items())))
            else:
                rows.append((section, name, value))
    return rows
