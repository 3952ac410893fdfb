"""The integration API's contract: keys, validation, idempotency, payments, customers, complaints."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import clock
from bot.db import models as m
from bot.db.engine import session_scope
from tests.integration.conftest import add_person, fanned_out, run_job, sent_to


def test_requests_without_a_valid_key_are_refused(service, engine):
    assert service.get("/api/v1/complaints", headers={"X-API-Key": ""}).status_code == 401
    wrong = service.get("/api/v1/complaints", headers={"X-API-Key": "luz_not-a-key"})
    assert wrong.status_code == 401 and wrong.json() == {"detail": "Invalid or revoked API key."}
    with session_scope(engine) as session:
        for key in session.execute(select(m.ApiKey).where(m.ApiKey.name == "pruebas")).scalars():
            key.revoked_at = m.utcnow()
    assert service.get("/api/v1/complaints").status_code == 401


def test_malformed_bodies_get_a_422_that_says_what_is_wrong(service):
    missing = service.post("/api/v1/outages", json={"cause": "Falla"})
    assert missing.status_code == 422
    assert {"loc": ["body", "zones"], "msg": "field required", "type": "value_error.missing"} in missing.json()["detail"]
    naive = service.post("/api/v1/outages", json={"cause": "Falla", "zones": ["ZN-01"], "starts_at": "2026-11-28T10:00:00"})
    assert naive.status_code == 422 and "include the time zone" in naive.json()["detail"][0]["msg"]
    unknown = service.post("/api/v1/outages", json={"cause": "Falla", "zones": ["ZZ-99"]})
    assert unknown.status_code == 422 and unknown.json()["detail"] == "Unknown zone codes: ZZ-99."
    assert service.post("/api/v1/outages", content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 422
    backwards = service.post("/api/v1/planned-outages", json={"cause": "Poda", "zones": ["ZN-01"],
                                                              "starts_at": "2026-12-10T10:00:00-05:00",
                                                              "ends_at": "2026-12-10T09:00:00-05:00"})
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["msg"] == "must be after starts_at"
    unresolved = service.patch("/api/v1/complaints/RC-0000001", json={"status": "resolved"})
    assert unresolved.status_code == 422 and "required when status is 'resolved'" in unresolved.text
    assert service.get("/api/v1/customers/000000000").status_code == 404


def test_the_same_idempotency_key_creates_one_outage_and_one_round_of_messages(service, neighbourhood, twilio_api, engine):
    body = {"cause": "Falla en el transformador", "zones": [neighbourhood.zone_code],
            "estimated_restoration_at": (clock.now() + dt.timedelta(hours=3)).isoformat()}
    headers = {"Idempotency-Key": f"oms-{neighbourhood.zone_code}"}
    first = service.post("/api/v1/outages", json=body, headers=headers)
    batch = fanned_out(service, first)
    assert batch["status"] == "queued" and batch["total"] - batch["notices"]["skipped"] == 5  # reporters included
    run_job(service, "dispatch")
    caro = neighbourhood.people["caro"].phone
    assert len(sent_to(twilio_api, caro)) == 1
    again = service.post("/api/v1/outages", json=body, headers=headers)
    assert again.status_code == 202 and again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    run_job(service, "dispatch")
    assert len(sent_to(twilio_api, caro)) == 1
    with session_scope(engine) as session:
        outages = session.execute(select(m.Outage).join(m.OutageArea).join(m.Zone)
                                  .where(m.Zone.code == neighbourhood.zone_code)).scalars().all()
        assert len(outages) == 1
    reused = service.post("/api/v1/outages", json={**body, "cause": "Otra causa"}, headers=headers)
    assert reused.status_code == 422 and "different request" in reused.json()["detail"]


def test_a_payment_settles_bills_and_a_paid_up_suspended_supply_gets_reconnected(service, engine):
    with session_scope(engine) as session:
        zone = session.execute(select(m.Zone).where(m.Zone.code == "ZN-01")).scalar_one()
        person = add_person(session, zone, "pagador", suspended=True)
    paid = service.post("/api/v1/payments", json={"account_number": person.account_number, "amount": "109800.00",
                                                  "reference": "BANCO-123", "method": "bank"})
    assert paid.status_code == 201, paid.text
    assert paid.json()["reconnection_ticket"].startswith("SL-") and paid.json()["unapplied_amount"] == "0.00"
    again = service.post("/api/v1/payments", json={"account_number": person.account_number, "amount": "109800.00",
                                                   "reference": "BANCO-123"})
    assert again.status_code == 409
    customer = service.get(f"/api/v1/customers/{person.account_number}").json()
    assert customer["balance"]["amount_due"] in ("0", "0.00") and customer["status"] == "suspended"
    with session_scope(engine) as session:
        request = session.execute(select(m.ServiceRequest).where(
            m.ServiceRequest.ticket == paid.json()["reconnection_ticket"])).scalar_one()
        assert request.kind == "reconnection" and request.account_id == person.account_id


def test_complaints_are_listed_by_status_and_deadline(service):
    overdue = service.get("/api/v1/complaints", params={"overdue": "true"}).json()["items"]
    assert overdue and all(item["overdue"] for item in overdue)
    received = service.get("/api/v1/complaints", params={"status": "received", "limit": 5}).json()["items"]
    assert 0 < len(received) <= 5 and all(item["status"] == "received" for item in received)
    assert service.get("/api/v1/complaints", params={"status": "lost"}).status_code == 422


def test_a_resolved_complaint_is_told_and_surveyed_and_the_answer_is_stored(service, engine, twilio_api):
    from bot.routing import route
    from bot.settings import get_settings

    with session_scope(engine) as session:
        zone = session.execute(select(m.Zone).where(m.Zone.code == "ZN-02")).scalar_one()
        person = add_person(session, zone, "reclamante")
        complaint = m.Complaint(account_id=person.account_id, category="facturacion", channel="sms",
                                description="Cobro doble", due_at=m.utcnow() + dt.timedelta(days=10))
        session.add(complaint)
        session.flush()
        complaint.ticket = f"RC-T{complaint.id:06d}"
        ticket = complaint.ticket
    resolved = service.patch(f"/api/v1/complaints/{ticket}", json={"status": "resolved",
                                                                   "resolution": "Se anuló el cobro doble."})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    run_job(service, "dispatch")
    [told] = sent_to(twilio_api, person.phone)
    assert f"Tu reclamo {ticket} fue resuelto: Se anulo el cobro doble." in told["body"]  # SMS: GSM-7 letters
    with session_scope(engine) as session:  # the survey goes a while after the resolution
        session.get(m.Complaint, complaint.id).resolved_at -= dt.timedelta(hours=1)
    run_job(service, "complaint_surveys")
    run_job(service, "dispatch")
    survey = sent_to(twilio_api, person.phone)[1]["body"]
    assert f"atencion de tu reclamo {ticket}" in survey and "\n5 Excelente\n" in survey and "1. Excelente" not in survey
    assert "¡Gracias por tu calificación!" in route(get_settings(), person.phone, "5", {}, "sms")[0]["text"]
    with session_scope(engine) as session:
        answered = session.execute(select(m.Survey).where(m.Survey.complaint_id == complaint.id)).scalar_one()
        assert answered.score == 5 and answered.subject == "complaint"
    assert service.patch(f"/api/v1/complaints/{ticket}", json={"status": "in_progress"}).status_code == 409


def test_kpis_by_api_are_the_dashboard_figures(service, engine):
    from bot import kpis

    today = clock.today()
    params = {"from": (today - dt.timedelta(days=6)).isoformat(), "to": today.isoformat(), "channel": "sms"}
    response = service.get("/api/v1/kpis", params=params)
    assert response.status_code == 200
    with session_scope(engine) as session:
        expected = kpis.compute(session, today - dt.timedelta(days=6), today, "America/Bogota", "sms")
    assert response.json()["containment"] == expected["containment"]
    assert response.json()["period"] == {"from": params["from"], "to": params["to"], "channel": "sms", "every": "day"}
    assert service.get("/api/v1/kpis", params={"from": "2026-12-01", "to": "2026-11-01"}).status_code == 422
    assert service.get("/api/v1/kpis", params={"from": "ayer", "to": "hoy"}).status_code == 422


def test_an_outage_whose_estimate_passed_is_listed_as_owing_a_new_one_until_the_oms_gives_it(service, neighbourhood):
    eta = clock.now() + dt.timedelta(hours=1)
    answer = service.post("/api/v1/outages", json={"cause": "Falla en un seccionador", "zones": [neighbourhood.zone_code],
                                                   "estimated_restoration_at": eta.isoformat()})
    fanned_out(service, answer)
    created = answer.json()

    def owing():
        response = service.get("/api/v1/outages", params={"estimate_expired": "true"})
        assert response.status_code == 200
        return {o["id"]: o for o in response.json()["outages"]}

    assert created["id"] not in owing() and created["estimate_expired_at"] is None
    with clock.travel_to(eta + dt.timedelta(minutes=30)):  # the estimate passes; the power is still out
        listed = owing()[created["id"]]
        assert dt.datetime.fromisoformat(listed["estimate_expired_at"]) == eta + dt.timedelta(minutes=30)
        later = (clock.now() + dt.timedelta(hours=2)).isoformat()
        patched = service.patch(f"/api/v1/outages/{created['id']}", json={"estimated_restoration_at": later})
        assert patched.status_code == 200 and patched.json()["estimate_expired_at"] is None
        assert created["id"] not in owing()
        active = {o["id"] for o in service.get("/api/v1/outages").json()["outages"]}
        assert created["id"] in active
    assert service.get("/api/v1/outages", headers={"X-API-Key": ""}).status_code == 401
