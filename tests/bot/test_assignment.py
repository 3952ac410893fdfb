"""Who gets which conversation, against the real database, with the clock moved by hand (``bot.clock.travel_to``):
round robin among available agents, each one's cap, and reassignment when an agent goes away or does not answer."""
from __future__ import annotations

import datetime as dt
import itertools
from typing import Dict, Iterator, List

import pytest
from sqlalchemy import select

from bot import assignment, clock, handoff
from bot.db import models as m
from bot.db.engine import session_scope
from bot.settings import Settings
from bot.web.console.auth import create_agent

_ids = itertools.count(1)
DESK = Settings.from_environ({"LUZ_AGENT_HOURS": "00:00-24:00", "LUZ_AGENT_DAYS": "1-7", "LUZ_AGENT_MAX_OPEN": "2",
                              "LUZ_AGENT_ANSWER_MINUTES": "5", "LUZ_AGENT_AWAY_MINUTES": "10"})
START = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


@pytest.fixture()
def travel():
    with clock.travel_to(START) as moved:
        yield moved


@pytest.fixture()
def team(engine, travel) -> Iterator[List[int]]:
    """Three agents, available, their consoles open; nobody else on; the queue empty."""
    suffix = next(_ids)
    with session_scope(engine) as session:
        for item in session.execute(select(m.Handoff).where(m.Handoff.status.in_(m.OPEN_HANDOFF))).scalars():
            item.status, item.desk_status = m.HandoffStatus.closed, "resolved"
        for other in session.execute(select(m.Agent)).scalars():
            other.last_seen_at, other.presence = None, "offline"
        made = [create_agent(session, f"rr{suffix}{name}", f"{name} Prueba", "clave-segura") for name in ("Ana", "Beto", "Caro")]
        for agent in made:
            handoff.touch(session, agent, clock.now())
            assignment.set_presence(session, agent, assignment.ONLINE, clock.now())
        ids = [agent.id for agent in made]
    yield ids
    with session_scope(engine) as session:  # nobody left available for the other tests' queues
        for agent in session.execute(select(m.Agent).where(m.Agent.presence != "offline")).scalars():
            agent.presence, agent.last_seen_at = "offline", None


def ask(engine, reason: str = "requested") -> int:
    with session_scope(engine) as session:
        placement = handoff.request(session, conversation_id=f"+57311555{next(_ids):04d}", channel="whatsapp",
                                    reason=reason, settings=DESK)
        return placement.handoff.id


def sweep(engine, heartbeat: List[int], working: bool = False) -> assignment.Sweep:
    """One pass of the desk job, with the consoles of ``heartbeat`` still open (``working``: and in use)."""
    with session_scope(engine) as session:
        for agent_id in heartbeat:
            handoff.touch(session, session.get(m.Agent, agent_id), clock.now())
            if working:
                session.get(m.Agent, agent_id).last_active_at = clock.now()
        return assignment.sweep(session, DESK, clock.now())


def owners(engine, ids: List[int]) -> Dict[int, int]:
    with session_scope(engine) as session:
        return {item: session.get(m.Handoff, item).agent_id for item in ids}


def test_conversations_go_round_robin_among_available_agents(engine, team):
    first = [ask(engine) for _ in range(3)]
    done = sweep(engine, team)
    assert [item.agent_id for item in done.assigned] == team  # one each, in turn
    assert all("Ya tengo tu conversación" in item.greeting for item in done.assigned)
    with session_scope(engine) as session:  # three more fit (caps of 2): a customer there is told about a minute
        assert handoff.free_places(session, DESK, clock.now()) == 3
        assert [handoff.wait_minutes(session, place, DESK, clock.now()) for place in (3, 4)] == [1, 8]
    fourth = ask(engine)
    travel_on(engine, minutes=1)
    sweep(engine, team)
    assert owners(engine, [fourth]) == {fourth: team[0]}  # the turn came back to the first
    assert sorted(owners(engine, first).values()) == team


def travel_on(engine, minutes: float) -> None:
    clock.current().advance(dt.timedelta(minutes=minutes))  # type: ignore[attr-defined]


