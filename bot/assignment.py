"""Who gets which conversation: agents' presence, round robin with a cap, and reassignment.

An agent is *available* when they chose to be (presence ``online``) and their console is open (seen
within ``handoff.ONLINE_WINDOW``). Waiting conversations, in the queue's order (hazards, electro-dependent
customers, then waiting time), go to the available agent with room (fewer open conversations than their
cap, ``LUZ_AGENT_MAX_OPEN`` unless the agent has their own) whose last assignment is the oldest: a round
robin that skips whoever is full. Each assignment is ``handoff.take``'s conditional UPDATE, so a hand
taking the same conversation at once from the queue page never doubles it.

A conversation whose customer waits for an answer goes back to the queue, and so to the next agent, when
its agent goes away or offline (by choice, after ``LUZ_AGENT_AWAY_MINUTES`` without doing anything, or
with the console closed) or leaves it unanswered ``LUZ_AGENT_ANSWER_MINUTES`` while someone else could
take it. ``sweep`` does all of it; the scheduler runs it every few seconds (``bot/jobs/tasks.py``), with
the time from ``bot.clock``. Every function works on an open session; callers own the transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional

from sqlalchemy import func, select, text, update

from bot import handoff as queue
from bot.db import models as m
from bot.settings import Settings

ONLINE, AWAY, OFFLINE = "online", "away", "offline"
PRESENCE_LABELS = {ONLINE: "Disponible", AWAY: "Ausente", OFFLINE: "Desconectado"}


@dataclass
class Assigned:
    """A conversation just given to an agent: the customer is greeted on their channel."""

    handoff_id: int
    agent_id: int
    channel: str
    conversation_id: str
    greeting: str


@dataclass
class Sweep:
    """What one pass changed: assignments to announce, conversations released, agents now away or offline."""

    assigned: List[Assigned] = field(default_factory=list)
    released: List[int] = field(default_factory=list)
    away: List[int] = field(default_factory=list)
    offline: List[int] = field(default_factory=list)
    woken: List[int] = field(default_factory=list)


def connected(agent: m.Agent, now: dt.datetime) -> bool:
    """The agent's console is open (it keeps ``last_seen_at`` fresh)."""
    return agent.last_seen_at is not None and agent.last_seen_at >= now - queue.ONLINE_WINDOW


def cap_of(agent: m.Agent, settings: Settings) -> int:
    return agent.max_open if agent.max_open is not None else settings.agent_max_open


def open_counts(session, agent_ids: Iterable[int]) -> Dict[int, int]:
    """Open conversations per agent: assigned and not snoozed (a snoozed one waits for its time, not for them)."""
    ids = list(agent_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(m.Handoff.agent_id, func.count(m.Handoff.id))
        .where(m.Handoff.status == m.HandoffStatus.assigned, m.Handoff.agent_id.in_(ids),
               m.Handoff.desk_status != "snoozed")
        .group_by(m.Handoff.agent_id)).all()
    found = {agent_id: count for agent_id, count in rows}
    return {agent_id: found.get(agent_id, 0) for agent_id in ids}


def available_agents(session, now: dt.datetime) -> List[m.Agent]:
    """Agents who chose to receive conversations and whose console is open, in round-robin order."""
    candidates = session.execute(
        select(m.Agent).where(m.Agent.active.is_(True), m.Agent.presence == ONLINE,
                              m.Agent.last_seen_at >= now - queue.ONLINE_WINDOW)).scalars().all()
    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return sorted(candidates, key=lambda agent: (agent.last_assigned_at or epoch, agent.id))


def next_agent(session, settings: Settings, now: dt.datetime, avoid: Optional[int] = None,
               strict: bool = False) -> Optional[m.Agent]:
    """The available agent whose turn it is and who has room; ``avoid`` (who just let it go) only when nobody
    else has room, never when ``strict``."""
    agents = available_agents(session, now)
    counts = open_counts(session, [agent.id for agent in agents])
    with_room = [agent for agent in agents if counts[agent.id] < cap_of(agent, settings)]
    others = [agent for agent in with_room if agent.id != avoid]
    if others or strict:
        return others[0] if others else None
    return with_room[0] if with_room else None


def assign(session, handoff: m.Handoff, agent: m.Agent, now: dt.datetime, by: Optional[m.Agent] = None) -> Optional[Assigned]:
    """Gives a waiting conversation to ``agent`` (None when someone took it first); ``by``: a supervisor's hand."""
    if not queue.take(session, handoff.id, agent, now):
        return None
    taken = session.get(m.Handoff, handoff.id)
    agent.last_assigned_at = now
    who = f"{by.full_name} asignó la conversación a {agent.full_name}." if by is not None else (
        f"Asignada automáticamente a {agent.full_name}.")
    queue.add_message(session, taken, "system", who, now=now)
    return Assigned(taken.id, agent.id, taken.channel, taken.conversation_id, queue.taken_text(agent))


ASSIGNMENT_LOCK = 0x4C757A4465736B  # "LuzDesk": one assignment pass at a time across processes


