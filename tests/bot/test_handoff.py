"""The handoff queue against the real database: order, atomic taking, hours, moves, surveys, moods."""
from __future__ import annotations

import datetime as dt
import itertools
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import handoff, mood
from bot.db import models as m
from bot.db.engine import session_scope
from bot.settings import Settings
from bot.web.console.auth import authenticate, create_agent, hash_password, verify_password

_ids = itertools.count(1)
ALWAYS = Settings.from_environ({"LUZ_AGENT_HOURS": "00:00-24:00", "LUZ_AGENT_DAYS": "1-7"})


def conversation() -> str:
    return f"+57310555{next(_ids):04d}"


@pytest.fixture()
def agents(engine):
    """Two agents online; the queue emptied so positions are this test's own."""
    suffix = next(_ids)
    with session_scope(engine) as session:
        for item in session.execute(select(m.Handoff).where(m.Handoff.status.in_(m.OPEN_HANDOFF))).scalars():
            item.status = m.HandoffStatus.closed
        for other in session.execute(select(m.Agent)).scalars():
            other.last_seen_at = None
        made = [create_agent(session, f"agente{suffix}{i}", f"Agente {i}", "clave-segura") for i in (1, 2)]
        for agent in made:
            handoff.touch(session, agent)
        return [agent.id for agent in made]


def ask(engine, reason="requested", phone=None, settings=ALWAYS, now=None, conversation_id=None):
    with session_scope(engine) as session:
        placement = handoff.request(session, conversation_id=conversation_id or conversation(), channel="whatsapp",
                                    reason=reason, settings=settings, phone=phone, now=now)
        return placement.queued, placement.position, placement.wait_minutes, placement.handoff and placement.handoff.id


def test_hazards_go_first_then_medical_customers_then_by_waiting_time(engine, agents):
    _, first, _, normal = ask(engine)
    _, _, _, medical = ask(engine, phone="+573001234506")  # Pedro is electro-dependent
    _, position, _, hazard = ask(engine, reason="hazard")
    assert first == 1 and position == 1
    with session_scope(engine) as session:
        order = [item.id for item in handoff.waiting(session)]
    assert order == [hazard, medical, normal]


def test_the_wait_estimate_grows_with_the_place_and_shrinks_with_more_agents(engine, agents):
    ask(engine)
    _, position, wait, _ = ask(engine)
    assert position == 2 and wait == 6  # 2 places x 6 minutes / 2 agents online


def test_two_agents_can_never_take_the_same_conversation(engine, agents):
    _, _, _, handoff_id = ask(engine)
    results = []
    barrier = threading.Barrier(2)

    def take(agent_id):
        barrier.wait()
        with session_scope(engine) as session:
            results.append(handoff.take(session, handoff_id, session.get(m.Agent, agent_id)))

    threads = [threading.Thread(target=take, args=(agent_id,)) for agent_id in agents]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [False, True]
    with session_scope(engine) as session:
        assert session.get(m.Handoff, handoff_id).status == m.HandoffStatus.assigned


def test_out_of_hours_nobody_queues_but_a_hazard_still_does(engine, agents):
    night = dt.datetime(2026, 12, 1, 23, 30, tzinfo=ZoneInfo("America/Bogota"))
    office = Settings.from_environ({})
    queued, *_ = ask(engine, settings=office, now=night)
    assert not queued
    queued, *_ = ask(engine, reason="hazard", settings=office, now=night)
    assert queued


def test_with_no_agent_online_the_customer_is_not_left_in_a_silent_queue(engine):
    with session_scope(engine) as session:
        for agent in session.execute(select(m.Agent)).scalars():
            agent.last_seen_at = None
    queued, *_ = ask(engine)
    assert not queued


def test_asking_twice_keeps_the_place(engine, agents):
    who = conversation()
    _, _, _, first = ask(engine, conversation_id=who)
    _, _, _, second = ask(engine, conversation_id=who)
    assert first == second


def test_a_customer_pushed_back_by_an_urgent_case_is_told_once(engine, agents):
    _, _, _, waiting_id = ask(engine)
    ask(engine, reason="hazard")
    with session_scope(engine) as session:
        moved = handoff.grown_positions(session, ALWAYS)
        assert [(p.handoff.id, p.position) for p in moved] == [(waiting_id, 2)]
        assert "ahora eres el 2" in handoff.moved_text(moved[0])
    with session_scope(engine) as session:
        assert handoff.grown_positions(session, ALWAYS) == []


