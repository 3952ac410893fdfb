"""The handoff queue: who waits for a person, in which order, and what they are told.

Order: hazards first, then electro-dependent (medical) customers, then everyone
else by waiting time. Taking a conversation is one conditional UPDATE, so two
agents can never take the same one. Every function works on an open session;
callers own the transaction.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import FrozenSet, List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import events, records
from bot.db import models as m
from bot.formatting import time_of_day
from bot.settings import Settings
from bot.text import normalise

PRIORITY_HAZARD, PRIORITY_MEDICAL, PRIORITY_NORMAL = 0, 1, 2
PRIORITY_LABELS = {PRIORITY_HAZARD: "Emergencia", PRIORITY_MEDICAL: "Electrodependiente", PRIORITY_NORMAL: "Normal"}
REASON_LABELS = {"requested": "Pidió un asesor", "fallback": "Luz no entendió", "hazard": "Peligro reportado",
                 "upset": "Cliente molesto", "callback": "Pidió que lo llamen"}
ONLINE_WINDOW = dt.timedelta(minutes=2)
SURVEY_WINDOW = dt.timedelta(hours=24)
EXIT_WORDS = {"salir", "volver al asistente", "volver con luz", "hablar con luz", "volver al bot", "salir de la fila"}
DAY_NAMES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]


@dataclass(frozen=True)
class AgentHours:
    """When people attend the queue: ``"07:00-19:00"`` on ISO weekdays ``"1-6"``."""

    start: dt.time
    end: dt.time
    days: FrozenSet[int]

    @classmethod
    def parse(cls, hours: str, days: str) -> AgentHours:
        start, end = (part.strip() for part in hours.split("-"))
        first, _, last = days.partition("-")
        return cls(_clock(start), _clock(end), frozenset(range(int(first), int(last or first) + 1)))

    def open_at(self, local: dt.datetime) -> bool:
        return local.isoweekday() in self.days and self.start <= local.time() < self.end

    def closing(self, local: dt.datetime) -> Optional[dt.datetime]:
        """When today's attention ends, for a moment within it (None: open until midnight, or closed now)."""
        if not self.open_at(local) or self.end == dt.time.max:
            return None
        return dt.datetime.combine(local.date(), self.end, local.tzinfo)

    def describe(self) -> str:
        days = sorted(self.days)
        span = DAY_NAMES[days[0] - 1] if len(days) == 1 else f"de {DAY_NAMES[days[0] - 1]} a {DAY_NAMES[days[-1] - 1]}"
        return f"{span} de {self.start:%H:%M} a {'24:00' if self.end == dt.time.max else f'{self.end:%H:%M}'}"


def _clock(text: str) -> dt.time:
    return dt.time.max if text == "24:00" else dt.time.fromisoformat(text)


@dataclass
class Placement:
    """What a customer asking for a person is told: a place in the queue, or that nobody can come now."""

    handoff: Optional[m.Handoff]
    created: bool
    position: int = 0
    wait_minutes: int = 0
    hours: str = ""
    closes_at: Optional[dt.datetime] = None  # local: attention ends before the estimated wait does
    attended_now: bool = True  # False: a hazard queued out of hours or with nobody signed in
    emergency_phone: str = ""

    @property
    def queued(self) -> bool:
        return self.handoff is not None


def open_handoff(session: Session, conversation_id: str) -> Optional[m.Handoff]:
    return session.execute(
        select(m.Handoff).where(m.Handoff.conversation_id == conversation_id, m.Handoff.status.in_(m.OPEN_HANDOFF))
        .order_by(m.Handoff.id.desc())
    ).scalars().first()


def agents_online(session: Session, now: dt.datetime) -> int:
    return session.execute(
        select(func.count(m.Agent.id)).where(m.Agent.active.is_(True), m.Agent.last_seen_at >= now - ONLINE_WINDOW)
    ).scalar_one()


def waiting(session: Session) -> List[m.Handoff]:
    """The queue in the order agents should take it."""
    return list(session.execute(
        select(m.Handoff).where(m.Handoff.status == m.HandoffStatus.queued)
        .order_by(m.Handoff.priority, m.Handoff.created_at, m.Handoff.id)
    ).scalars())


def position_of(session: Session, handoff: m.Handoff) -> int:
    """1 for the next to be served; 0 when not waiting."""
    queue = waiting(session)
    return next((index + 1 for index, item in enumerate(queue) if item.id == handoff.id), 0)


def agents_available(session: Session, now: dt.datetime) -> int:
    """Agents who chose to receive conversations (presence online) and whose console is open."""
    return session.execute(
        select(func.count(m.Agent.id)).where(m.Agent.active.is_(True), m.Agent.presence == "online",
                                             m.Agent.last_seen_at >= now - ONLINE_WINDOW)
    ).scalar_one()