def serialise(session) -> None:
    """Makes this transaction the only one assigning until it ends, so caps hold when the scheduler's pass and an
    agent going available run at once: PostgreSQL's transaction advisory lock; SQLite's one writer, taken now."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ASSIGNMENT_LOCK})
    else:
        session.execute(update(m.Agent).where(m.Agent.id == -1).values(presence=m.Agent.presence))


def assign_waiting(session, settings: Settings, now: dt.datetime) -> List[Assigned]:
    """Every waiting conversation that an available agent has room for, in the queue's order."""
    serialise(session)
    done: List[Assigned] = []
    for handoff in queue.waiting(session):
        agent = next_agent(session, settings, now, avoid=handoff.previous_agent_id)
        if agent is None:
            break  # nobody has room: the rest wait too
        assigned = assign(session, handoff, agent, now)
        if assigned is not None:
            done.append(assigned)
    return done


def release(session, handoff: m.Handoff, why: str, now: dt.datetime) -> None:
    """Puts an assigned conversation back at its place in the queue (priority and arrival kept) for someone else."""
    handoff.previous_agent_id = handoff.agent_id
    handoff.status, handoff.agent_id, handoff.assigned_at = m.HandoffStatus.queued, None, None
    handoff.desk_status, handoff.snoozed_until = "open", None
    # the queue watcher's "still waiting, want a callback?" is for a first wait, not for one being handed over
    handoff.patience_told_at = handoff.patience_told_at or now
    queue.add_message(session, handoff, "system", why, now=now)


def waiting_for_answer(session, agent_id: int) -> List[m.Handoff]:
    return list(session.execute(select(m.Handoff).where(
        m.Handoff.status == m.HandoffStatus.assigned, m.Handoff.agent_id == agent_id,
        m.Handoff.awaiting_since.is_not(None), m.Handoff.desk_status == "open")).scalars())


def set_presence(session, agent: m.Agent, presence: str, now: dt.datetime, why: str = "") -> List[int]:
    """The agent's presence; leaving «available», or the console, releases the conversations whose customer waits
    for the agent's answer (their ids)."""
    if presence not in PRESENCE_LABELS:
        raise ValueError(f"unknown presence {presence!r}")
    released: List[int] = []
    was = agent.presence
    if presence != was:
        agent.presence, agent.presence_at = presence, now
    if presence == ONLINE:
        agent.last_active_at = now
    elif was == ONLINE or presence == OFFLINE:  # signing in (offline to away) takes nothing from anyone
        for handoff in waiting_for_answer(session, agent.id):
            release(session, handoff, why or f"{agent.full_name} quedó {PRESENCE_LABELS[presence].lower()}: "
                                              "la conversación vuelve a la fila para otra persona.", now)
            released.append(handoff.id)
    return released


def stalled(session, minutes: int, now: dt.datetime) -> List[m.Handoff]:
    """Assigned conversations whose customer has waited ``minutes`` or more for the agent's answer."""
    return list(session.execute(select(m.Handoff).where(
        m.Handoff.status == m.HandoffStatus.assigned, m.Handoff.desk_status == "open",
        m.Handoff.awaiting_since <= now - dt.timedelta(minutes=minutes))
        .order_by(m.Handoff.priority, m.Handoff.awaiting_since)).scalars())


def sweep(session, settings: Settings, now: dt.datetime) -> Sweep:
    """One pass of the desk: presence by inactivity, snoozes that ended, unanswered conversations, then assignment."""
    done = Sweep()
    serialise(session)
    present = session.execute(select(m.Agent).where(m.Agent.presence != OFFLINE)).scalars().all()
    for agent in present:
        if not connected(agent, now) or not agent.active:
            done.released += set_presence(session, agent, OFFLINE, now, f"{agent.full_name} cerró la consola: "
                                          "la conversación vuelve a la fila para otra persona.")
            done.offline.append(agent.id)
        elif agent.presence == ONLINE and (agent.last_active_at or agent.presence_at or now) <= now - dt.timedelta(
                minutes=settings.agent_away_minutes):
            done.released += set_presence(session, agent, AWAY, now, f"{agent.full_name} quedó ausente por inactividad: "
                                          "la conversación vuelve a la fila para otra persona.")
            done.away.append(agent.id)
    for handoff in session.execute(select(m.Handoff).where(
            m.Handoff.status == m.HandoffStatus.assigned, m.Handoff.desk_status == "snoozed",
            m.Handoff.snoozed_until <= now)).scalars():
        handoff.desk_status, handoff.snoozed_until = "open", None
        queue.add_message(session, handoff, "system", "Terminó la pausa: la conversación vuelve a estar abierta.", now=now)
        done.woken.append(handoff.id)
    for handoff in stalled(session, settings.agent_answer_minutes, now):
        if next_agent(session, settings, now, avoid=handoff.agent_id, strict=True) is None:
            continue  # nobody else could answer sooner: supervisors see it as stalled
        name = handoff.agent.full_name if handoff.agent else "La persona asignada"
        release(session, handoff, f"{name} no respondió en {settings.agent_answer_minutes} min: "
                                  "la conversación pasa a otra persona.", now)
        done.released.append(handoff.id)
    session.flush()
    done.assigned = assign_waiting(session, settings, now)
    return done


def reassign(session, handoff: m.Handoff, settings: Settings, now: dt.datetime, by: m.Agent,
             to: Optional[m.Agent] = None) -> Optional[Assigned]:
    """A supervisor's hand: to ``to``, or to whoever's turn it is (not the current agent). None: nobody could take it."""
    current = handoff.agent_id
    if to is None:
        to = next_agent(session, settings, now, avoid=current, strict=True)
        if to is None:
            return None
    if handoff.status == m.HandoffStatus.assigned:
        release(session, handoff, f"{by.full_name} reasignó la conversación.", now)
        session.flush()
    return assign(session, handoff, to, now, by=by)