def test_closing_opens_a_survey_that_takes_one_answer(engine, agents):
    who = conversation()
    _, _, _, handoff_id = ask(engine, conversation_id=who)
    with session_scope(engine) as session:
        agent = session.get(m.Agent, agents[0])
        assert handoff.take(session, handoff_id, agent)
        current = session.get(m.Handoff, handoff_id)
        session.refresh(current)
        handoff.add_message(session, current, "agent", "Hola", agent)
        handoff.close(session, current, agent, "Se explicó la factura")
    with session_scope(engine) as session:
        closed = session.get(m.Handoff, handoff_id)
        assert closed.status == m.HandoffStatus.closed and closed.first_response_at is not None
        survey = handoff.pending_survey(session, who)
        assert survey.handoff_id == handoff_id and survey.agent_id == agents[0]


@pytest.mark.parametrize("text, score", [("5", 5), ("1", 1), ("4 estrellas", 4), ("Excelente", 5), ("regular", 3),
                                         ("6", None), ("cuánto debo", None), ("15", None)])
def test_survey_answers(text, score):
    assert handoff.score_of(text) == score


def test_agent_hours_read_and_described():
    hours = handoff.AgentHours.parse("07:00-19:00", "1-6")
    assert hours.describe() == "de lunes a sábado de 07:00 a 19:00"
    assert hours.open_at(dt.datetime(2026, 11, 28, 8, 0))  # a Saturday
    assert not hours.open_at(dt.datetime(2026, 11, 29, 8, 0))  # a Sunday
    assert not hours.open_at(dt.datetime(2026, 11, 27, 19, 0))
    assert handoff.AgentHours.parse("00:00-24:00", "1-7").open_at(dt.datetime(2026, 11, 29, 23, 59))


@pytest.mark.parametrize("text", ["esto es una porquería, tres días sin luz", "ESTOY HARTO DE USTEDES!!!",
                                  "son unos ladrones", "voy a denunciar ante la superintendencia",
                                  "ya me tienen cansada con los cortes"])
def test_clearly_upset_customers_are_recognised(text):
    assert mood.upset(text)


@pytest.mark.parametrize("text", ["no tengo luz", "cuánto debo?", "HOLA", "la factura vino muy alta!!",
                                  "quiero poner un reclamo", "gracias, muy amable"])
def test_calm_customers_are_not(text):
    assert not mood.upset(text)


def test_passwords_are_hashed_and_checked(engine):
    stored = hash_password("una-clave-larga")
    assert "una-clave-larga" not in stored and stored.startswith("scrypt$")
    assert verify_password("una-clave-larga", stored) and not verify_password("otra", stored)
    with session_scope(engine) as session:
        create_agent(session, "Laura.Q", "Laura Quintero", "clave-de-laura")
    with session_scope(engine) as session:
        assert authenticate(session, "laura.q", "clave-de-laura").full_name == "Laura Quintero"
        assert authenticate(session, "laura.q", "mala") is None
        assert authenticate(session, "nadie", "clave-de-laura") is None
    with pytest.raises(ValueError), session_scope(engine) as session:
        create_agent(session, "corta", "Corta", "1234")


def test_a_wait_that_runs_past_closing_time_is_not_promised_as_if_it_did_not(engine):
    from bot import clock
    from bot.formatting import time_of_day

    evening = dt.datetime(2026, 11, 18, 18, 50, tzinfo=ZoneInfo("America/Bogota"))  # a Wednesday; people until 19:00
    office = Settings.from_environ({"LUZ_HANDLE_MINUTES": "6"})
    with clock.travel_to(evening), session_scope(engine) as session:
        for item in session.execute(select(m.Handoff).where(m.Handoff.status.in_(m.OPEN_HANDOFF))).scalars():
            item.status = m.HandoffStatus.closed
        for other in session.execute(select(m.Agent)).scalars():
            other.last_seen_at = None
        handoff.touch(session, create_agent(session, f"tarde{next(_ids)}", "Agente Tarde", "clave-segura"))
        texts = [handoff.queued_text(handoff.request(session, conversation_id=conversation(), channel="sms",
                                                     reason="requested", settings=office)) for _ in range(3)]
    closing = f"Nuestro horario de atención termina hoy a las {time_of_day(evening.replace(hour=19, minute=0))}"
    assert "unos 6 minutos" in texts[0] and closing not in texts[0]  # 18:56: still open
    assert "unos 18 minutos" in texts[2] and closing in texts[2] and "te llamamos" in texts[2]  # 19:08: closed by then
