"""The agent desk's routes in the web app (FastAPI's test client on the test database, the channels pointed at the
local Twilio and Telegram emulators): the WhatsApp window rule, templates and SMS, documents, typing, labels,
status, search, presence and assignment, a supervisor's hand, and what an agent is notified of."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot import clock, handoff
from bot.db import models as m
from bot.db.engine import session_scope
from bot.settings import Settings, get_settings
from bot.web.app import create_app
from bot.web.console.auth import create_agent
from bot.web.console.presence import notices_since
from channels import outbound
from tests.product import SMS_FROM, TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM

_ids = itertools.count(1)
PEDRO = "+573001234506"


@pytest.fixture()
def app_env(use_database, twilio_api, telegram_api, monkeypatch, tmp_path):
    env = {"DATABASE_URL": use_database, "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
           "LUZ_SCHEDULER": "off", "LUZ_AGENT_HOURS": "00:00-24:00", "LUZ_AGENT_DAYS": "1-7",
           "PUBLIC_BASE_URL": "http://testserver",
           "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
           "TWILIO_SMS_FROM": SMS_FROM, "TWILIO_API_BASE_URL": twilio_api.url,
           "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE_URL": telegram_api.url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    outbound.provider.cache_clear()
    yield Settings.from_environ()
    outbound.provider.cache_clear()
    get_settings.cache_clear()


@pytest.fixture()
def app(app_env):
    """The web app, in this process, its clock standing still (``bot.clock.travel_to``) so minutes are exact."""
    with clock.travel_to(clock.now()), TestClient(create_app(app_env)) as client:
        yield client


def sign_in(client: TestClient, username: str) -> str:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/login").text).group(1)
    response = client.post("/console/login", data={"username": username, "password": "clave-segura", "csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/console").text).group(1)


def person(engine, role=m.AgentRole.agent) -> str:
    with session_scope(engine) as session:
        return create_agent(session, f"mesa{next(_ids)}", f"Mesa{next(_ids)} Prueba", "clave-segura", role=role).username


def taken_by(engine, username: str, channel: str = "whatsapp", conversation_id: str = PEDRO,
             last_wrote: dt.timedelta = dt.timedelta(minutes=5)) -> int:
    """A conversation of ``conversation_id`` taken by ``username``, its customer having last written ``last_wrote`` ago."""
    with session_scope(engine) as session:
        for item in session.execute(select(m.Handoff).where(m.Handoff.conversation_id == conversation_id,
                                                            m.Handoff.status.in_(m.OPEN_HANDOFF))).scalars():
            item.status = m.HandoffStatus.closed
        agent = session.execute(select(m.Agent).where(m.Agent.username == username)).scalar_one()
        handoff.touch(session, agent)
        placement = handoff.request(session, conversation_id=conversation_id, channel=channel, reason="requested",
                                    settings=Settings.from_environ(), phone=None if channel == "telegram" else conversation_id)
        session.add(m.InboundMessage(channel=channel, provider_id=f"SMroute{next(_ids)}", sender=conversation_id,
                                     received_at=clock.now() - last_wrote))
        assert handoff.take(session, placement.handoff.id, agent)
        return placement.handoff.id


def post(client: TestClient, csrf: str, path: str, payload: dict):
    return client.post(path, json=payload, headers={"X-CSRF-Token": csrf, "Accept": "application/json"})


def test_within_the_window_the_agent_sees_the_time_left_and_free_text_goes(app, engine, twilio_api):
    agent = person(engine)
    csrf = sign_in(app, agent)
    taken = taken_by(engine, agent, last_wrote=dt.timedelta(hours=20, minutes=30))
    page = app.get(f"/console/handoffs/{taken}").text
    assert "Ventana de WhatsApp: quedan 3 h 30 min para responder con texto libre." in page
    assert 'id="send"' in page and 'id="template-form" class="reply" hidden' in page
    before = len(twilio_api.matching(lambda r: r["to"] == f"whatsapp:{PEDRO}"))
    sent = post(app, csrf, f"/console/api/handoffs/{taken}/reply", {"text": "Hola Pedro, reviso tu factura."})
    assert sent.status_code == 200 and sent.json()["delivered"] is True
    assert twilio_api.matching(lambda r: r["to"] == f"whatsapp:{PEDRO}")[before:][0]["body"].endswith(
        ": Hola Pedro, reviso tu factura.")


def test_after_24_hours_free_text_is_refused_and_only_a_template_or_sms_goes(app, engine, twilio_api):
    agent = person(engine)
    csrf = sign_in(app, agent)
    phone = f"+57313555{next(_ids):04d}"  # last wrote 25 hours ago
    taken = taken_by(engine, agent, conversation_id=phone, last_wrote=dt.timedelta(hours=25))
    page = app.get(f"/console/handoffs/{taken}").text
    assert "solo admite una plantilla aprobada" in page and 'id="send"' not in page
    assert "Seguimiento de tu caso" in page and 'id="send-sms"' in page
    before = len(twilio_api.matching(lambda r: phone in r["to"]))
    refused = post(app, csrf, f"/console/api/handoffs/{taken}/reply", {"text": "¿Sigues ahí?"})
    assert refused.status_code == 409 and "WhatsApp no admite texto libre" in refused.json()["detail"]
    assert post(app, csrf, f"/console/api/handoffs/{taken}/document", {"kind": "bill", "account": "100200301"}).status_code == 409
    incomplete = post(app, csrf, f"/console/api/handoffs/{taken}/template", {"template": "seguimiento_caso", "variables": ["Pedro"]})
    assert incomplete.status_code == 422
    sent = post(app, csrf, f"/console/api/handoffs/{taken}/template",
                {"template": "seguimiento_caso", "variables": ["Pedro", "tu reclamo por la factura"]})
    assert sent.status_code == 200 and sent.json()["delivered"] is True
    assert sent.json()["body"].startswith("[Plantilla «Seguimiento de tu caso»] Hola Pedro, te escribimos")
    by_sms = post(app, csrf, f"/console/api/handoffs/{taken}/sms", {"text": "Pedro, te escribo por SMS: ya ajustamos la lectura."})
    assert by_sms.status_code == 200 and by_sms.json()["delivered"] is True
    went = twilio_api.matching(lambda r: phone in r["to"])[before:]
    assert len(went) == 2  # the refused text and document never reached Twilio
    assert went[0]["to"] == f"whatsapp:{phone}" and went[0]["content_sid"] == "HX5f1e0c3a9d2b4e6f8a7c1d2e3f4a5b6c"
    assert json.loads(went[0]["content_variables"]) == {"1": "Pedro", "2": "tu reclamo por la factura"}
    assert went[1]["to"] == phone and "ya ajustamos la lectura" in went[1]["body"]


def test_a_bill_copy_and_the_consumption_chart_go_from_the_customer_s_records(app, engine, twilio_api):
    agent = person(engine)
    csrf = sign_in(app, agent)
    taken = taken_by(engine, agent)
    before = len(twilio_api.matching(lambda r: r["to"] == f"whatsapp:{PEDRO}"))
    bill = post(app, csrf, f"/console/api/handoffs/{taken}/document", {"kind": "bill", "account": "100200306"})
    chart = post(app, csrf, f"/console/api/handoffs/{taken}/document", {"kind": "chart", "account": "100200306"})
    assert bill.status_code == chart.status_code == 200
    assert post(app, csrf, f"/console/api/handoffs/{taken}/document",
                {"kind": "bill", "account": "100200301"}).status_code == 422  # Ana's, not Pedro's
    went = twilio_api.matching(lambda r: r["to"] == f"whatsapp:{PEDRO}")[before:]
    assert "/files/bills/" in went[0]["media_url"][0] and "Copia de tu factura" in went[0]["body"]
    assert "/files/charts/" in went[1]["media_url"][0]
    pdf = app.get(went[0]["media_url"][0].replace("http://testserver", ""))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_telegram_customers_see_the_agent_typing(app, engine, telegram_api):
    agent = person(engine)
    csrf = sign_in(app, agent)
    taken = taken_by(engine, agent, channel="telegram", conversation_id="tg:6201")
    assert post(app, csrf, f"/console/api/handoffs/{taken}/typing", {}).json() == {"shown": True}
    assert telegram_api.matching(lambda r: r["method"] == "sendChatAction" and str(r["data"].get("chat_id")) == "6201")
    whatsapp = taken_by(engine, agent)
    assert post(app, csrf, f"/console/api/handoffs/{whatsapp}/typing", {}).json() == {"shown": False}


def test_labels_status_and_search_as_the_agent_sees_them(app, engine):
    agent = person(engine)
    csrf = sign_in(app, agent)
    taken = taken_by(engine, agent)
    assert post(app, csrf, f"/console/api/handoffs/{taken}/labels", {"label": "facturación", "on": True}).json() == {
        "labels": ["facturación"]}
    assert post(app, csrf, f"/console/api/handoffs/{taken}/labels", {"label": "nada", "on": True}).status_code == 422
    until = (clock.local_now() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    snoozed = post(app, csrf, f"/console/api/handoffs/{taken}/status", {"status": "snoozed", "until": until})
    assert snoozed.status_code == 200 and snoozed.json()["label"] == "Pospuesta"
    assert post(app, csrf, f"/console/api/handoffs/{taken}/status", {"status": "snoozed"}).status_code == 422
    page = app.get(f"/console/handoffs/{taken}").text
    assert 'aria-pressed="true" style="--tag: #2a4a9a">facturación' in page and "Pospuesta hasta" in page
    found = app.get("/console/search", params={"q": "100200306"}).text
    assert f'href="/console/handoffs/{taken}"' in found and "facturación" in found and "Pospuesta" in found
    assert "Ninguna conversación coincide" in app.get("/console/search", params={"q": "zzzz-nadie"}).text


def test_going_available_brings_a_waiting_customer_with_a_greeting_and_a_notice(app, engine, twilio_api):
    with session_scope(engine) as session:  # only this agent available
        for other in session.execute(select(m.Agent)).scalars():
            other.presence, other.last_seen_at = "offline", None
        for item in session.execute(select(m.Handoff).where(m.Handoff.status.in_(m.OPEN_HANDOFF))).scalars():
            item.status = m.HandoffStatus.closed
    agent = person(engine)
    csrf = sign_in(app, agent)
    since = clock.now() - dt.timedelta(seconds=1)
    phone = f"+57312555{next(_ids):04d}"
    with session_scope(engine) as session:
        waiting = handoff.request(session, conversation_id=phone, channel="whatsapp", reason="hazard",
                                  settings=Settings.from_environ(), phone=phone).handoff.id
    became = post(app, csrf, "/console/api/presence", {"presence": "online"})
    assert became.status_code == 200 and became.json()["label"] == "Disponible"
    greeting = twilio_api.matching(lambda r: r["to"] == f"whatsapp:{phone}")[-1]["body"]
    assert "Ya tengo tu conversación" in greeting
    with session_scope(engine) as session:
        me = session.execute(select(m.Agent).where(m.Agent.username == agent)).scalar_one()
        assert session.get(m.Handoff, waiting).agent_id == me.id
        notices = notices_since(me.id, since, set())(session)["notices"]
    assert [(n["kind"], n["title"]) for n in notices if n["handoff"] == waiting][0] == ("urgent", "Caso urgente asignado")
    assert app.get("/console/api/next").json() == {"url": f"/console/handoffs/{waiting}"}
    assert post(app, csrf, "/console/api/presence", {"presence": "away"}).json()["released"] == [waiting]
    post(app, csrf, "/console/api/presence", {"presence": "away"})


def test_only_supervisors_reassign_and_the_live_view_shows_who_is_online(app, engine):
    agent, boss = person(engine), person(engine, m.AgentRole.supervisor)
    taken = taken_by(engine, agent)
    with TestClient(app.app) as other:
        agent_csrf = sign_in(other, agent)
        refused = other.post(f"/console/handoffs/{taken}/assign", data={"csrf": agent_csrf},
                             headers={"Accept": "application/json"})
        assert refused.status_code == 403
    csrf = sign_in(app, boss)
    with session_scope(engine) as session:
        boss_id = session.execute(select(m.Agent.id).where(m.Agent.username == boss)).scalar_one()
    view = app.get("/console/supervision").text
    assert "Equipo" in view and f"href=\"/console/handoffs/{taken}\"" in view, view[view.find("<main"):][:2500]
    moved = app.post(f"/console/handoffs/{taken}/assign", data={"csrf": csrf, "to_agent": str(boss_id)},
                     headers={"Accept": "application/json"})
    assert moved.status_code == 200 and moved.json() == {"handoff": taken, "agent": boss_id}
    with session_scope(engine) as session:
        said = [message.body for message in session.get(m.Handoff, taken).messages if message.kind == "system"]
        for other in session.execute(select(m.Agent).where(m.Agent.presence == "online")).scalars():
            other.presence = "away"  # nobody available: one click has nobody to give it to
    assert any("asignó la conversación a" in text for text in said)
    nobody = app.post(f"/console/handoffs/{taken}/assign", data={"csrf": csrf}, headers={"Accept": "application/json"})
    assert nobody.status_code == 409 and nobody.json()["detail"] == "No hay otra persona disponible con cupo."


def test_closing_after_the_window_asks_for_the_rating_by_sms(app, engine, twilio_api):
    agent = person(engine)
    csrf = sign_in(app, agent)
    phone = f"+57315555{next(_ids):04d}"
    taken = taken_by(engine, agent, conversation_id=phone, last_wrote=dt.timedelta(hours=30))
    before = len(twilio_api.matching(lambda r: phone in r["to"]))
    closed = app.post(f"/console/handoffs/{taken}/close", data={"csrf": csrf, "resolution": "Resuelto por SMS"},
                      follow_redirects=False)
    assert closed.status_code == 303
    [went] = twilio_api.matching(lambda r: phone in r["to"])[before:]
    assert went["to"] == phone and "Como calificas la atencion" in went["body"] and "5 Excelente" in went["body"]
    with session_scope(engine) as session:
        survey = session.execute(select(m.Survey).where(m.Survey.handoff_id == taken)).scalar_one()
        assert (survey.channel, survey.conversation_id) == ("sms", phone)
        said = [message.body for message in session.get(m.Handoff, taken).messages]
    assert "La encuesta se envió por SMS: la ventana de 24 h de WhatsApp estaba cerrada." in said


def test_the_desk_is_closed_to_anyone_signed_out_and_supervision_to_agents(app, engine):
    with TestClient(app.app) as anonymous:
        assert anonymous.get("/console/search", params={"q": "x"}, follow_redirects=False).status_code == 303
        assert anonymous.get("/console/supervision", follow_redirects=False).status_code == 303
        for path in ("/console/api/desk/stream", "/console/api/next", "/console/api/supervision/stream"):
            assert anonymous.get(path).status_code == 401, path
        for path in ("/console/api/presence", "/console/api/activity", "/console/api/handoffs/1/labels",
                     "/console/api/handoffs/1/status", "/console/api/handoffs/1/template", "/console/api/handoffs/1/sms",
                     "/console/api/handoffs/1/typing", "/console/api/handoffs/1/document", "/console/handoffs/1/assign"):
            assert anonymous.post(path, json={}).status_code in (401, 403), path
    csrf = sign_in(app, person(engine))
    assert app.get("/console/supervision").status_code == 403
    assert app.get("/console/api/supervision/stream").status_code == 403
    assert app.post("/console/api/presence", json={"presence": "online"}).status_code == 403  # no CSRF token
    assert post(app, csrf, "/console/api/presence", {"presence": "dormido"}).status_code == 422


def test_the_service_worker_that_shows_notifications_on_tablets_is_served_for_the_whole_console(app):
    worker = app.get("/console/sw.js")
    assert worker.status_code == 200 and worker.headers["content-type"].startswith("application/javascript")
    assert "notificationclick" in worker.text and "openWindow" in worker.text
