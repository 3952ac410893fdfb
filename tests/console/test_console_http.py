"""The console's doors: signed out is refused, forged requests are refused, one agent per conversation."""
from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from tests.channels.test_twilio import message, post, sent_to

pytestmark = pytest.mark.slow


def test_signed_out_pages_redirect_and_apis_refuse(web):
    with httpx.Client(base_url=web, timeout=30) as anonymous:
        page = anonymous.get("/console")
        assert page.status_code == 303 and page.headers["location"] == "/console/login"
        assert anonymous.get("/console/handoffs/1").status_code == 303
        assert anonymous.get("/console/api/queue").status_code == 401
        assert anonymous.get("/console/api/queue/stream").status_code == 401
        assert anonymous.get("/console/api/handoffs/1/messages").status_code == 401
        assert anonymous.post("/console/api/handoffs/1/reply", json={"text": "hola"}).status_code in (401, 403)
        assert anonymous.post("/console/handoffs/1/take").status_code in (401, 403)


def test_a_wrong_password_is_refused_without_saying_which_part(web):
    with httpx.Client(base_url=web, timeout=30) as client:
        token = client.get("/console/login").text.split('name="csrf" value="')[1].split('"')[0]
        response = client.post("/console/login", data={"username": "camila", "password": "no-es", "csrf": token})
        assert response.status_code == 401 and "Usuario o contraseña incorrectos" in response.text
        assert client.get("/console/api/queue").status_code == 401


def test_a_form_without_the_csrf_token_is_refused(signed_in):
    client = signed_in("diego", "diego-demo")
    assert client.post("/console/api/handoffs/1/note", json={"text": "x"}).status_code == 403
    assert client.post("/console/logout").status_code == 403
    client.post("/console/logout", data={"csrf": client.csrf})
    assert client.get("/console/api/queue").status_code == 401


def test_two_agents_taking_the_same_conversation_at_once(product, web, twilio_api, signed_in):
    camila, diego = signed_in("camila", "camila-demo"), signed_in("diego", "diego-demo")
    phone = "+573109770001"
    before = len(twilio_api.matching(lambda r: r["to"] == f"whatsapp:{phone}"))
    post(product, "whatsapp", message(phone, "necesito hablar con un asesor por favor"))
    assert "Te comunico con una persona" in " ".join(r["body"] for r in sent_to(twilio_api, f"whatsapp:{phone}", before))
    queued = next(row for row in camila.get("/console/api/queue").json()["waiting"] if row["customer"] == phone)

    async def take_both():
        async def take(client):
            async with httpx.AsyncClient(base_url=web, cookies=client.cookies, timeout=30) as concurrent:
                return await concurrent.post(f"/console/handoffs/{queued['id']}/take",
                                             headers={"X-CSRF-Token": client.csrf, "Accept": "application/json"})
        return await asyncio.gather(take(camila), take(diego))

    statuses = sorted(response.status_code for response in asyncio.run(take_both()))
    assert statuses == [200, 409]
    assert all(row["id"] != queued["id"] for row in camila.get("/console/api/queue").json()["waiting"])
    winner = camila if any(r["id"] == queued["id"] for r in camila.get("/console/api/queue").json()["mine"]) else diego
    loser = diego if winner is camila else camila
    refused = loser.post(f"/console/api/handoffs/{queued['id']}/reply", json={"text": "hola"},
                         headers={"X-CSRF-Token": loser.csrf})
    assert refused.status_code == 403
    empty = winner.post(f"/console/api/handoffs/{queued['id']}/reply", json={"text": "  "},
                        headers={"X-CSRF-Token": winner.csrf})
    assert empty.status_code == 422 and "Escribe un mensaje" in empty.json()["detail"]
    closed = winner.post(f"/console/handoffs/{queued['id']}/close", data={"csrf": winner.csrf, "resolution": "Prueba"})
    assert closed.status_code == 303


def test_repeated_wrong_passwords_lock_that_name_only(product, web):
    from bot.db.engine import engine_for, session_scope
    from bot.web.console import auth

    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        auth.create_agent(session, "lucia", "Lucía Prueba", "lucia-demo-1")
    with httpx.Client(base_url=web, timeout=30) as client:
        token = client.get("/console/login").text.split('name="csrf" value="')[1].split('"')[0]

        def attempt(username: str, password: str) -> httpx.Response:
            return client.post("/console/login", data={"username": username, "password": password, "csrf": token})

        assert [attempt("lucia", f"mala-{i}").status_code for i in range(5)] == [401] * 5
        locked = attempt("Lucia", "lucia-demo-1")
        assert locked.status_code == 429 and "Demasiados intentos" in locked.text
        assert client.get("/console/api/queue").status_code == 401
        assert attempt("camila", "camila-demo").status_code == 303  # others are not locked out


def test_supervisors_see_the_outages_whose_estimate_passed(product, signed_in):
    from sqlalchemy import select

    from bot import clock
    from bot.db import models as m
    from bot.db.engine import engine_for, session_scope

    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        zone = session.execute(select(m.Zone).where(m.Zone.code == "ZN-09")).scalar_one()  # Fontibón: no seeded outage
        outage = m.Outage(kind=m.OutageKind.unplanned, status=m.OutageStatus.active, cause="Falla en un seccionador",
                          starts_at=clock.now() - dt.timedelta(hours=3),
                          estimated_restoration_at=clock.now() - dt.timedelta(minutes=75))
        outage.areas.append(m.OutageArea(zone_id=zone.id))
        session.add(outage)
        session.flush()
        outage_id = outage.id
    try:
        page = signed_in("sofia", "sofia-demo").get("/console/dashboard")
        assert page.status_code == 200
        assert f"Corte {outage_id} · Fontibón · Falla en un seccionador" in page.text
        assert "vencido hace 1 h 15 min: el centro de control debe actualizarlo" in page.text
    finally:
        with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
            session.get(m.Outage, outage_id).status = m.OutageStatus.restored


def test_the_dashboard_lists_faults_customers_reported_that_are_not_confirmed(product, signed_in):
    from sqlalchemy import select

    from bot import clock
    from bot.db import models as m
    from bot.db.engine import engine_for, session_scope

    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        transformer = session.execute(select(m.Transformer).join(m.Feeder).join(m.Zone)
                                      .where(m.Zone.code == "ZN-09").order_by(m.Transformer.id)).scalars().first()
        suspected = m.SuspectedOutage(level="transformer", transformer_id=transformer.id, feeder_id=transformer.feeder_id,
                                      zone_id=transformer.feeder.zone_id, status="open", reports=7,
                                      opened_at=clock.now() - dt.timedelta(minutes=20), last_report_at=clock.now())
        session.add(suspected)
        session.flush()
        suspected_id, code = suspected.id, transformer.code
    try:
        page = signed_in("sofia", "sofia-demo").get("/console/dashboard")
        assert f"Posible corte {suspected_id} · Fontibón · {code} · 7 reportes desde" in page.text
    finally:
        with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
            session.get(m.SuspectedOutage, suspected_id).status = "merged"