def test_nobody_gets_more_than_their_cap_and_the_rest_wait(engine, team):
    with session_scope(engine) as session:
        session.get(m.Agent, team[0]).max_open = 1  # Ana's own cap; the others have LUZ_AGENT_MAX_OPEN (2)
        assignment.set_presence(session, session.get(m.Agent, team[2]), assignment.AWAY, clock.now())
    asked = [ask(engine) for _ in range(5)]
    sweep(engine, team)
    given = owners(engine, asked)
    assert list(given.values()).count(team[0]) == 1 and list(given.values()).count(team[1]) == 2
    assert team[2] not in given.values()  # away: nothing new
    assert list(given.values()).count(None) == 2
    with session_scope(engine) as session:
        assert [item.id for item in handoff.waiting(session)] == asked[3:]
        # the wait told to customers is shared among the available agents (Ana and Beto)
        assert handoff.wait_minutes(session, 2, DESK, clock.now()) == 6


def test_an_unanswered_conversation_goes_to_another_agent_after_the_configured_time(engine, team):
    asked = ask(engine)
    with session_scope(engine) as session:  # only Ana and Beto on
        assignment.set_presence(session, session.get(m.Agent, team[2]), assignment.OFFLINE, clock.now())
    sweep(engine, team[:2])
    first = owners(engine, [asked])[asked]
    travel_on(engine, 4)
    assert sweep(engine, team[:2]).released == [] and owners(engine, [asked])[asked] == first
    travel_on(engine, 1.5)
    done = sweep(engine, team[:2])
    assert done.released == [asked]
    second = owners(engine, [asked])[asked]
    assert second != first and second in team[:2]
    with session_scope(engine) as session:
        item = session.get(m.Handoff, asked)
        said = [message.body for message in item.messages if message.kind == "system"]
        assert any("no respondió en 5 min" in text for text in said)
        assert item.patience_told_at is not None  # not offered a callback as if still in a first wait
        taken = session.execute(select(m.InteractionEvent).where(
            m.InteractionEvent.kind == "handoff_taken", m.InteractionEvent.conversation_id == item.conversation_id)).all()
        assert len(taken) == 1  # one wait, counted once in the KPIs


def test_an_answered_conversation_stays_until_the_customer_writes_and_waits_again(engine, team):
    asked = ask(engine)
    sweep(engine, team)
    with session_scope(engine) as session:
        item = session.get(m.Handoff, asked)
        handoff.add_message(session, item, "agent", "Hola, reviso tu cuenta.", item.agent, now=clock.now())
    owner = owners(engine, [asked])[asked]
    travel_on(engine, 30)
    assert sweep(engine, team, working=True).released == []
    with session_scope(engine) as session:
        handoff.add_message(session, session.get(m.Handoff, asked), "customer", "¿sigues ahí?", now=clock.now())
    travel_on(engine, 6)
    assert sweep(engine, team, working=True).released == [asked] and owners(engine, [asked])[asked] != owner


def test_alone_an_agent_keeps_an_unanswered_conversation_and_supervisors_see_it_stalled(engine, team):
    with session_scope(engine) as session:
        for agent_id in team[1:]:
            assignment.set_presence(session, session.get(m.Agent, agent_id), assignment.OFFLINE, clock.now())
    asked = ask(engine)
    sweep(engine, team[:1])
    travel_on(engine, 7)
    assert sweep(engine, team[:1]).released == []
    with session_scope(engine) as session:
        assert [item.id for item in assignment.stalled(session, 5, clock.now())] == [asked]


def test_going_away_hands_waiting_customers_to_a_colleague(engine, team):
    asked = ask(engine)
    sweep(engine, team)
    owner = owners(engine, [asked])[asked]
    with session_scope(engine) as session:
        released = assignment.set_presence(session, session.get(m.Agent, owner), assignment.AWAY, clock.now())
    assert released == [asked]
    sweep(engine, team)
    assert owners(engine, [asked])[asked] not in (owner, None)


