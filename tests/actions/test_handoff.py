"""Asking for a person, failing twice, a hazard: the queue, or a callback or a case when nobody can attend."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.handoff import ActionDefaultFallback, ActionHandoff
from actions.outages import ActionReportHazard
from bot import handoff
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.web.console.auth import create_agent
from tests.actions.conftest import make_tracker


@pytest.fixture()
def open_hours(monkeypatch, use_database):
    monkeypatch.setenv("LUZ_AGENT_HOURS", "00:00-24:00")
    monkeypatch.setenv("LUZ_AGENT_DAYS", "1-7")
    from bot.settings import get_settings
    get_settings.cache_clear()


def agents_online(database_url, online: bool) -> None:
    with session_scope(engine_for(database_url)) as session:
        agents = session.execute(select(m.Agent)).scalars().all() or [
            create_agent(session, "turno.accion", "Turno Acción", "clave-segura")]
        for agent in agents:
            agent.last_seen_at = m.utcnow() if online else None


def open_handoff(database_url, conversation_id):
    with session_scope(engine_for(database_url)) as session:
        return handoff.open_handoff(session, conversation_id)


async def test_asking_for_a_person_queues_with_place_and_wait(run, open_hours, database_url):
    agents_online(database_url, True)
    outcome = await run(ActionHandoff(), make_tracker("+573001234503", intent="request_agent", text="quiero un asesor"))
    assert "Te comunico con una persona" in outcome.text and "minuto" in outcome.text and "«salir»" in outcome.text
    queued = open_handoff(database_url, "+573001234503")
    assert queued.reason == "requested" and queued.priority == handoff.PRIORITY_NORMAL
    assert queued.customer_id is not None and queued.summary == "quiero un asesor"


async def test_nobody_online_offers_a_callback_or_a_case(run, open_hours, database_url):
    agents_online(database_url, False)
    outcome = await run(ActionHandoff(), make_tracker("+573109880001", intent="request_agent"))
    assert "no hay asesores disponibles" in outcome.text
    assert [b["title"] for b in outcome.messages[0]["buttons"]] == ["Que me llamen", "Dejar mi caso", "Seguir con Luz"]
    assert open_handoff(database_url, "+573109880001") is None


async def test_a_callback_is_recorded_with_a_ticket(run, open_hours, database_url):
    agents_online(database_url, False)
    tracker = make_tracker("+573001234501", intent="request_agent",
                           entities=[{"entity": "contact_preference", "value": "callback"}])
    outcome = await run(ActionHandoff(), tracker)
    assert "Te llamaremos al ***4501" in outcome.text
    ticket = outcome.text.split("Tu solicitud es la ")[1].split(".")[0]
    with session_scope(engine_for(database_url)) as session:
        request = session.execute(select(m.ServiceRequest).where(m.ServiceRequest.ticket == ticket)).scalar_one()
        assert request.kind == "callback" and request.details["phone"] == "+573001234501"


async def test_a_case_is_recorded_instead_of_waiting(run, open_hours, database_url):
    agents_online(database_url, False)
    tracker = make_tracker("+573109880002", intent="request_agent",
                           entities=[{"entity": "contact_preference", "value": "case"}])
    outcome = await run(ActionHandoff(), tracker)
    assert "dejé tu caso registrado con el número SL-" in outcome.text


async def test_failing_to_understand_twice_hands_over_to_a_person(run, open_hours, database_url):
    agents_online(database_url, True)
    outcome = await run(ActionDefaultFallback(), make_tracker("+573109880003", intent="nlu_fallback", text="blorp"))
    assert outcome.texts[0] == "Sigo sin entenderte, lo siento." and "Te comunico con una persona" in outcome.text
    assert outcome.events[-1]["event"] == "rewind"
    assert open_handoff(database_url, "+573109880003").reason == "fallback"


async def test_a_hazard_goes_to_the_front_of_the_queue_even_with_nobody_online(run, open_hours, database_url):
    agents_online(database_url, False)
    tracker = make_tracker("+573109880004", intent="report_hazard", text="poste caido en la calle 45 # 12-30",
                           entities=[{"entity": "address", "value": "calle 45 # 12-30"}])
    outcome = await run(ActionReportHazard(), tracker)
    assert outcome.texts[0].startswith("⚠️ Por tu seguridad")
    assert "quedó de primero para nuestro equipo de emergencias" in outcome.text
    assert "minuto" not in outcome.text  # nobody is signed in: no wait can be promised
    queued = open_handoff(database_url, "+573109880004")
    assert queued.priority == handoff.PRIORITY_HAZARD and queued.reason == "hazard"