def free_places(session: Session, settings: Settings, now: dt.datetime) -> int:
    """Conversations the available agents can still be given before reaching their caps (``bot/assignment.py``)."""
    from bot import assignment  # it builds on this module

    agents = assignment.available_agents(session, now)
    counts = assignment.open_counts(session, [agent.id for agent in agents])
    return sum(max(0, assignment.cap_of(agent, settings) - counts[agent.id]) for agent in agents)


def wait_minutes(session: Session, position: int, settings: Settings, now: dt.datetime) -> int:
    """About a minute when an available agent has room for this place (the desk assigns it in seconds); otherwise
    position times the average handling time, shared among the available agents (those signed in when nobody
    chose to be available: they take conversations from the queue by hand)."""
    if position <= free_places(session, settings, now):
        return 1
    agents = max(1, agents_available(session, now) or agents_online(session, now))
    return max(1, math.ceil(position * settings.handle_minutes / agents))


def request(
    session: Session, *, conversation_id: str, channel: str, reason: str, settings: Settings,
    phone: Optional[str] = None, account_number: Optional[str] = None, summary: Optional[str] = None,
    now: Optional[dt.datetime] = None,
) -> Placement:
    """Puts a conversation in the queue, or says nobody can attend now (out of hours, no agent online).

    Hazards always queue: a danger is never told to come back tomorrow. A conversation
    already waiting keeps its place (a hazard raises its priority).
    """
    now = now or m.utcnow()
    hours = AgentHours.parse(settings.agent_hours, settings.agent_days)
    existing = open_handoff(session, conversation_id)
    if existing is not None:
        if reason == "hazard" and existing.priority > PRIORITY_HAZARD:
            existing.priority, existing.reason = PRIORITY_HAZARD, reason
        return _placement(session, existing, False, settings, now, hours)
    available = hours.open_at(now.astimezone(ZoneInfo(settings.timezone))) and agents_online(session, now) > 0
    if not available and reason != "hazard":
        return Placement(None, False, hours=hours.describe())
    customer = _customer(session, phone, account_number)
    priority = PRIORITY_HAZARD if reason == "hazard" else (
        PRIORITY_MEDICAL if customer is not None and customer.electro_dependent else PRIORITY_NORMAL)
    handoff = m.Handoff(conversation_id=conversation_id, channel=channel, reason=reason, priority=priority,
                        customer_id=customer.id if customer else None, account_number=account_number,
                        summary=(summary or "")[:500] or None, created_at=now)
    session.add(handoff)
    session.flush()
    placement = _placement(session, handoff, True, settings, now, hours)
    handoff.told_position = placement.position
    events.record(session, "handoff_queued", at=now, channel=channel, conversation_id=conversation_id, category=reason)
    return placement


def _placement(session: Session, handoff: m.Handoff, created: bool, settings: Settings, now: dt.datetime,
               hours: AgentHours) -> Placement:
    """The place and wait as they can honestly be told: a wait that runs past closing time says so."""
    position = position_of(session, handoff)
    wait = wait_minutes(session, position, settings, now) if position else 0
    local = now.astimezone(ZoneInfo(settings.timezone))
    attended = hours.open_at(local) and agents_online(session, now) > 0
    closing = hours.closing(local) if attended else None
    closes_at = closing if closing is not None and local + dt.timedelta(minutes=wait) > closing else None
    return Placement(handoff, created, position, wait, hours.describe(), closes_at, attended, settings.agent_phone)


def _customer(session: Session, phone: Optional[str], account_number: Optional[str]) -> Optional[m.Customer]:
    if account_number:
        account = records.account_by_number(session, account_number)
        if account is not None and (not phone or records.phone_owns_account(session, phone, account)):
            return account.customer
    accounts = records.accounts_for_phone(session, phone) if phone else []
    return accounts[0].customer if accounts else None


def grown_positions(session: Session, settings: Settings, now: Optional[dt.datetime] = None) -> List[Placement]:
    """Waiting customers whose place moved back since they were last told (someone urgent came in).

    Each is returned once per change, with its new place; the new place is remembered.
    """
    now = now or m.utcnow()
    hours = AgentHours.parse(settings.agent_hours, settings.agent_days)
    grown = []
    for position, handoff in enumerate(waiting(session), start=1):
        if handoff.told_position is not None and position > handoff.told_position:
            grown.append(Placement(handoff, False, position, wait_minutes(session, position, settings, now), hours.describe()))
        handoff.told_position = position
    return grown