def test_inactivity_makes_an_agent_away_and_a_closed_console_offline(engine, team):
    asked = ask(engine)
    sweep(engine, team)
    owner = owners(engine, [asked])[asked]
    others = [agent for agent in team if agent != owner]
    with session_scope(engine) as session:
        for agent_id in others:  # the others keep working
            session.get(m.Agent, agent_id).last_active_at = clock.now() + dt.timedelta(minutes=9)
    travel_on(engine, 10.5)
    done = sweep(engine, team)
    assert done.away == [owner] and asked in done.released
    assert owners(engine, [asked])[asked] in others
    travel_on(engine, 3)  # the away agent's console is closed: no heartbeat for more than two minutes
    assert sweep(engine, others).offline == [owner]
    with session_scope(engine) as session:
        assert session.get(m.Agent, owner).presence == assignment.OFFLINE


def test_a_snoozed_conversation_reopens_at_its_time_or_when_the_customer_writes(engine, team):
    from bot import desk

    first, second = ask(engine), ask(engine)
    sweep(engine, team)
    with session_scope(engine) as session:
        for item_id in (first, second):
            item = session.get(m.Handoff, item_id)
            desk.set_status(session, item, "snoozed", clock.now(), item.agent, until=clock.now() + dt.timedelta(hours=1))
    travel_on(engine, 20)
    with session_scope(engine) as session:
        handoff.add_message(session, session.get(m.Handoff, second), "customer", "ya tengo el número", now=clock.now())
    assert sweep(engine, team, working=True).woken == []
    travel_on(engine, 41)
    assert sweep(engine, team, working=True).woken == [first]
    with session_scope(engine) as session:
        assert [session.get(m.Handoff, i).desk_status for i in (first, second)] == ["open", "open"]


def test_a_supervisor_reassigns_by_hand_or_to_whoever_is_next(engine, team):
    asked = ask(engine)
    sweep(engine, team)
    owner = owners(engine, [asked])[asked]
    with session_scope(engine) as session:
        boss = create_agent(session, f"jefa{next(_ids)}", "Jefa Prueba", "clave-segura", role=m.AgentRole.supervisor)
        target = next(agent for agent in team if agent != owner)
        moved = assignment.reassign(session, session.get(m.Handoff, asked), DESK, clock.now(), boss,
                                    to=session.get(m.Agent, target))
        assert moved is not None and moved.agent_id == target
        again = assignment.reassign(session, session.get(m.Handoff, asked), DESK, clock.now(), boss)
        assert again is not None and again.agent_id not in (target, None)
        said = [message.body for message in session.get(m.Handoff, asked).messages]
        assert "Jefa Prueba reasignó la conversación." in said


def test_an_agent_s_own_cap_is_set_from_the_command_line(use_database, engine, capsys):
    from bot.ops.cli import main

    with session_scope(engine) as session:
        username = create_agent(session, f"tope{next(_ids)}", "Tope Prueba", "clave-segura").username
    assert main(["agent", "cap", username, "--max-open", "5"]) == 0
    assert f"{username}: hasta 5 conversaciones abiertas a la vez." in capsys.readouterr().out
    with session_scope(engine) as session:
        assert session.execute(select(m.Agent.max_open).where(m.Agent.username == username)).scalar_one() == 5
    assert main(["agent", "cap", username]) == 0  # back to LUZ_AGENT_MAX_OPEN
    assert "hasta 3 (LUZ_AGENT_MAX_OPEN)" in capsys.readouterr().out


def test_two_passes_at_once_never_give_an_agent_more_than_their_cap(engine, team):
    import threading

    with session_scope(engine) as session:  # only Ana on, with room for one
        for agent_id in team[1:]:
            assignment.set_presence(session, session.get(m.Agent, agent_id), assignment.OFFLINE, clock.now())
        session.get(m.Agent, team[0]).max_open = 1
    asked = [ask(engine) for _ in range(3)]
    start = threading.Barrier(2)
    now = clock.now()

    def one_pass() -> None:
        start.wait()
        with session_scope(engine) as session:
            assignment.assign_waiting(session, DESK, now)

    passes = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in passes:
        thread.start()
    for thread in passes:
        thread.join()
    assert list(owners(engine, asked).values()).count(team[0]) == 1
