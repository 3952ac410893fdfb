"""Sixty days of plausible service events, so the demo dashboard and report show something real-looking.

Seeded and deterministic. Written only with the demo data (``db setup`` on an
empty database); a deployment's figures come from its own events.
"""
from __future__ import annotations

import datetime as dt
import random
from typing import List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot import clock
from bot.db import models as m
from bot.db.engine import session_scope
from bot.events import BILLING_INTENTS

CHANNEL_WEIGHTS = {"whatsapp": 0.62, "sms": 0.23, "telegram": 0.15}
INTENTS = list(BILLING_INTENTS) + ["report_outage", "outage_status", "file_complaint", "complaint_status", "greet",
                                   "office_info", "request_agent", "tariff_info"]
NOT_UNDERSTOOD = ["me llego una carta rara", "el vecino se pega de mi contador", "hay promo de paneles",
                  "necesito el paz y salvo", "cambio de estrato", "quiero la factura en braille"]
CATEGORIES = ["facturacion", "calidad_servicio", "danos_electrodomesticos", "medidor", "atencion"]


def seed_history(engine: Engine, seed: int, timezone: str, days: int = 60, per_day: int = 40,
                 today: Optional[dt.date] = None) -> int:
    rng = random.Random(seed)
    zone = ZoneInfo(timezone)
    today = today or clock.today()
    rows: List[m.InteractionEvent] = []
    with session_scope(engine) as session:
        agents = [a.id for a in session.execute(select(m.Agent)).scalars()] or [None]
        for back in range(days, 0, -1):
            day = today - dt.timedelta(days=back)
            for n in range(rng.randint(per_day // 2, per_day)):
                at = dt.datetime.combine(day, dt.time(rng.randint(7, 21), rng.randint(0, 59)), zone).astimezone(dt.timezone.utc)
                channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
                conversation = f"demo-{day:%m%d}-{n}"
                rows += _conversation(rng, at, channel, conversation, agents)
        session.add_all(rows)
    return len(rows)


def _conversation(rng, at, channel, conversation, agents) -> List[m.InteractionEvent]:
    def event(kind, offset_s=0.0, **fields):
        return m.InteractionEvent(kind=kind, at=at + dt.timedelta(seconds=offset_s), channel=channel,
                                  conversation_id=conversation, **fields)

    out = []
    for turn in range(rng.randint(1, 4)):
        t = turn * 40
        out.append(event("message_received", t))
        if rng.random() < 0.07:
            out.append(event("intent", t, intent="nlu_fallback", confidence=round(rng.uniform(0.2, 0.39), 4),
                             text=rng.choice(NOT_UNDERSTOOD)))
            out.append(event("fallback", t, intent="action_default_ask_affirmation"))
        else:
            out.append(event("intent", t, intent=rng.choice(INTENTS), confidence=round(rng.uniform(0.6, 0.99), 4)))
        out.append(event("reply_sent", t + 0.3, latency_ms=int(rng.lognormvariate(5.3, 0.35))))
    if any(e.intent == "high_bill_inquiry" for e in out) and rng.random() < 0.3:
        out.append(event("ticket_created", 200, ticket=f"RC-D{rng.randint(1, 99999):05d}",
                         category="complaint:facturacion"))
    elif rng.random() < 0.05:
        out.append(event("ticket_created", 200, ticket=f"RC-D{rng.randint(1, 99999):05d}",
                         category=f"complaint:{rng.choice(CATEGORIES)}"))
    if rng.random() < 0.12:
        out.append(event("handoff_queued", 220, category="requested"))
        if rng.random() < 0.1:
            out.append(event("handoff_left", 400))
        else:
            agent = rng.choice(agents)
            wait = rng.lognormvariate(4.8, 0.6)
            out.append(event("handoff_taken", 220 + wait, agent_id=agent, latency_ms=int(wait * 1000)))
            out.append(event("agent_first_response", 260 + wait, agent_id=agent, latency_ms=int(rng.uniform(15, 90) * 1000)))
            out.append(event("handoff_closed", 600 + wait, agent_id=agent))
            if rng.random() < 0.6:
                out.append(event("survey_answered", 700 + wait, agent_id=agent, category="handoff",
                                 value=rng.choices([5, 4, 3, 2, 1], [0.5, 0.28, 0.12, 0.06, 0.04])[0]))
    if rng.random() < 0.03:
        days = rng.uniform(2, 25)
        out.append(event("ticket_resolved", 300, ticket=f"RC-D{rng.randint(1, 99999):05d}",
                         category=f"complaint:{rng.choice(CATEGORIES)}", latency_ms=int(days * 86_400_000),
                         value=int(days <= 21)))
    if rng.random() < 0.2:
        out.append(event("notification_sent", 10, category="bill_reminder"))
        if rng.random() < 0.93:
            out.append(event("notification_delivered", 15, category="bill_reminder"))
    return out