def take(session: Session, handoff_id: int, agent: m.Agent, now: Optional[dt.datetime] = None) -> bool:
    """Assigns a waiting conversation to an agent; False when someone else was first."""
    now = now or m.utcnow()
    first = session.execute(select(m.Handoff.taken_at).where(m.Handoff.id == handoff_id)).scalar() is None
    result = session.execute(
        update(m.Handoff).where(m.Handoff.id == handoff_id, m.Handoff.status == m.HandoffStatus.queued)
        .values(status=m.HandoffStatus.assigned, agent_id=agent.id, taken_at=func.coalesce(m.Handoff.taken_at, now),
                assigned_at=now, awaiting_since=now, desk_status="open", snoozed_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    taken = session.get(m.Handoff, handoff_id)
    session.refresh(taken)
    if first:  # a conversation given back to the queue and taken again is one wait, counted once
        events.record(session, "handoff_taken", at=now, channel=taken.channel, conversation_id=taken.conversation_id,
                      agent_id=agent.id, latency_ms=_ms(now - taken.created_at))
    return True


def _ms(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def add_message(session: Session, handoff: m.Handoff, kind: str, body: str, agent: Optional[m.Agent] = None,
                now: Optional[dt.datetime] = None) -> m.HandoffMessage:
    now = now or m.utcnow()
    message = m.HandoffMessage(handoff_id=handoff.id, kind=kind, body=body, agent_id=agent.id if agent else None,
                               created_at=now)
    session.add(message)
    if kind == "customer" and handoff.status == m.HandoffStatus.assigned:
        handoff.awaiting_since = handoff.awaiting_since or now  # the agent owes an answer (bot/assignment.py)
        if handoff.desk_status in ("pending", "snoozed"):
            handoff.desk_status, handoff.snoozed_until = "open", None  # the customer wrote: back to the agent
    if kind == "agent":
        handoff.awaiting_since = None
    if kind == "agent" and handoff.first_response_at is None:
        handoff.first_response_at = now
        events.record(session, "agent_first_response", at=now, channel=handoff.channel, agent_id=handoff.agent_id,
                      conversation_id=handoff.conversation_id, latency_ms=_ms(now - (handoff.taken_at or handoff.created_at)))
    session.flush()
    return message


def transfer(session: Session, handoff: m.Handoff, from_agent: m.Agent, to_agent: m.Agent) -> None:
    now = m.utcnow()
    handoff.previous_agent_id, handoff.agent_id, handoff.assigned_at = handoff.agent_id, to_agent.id, now
    if handoff.awaiting_since is not None:
        handoff.awaiting_since = now  # the colleague gets the same time to answer
    add_message(session, handoff, "system", f"{from_agent.full_name} transfirió la conversación a {to_agent.full_name}.")


def close(session: Session, handoff: m.Handoff, agent: m.Agent, resolution: str,
          now: Optional[dt.datetime] = None) -> m.Survey:
    """Ends the handoff and opens its satisfaction survey; the assistant answers again."""
    now = now or m.utcnow()
    handoff.status, handoff.closed_at, handoff.resolution = m.HandoffStatus.closed, now, resolution.strip()[:2000]
    handoff.desk_status, handoff.awaiting_since, handoff.snoozed_until = "resolved", None, None
    add_message(session, handoff, "system", f"{agent.full_name} cerró la conversación: {handoff.resolution}", now=now)
    events.record(session, "handoff_closed", at=now, channel=handoff.channel, conversation_id=handoff.conversation_id,
                  agent_id=handoff.agent_id)
    survey = m.Survey(conversation_id=handoff.conversation_id, channel=handoff.channel, subject="handoff",
                      handoff_id=handoff.id, agent_id=handoff.agent_id, asked_at=now)
    session.add(survey)
    session.flush()
    return survey


def leave(session: Session, handoff: m.Handoff, now: Optional[dt.datetime] = None) -> None:
    """The customer went back to the assistant."""
    handoff.status, handoff.closed_at = m.HandoffStatus.left, now or m.utcnow()
    handoff.desk_status, handoff.awaiting_since = "resolved", None
    handoff.resolution = handoff.resolution or "El cliente volvió al asistente."
    add_message(session, handoff, "system", "El cliente escribió «salir» y volvió al asistente.")
    if handoff.taken_at is None:  # left before anyone took it: a customer who left the queue
        events.record(session, "handoff_left", at=handoff.closed_at, channel=handoff.channel,
                      conversation_id=handoff.conversation_id)


def divert(session: Session, handoff: m.Handoff, now: Optional[dt.datetime] = None) -> None:
    """The customer chose a callback or a case instead of waiting."""
    handoff.status, handoff.closed_at = m.HandoffStatus.diverted, now or m.utcnow()
    handoff.desk_status, handoff.awaiting_since = "resolved", None
    handoff.resolution = handoff.resolution or "El cliente pidió una llamada o dejar su caso en vez de esperar."
    add_message(session, handoff, "system", "El cliente dejó la fila: pidió una llamada o dejar su caso.")
    events.record(session, "handoff_left", at=handoff.closed_at, channel=handoff.channel,
                  conversation_id=handoff.conversation_id, category="diverted")


def pending_survey(session: Session, conversation_id: str, now: Optional[dt.datetime] = None) -> Optional[m.Survey]:
    now = now or m.utcnow()
    return session.execute(
        select(m.Survey).where(m.Survey.conversation_id == conversation_id, m.Survey.answered_at.is_(None),
                               m.Survey.asked_at >= now - SURVEY_WINDOW)
        .order_by(m.Survey.id.desc())
    ).scalars().first()


SCORE_WORDS = {"muy mala": 1, "muy malo": 1, "mala": 2, "malo": 2, "regular": 3, "buena": 4, "bueno": 4, "bien": 4,
               "excelente": 5, "muy buena": 5, "muy bueno": 5}


def score_of(text: str) -> Optional[int]:
    """A survey answer: "5", "5 estrellas", "excelente"; None for anything else."""
    plain = normalise(text)
    found = re.fullmatch(r"([1-5])(?: ?(?:estrellas?|puntos?|de 5|/5))?", plain)
    if found:
        return int(found.group(1))
    return SCORE_WORDS.get(plain)


def touch(session: Session, agent: m.Agent, now: Optional[dt.datetime] = None) -> None:
    """An agent's console is open: they count as online for the queue."""
    agent.last_seen_at = now or m.utcnow()


# What the customer reads -----------------------------------------------------------------------

CALLBACK_PAYLOAD = '/request_agent{"contact_preference": "callback"}'
CASE_PAYLOAD = '/request_agent{"contact_preference": "case"}'
SURVEY_OPTIONS = [("Excelente", "5"), ("Buena", "4"), ("Regular", "3"), ("Mala", "2"), ("Muy mala", "1")]


def queued_text(placement: Placement) -> str:
    if not placement.attended_now:  # a hazard out of hours: no minutes can be promised
        return ("Tu caso quedó de primero para nuestro equipo de emergencias, que te escribirá por este mismo chat "
                f"apenas pueda. Si el peligro aumenta, llama a nuestra línea de emergencias {placement.emergency_phone} "
                "(24 horas). "
                "Si prefieres volver conmigo, escribe «salir».")
    minutes = "1 minuto" if placement.wait_minutes == 1 else f"{placement.wait_minutes} minutos"
    if placement.position == 1:
        place = f"Eres el siguiente en la fila (unos {minutes})."
    else:
        place = f"Estás en el turno {placement.position} y la espera estimada es de unos {minutes}."
    if placement.closes_at is not None:
        place += (f" Nuestro horario de atención termina hoy a las {time_of_day(placement.closes_at)}, así que quizá "
                  "no alcancemos a atenderte hoy: si prefieres, te llamamos o dejamos tu caso registrado.")
    return (f"Te comunico con una persona de nuestro equipo. {place} Te escribirá por este mismo chat. "
            "Si prefieres volver conmigo, escribe «salir».")


def moved_text(placement: Placement) -> str:
    return (f"Te aviso que tu turno cambió: ahora eres el {placement.position} (unos {placement.wait_minutes} minutos), "
            "porque atendemos primero una emergencia o a un cliente con prioridad médica. Gracias por esperar.")


def unavailable_text(placement: Placement) -> str:
    return (f"En este momento no hay asesores disponibles (atendemos {placement.hours}). "
            "Puedo pedir que te llamemos en cuanto abramos, o dejar tu caso registrado para que te respondan por aquí.")


UNAVAILABLE_BUTTONS = [("Que me llamen", CALLBACK_PAYLOAD), ("Dejar mi caso", CASE_PAYLOAD), ("Seguir con Luz", "/help")]
PATIENCE_BUTTONS = [("Que me llamen", CALLBACK_PAYLOAD), ("Dejar mi caso", CASE_PAYLOAD), ("Sigo esperando", "sigo esperando")]


def patience_text(position: int, wait: int) -> str:
    return (f"Gracias por esperar. Sigues en la fila (turno {position}, unos {wait} minutos más). Si prefieres no esperar, "
            "te llamamos o dejamos tu caso registrado.")


LEFT_TEXT = "Listo, volviste conmigo, Luz, la asistente virtual. ¿En qué te ayudo?"
SURVEY_TEXT = ("Gracias por tu paciencia. Volviste con Luz, la asistente virtual. "
               "¿Cómo calificas la atención que recibiste? Elige de 5 (excelente) a 1 (muy mala).")
SURVEY_THANKS = "¡Gracias por tu calificación! Nos ayuda a mejorar. ¿Te ayudo con algo más?"


def taken_text(agent: m.Agent) -> str:
    return f"Hola, soy {agent.full_name.split()[0]}, de Energía del Valle. Ya tengo tu conversación; cuéntame, ¿en qué te ayudo?"


def agent_text(agent: m.Agent, body: str) -> str:
    return f"{agent.full_name.split()[0]}: {body}"
