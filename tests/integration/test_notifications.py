"""Proactive notifications: the right people, on the right channel, at the right time, once."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import select

from bot import clock, handoff
from bot.db import models as m
from bot.db.engine import session_scope
from bot.jobs.scheduler import build_scheduler
from bot.routing import route
from bot.settings import get_settings
from channels import inbox
from tests.integration.conftest import _numbers, fanned_out, run_job, sent_to


def post_outage(service, zone_code: str, hours: float = 3):
    eta = (clock.now() + dt.timedelta(hours=hours)).isoformat()
    response = service.post("/api/v1/outages", json={"cause": "Falla en el transformador", "zones": [zone_code],
                                                     "estimated_restoration_at": eta})
    batch = fanned_out(service, response)  # answered at once; everyone else is queued by the fan-out job
    return {**response.json(), "notifications_queued": batch["total"] - batch["notices"]["skipped"]}


def notification_of(engine, person, kind):
    with session_scope(engine) as session:
        return session.execute(select(m.Notification).where(
            m.Notification.customer_id == person.customer_id, m.Notification.kind == kind)).scalar_one()


def test_an_outage_is_told_to_exactly_the_right_people_on_their_channel(service, neighbourhood, twilio_api,
                                                                         telegram_api, engine):
    people = neighbourhood.people
    outage = post_outage(service, neighbourhood.zone_code)
    run_job(service, "dispatch")
    # The one who reported it hears first, although they never consented to notices.
    [fede] = sent_to(twilio_api, people["fede"].phone)
    assert "Sobre el corte que nos reportaste" in fede["body"]
    assert notification_of(engine, people["fede"], "outage_started").id < notification_of(engine, people["ana"], "outage_started").id
    # Within the 24-hour window WhatsApp takes free text; outside it, without a template, SMS does.
    [ana] = sent_to(twilio_api, f"whatsapp:{people['ana'].phone}")
    assert "hay un corte de energía en Barrio Prueba" in ana["body"] and ana["content_sid"] is None
    assert ana["media_url"] == []  # no "None" sent for an absent field
    assert sent_to(twilio_api, f"whatsapp:{people['beto'].phone}") == []
    assert len(sent_to(twilio_api, people["beto"].phone)) == 1
    assert len(sent_to(twilio_api, people["caro"].phone)) == 1
    [gabi] = [c for c in telegram_api.matching(lambda r: str(r["data"].get("chat_id")) == people["gabi"].telegram[3:])]
    assert gabi["method"] == "sendMessage" and "corte de energía" in gabi["data"]["text"]
    # No consent, or opted out: nothing, and the record says why.
    assert sent_to(twilio_api, people["dani"].phone) == [] and sent_to(twilio_api, people["eva"].phone) == []
    assert notification_of(engine, people["dani"], "outage_started").error == "sin consentimiento"
    assert notification_of(engine, people["eva"], "outage_started").status == m.NotificationStatus.skipped
    assert notification_of(engine, people["caro"], "outage_started").status == m.NotificationStatus.sent
    # Sent once: another round sends nothing new.
    run_job(service, "dispatch")
    assert len(sent_to(twilio_api, people["caro"].phone)) == 1
    assert outage["status"] == "active"


def test_a_new_estimate_and_the_restoration_are_told_and_a_no_opens_a_report(service, neighbourhood, twilio_api, engine):
    people = neighbourhood.people
    outage = post_outage(service, neighbourhood.zone_code)
    run_job(service, "dispatch")
    later = (clock.now() + dt.timedelta(hours=6)).isoformat()
    assert service.patch(f"/api/v1/outages/{outage['id']}", json={"estimated_restoration_at": later}).status_code == 200
    run_job(service, "dispatch")
    # Outside the 24-hour window an approved template goes on WhatsApp (LUZ_WHATSAPP_TEMPLATES has outage_update).
    [template] = sent_to(twilio_api, f"whatsapp:{people['beto'].phone}")
    assert template["content_sid"] == "HXupdate0000000000000000000000000" and template["body"] == ""
    assert "Actualizacion del corte" in sent_to(twilio_api, people["caro"].phone)[-1]["body"]

    restored = service.patch(f"/api/v1/outages/{outage['id']}", json={"status": "restored"})
    assert restored.status_code == 200 and restored.json()["status"] == "restored"
    run_job(service, f"restoration:{outage['id']}")  # the follow-up the restoration planned
    run_job(service, "dispatch")
    question = sent_to(twilio_api, people["caro"].phone)[-1]["body"]
    assert "la energia ya volvio" in question and "2. No, sigo sin luz" in question
    assert inbox.menu_of(people["caro"].phone)[1] == ("No, sigo sin luz", "restored:no")
    answer = route(get_settings(), people["caro"].phone, "restored:no", {}, "sms")[0]["text"]
    assert "Abrí un reporte con el número AV-" in answer
    gabi = f"tg:{people['gabi'].telegram[3:]}"
    assert "Gracias por confirmarlo" in route(get_settings(), gabi, "restored:yes", {}, "telegram")[0]["text"]
    assert route(get_settings(), people["caro"].phone, "no", {}, "sms") is None  # answered once; a later "no" is the assistant's
    assert service.patch(f"/api/v1/outages/{outage['id']}", json={"status": "restored"}).status_code == 409


@pytest.fixture()
def quiet_now(monkeypatch):
    local = clock.local_now()  # the session's instant (tests/conftest.py): mid-morning, so no wrap at midnight
    start, end = (local - dt.timedelta(hours=1)).strftime("%H:%M"), (local + dt.timedelta(hours=1)).strftime("%H:%M")
    monkeypatch.setenv("LUZ_QUIET_HOURS", f"{start}-{end}")


def test_quiet_hours_hold_a_reminder_but_not_an_outage_notice(quiet_now, service, engine, twilio_api):
    from tests.integration.conftest import _make_zone, add_person

    with session_scope(engine) as session:
        zone = _make_zone(session, 900 + len(os.environ.get("LUZ_QUIET_HOURS", "")))
        person = add_person(session, zone, "nocturna", due_in_days=3)
        code = zone.code
    run_job(service, "bill_reminders")
    run_job(service, "dispatch")
    reminder = notification_of(engine, person, "bill_reminder")
    assert reminder.status == m.NotificationStatus.queued and reminder.not_before > m.utcnow() + dt.timedelta(minutes=30)
    assert sent_to(twilio_api, person.phone) == []
    post_outage(service, code)
    run_job(service, "dispatch")
    [urgent] = sent_to(twilio_api, person.phone)
    assert "corte de energia" in urgent["body"]
    come_the_time(engine, reminder.id)
    run_job(service, "dispatch")
    assert "Tu factura de" in sent_to(twilio_api, person.phone)[-1]["body"]


def come_the_time(engine, notification_id: int) -> None:
    """The clock reaches a queued notification's time (instead of sleeping until it does)."""
    with session_scope(engine) as session:
        session.get(m.Notification, notification_id).not_before = m.utcnow() - dt.timedelta(seconds=1)


def test_provider_errors_are_retried_with_backoff_and_permanent_ones_fail(service, neighbourhood, twilio_api, engine):
    people = neighbourhood.people
    twilio_api.failures[people["caro"].phone] = [500]
    twilio_api.failures[people["beto"].phone] = [400]
    post_outage(service, neighbourhood.zone_code)
    run_job(service, "dispatch")
    retrying = notification_of(engine, people["caro"], "outage_started")
    assert retrying.status == m.NotificationStatus.queued and retrying.attempts == 1 and retrying.error == "20500"
    assert retrying.not_before >= m.utcnow() + dt.timedelta(seconds=20)
    assert notification_of(engine, people["beto"], "outage_started").status == m.NotificationStatus.failed
    come_the_time(engine, retrying.id)
    run_job(service, "dispatch")
    assert notification_of(engine, people["caro"], "outage_started").status == m.NotificationStatus.sent
    assert len(sent_to(twilio_api, people["caro"].phone)) == 1
    sid = notification_of(engine, people["caro"], "outage_started").provider_id
    assert inbox.update_delivery(sid, "delivered", None)
    assert notification_of(engine, people["caro"], "outage_started").status == m.NotificationStatus.delivered


def test_planned_work_is_announced_48_and_2_hours_before_by_jobs_that_survive_a_restart(service, neighbourhood, twilio_api):
    starts = clock.now() + dt.timedelta(hours=60)
    planned = service.post("/api/v1/planned-outages", json={
        "cause": "Mantenimiento de redes", "zones": [neighbourhood.zone_code], "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=4)).isoformat()}).json()
    store = SQLAlchemyJobStore(url=get_settings().database_url, tablename="scheduler_jobs")
    store.start(build_scheduler(get_settings()), "default")  # what a restarted process finds in the database
    planned_jobs = {job.id: job for job in store.get_all_jobs() if job.id.startswith(f"planned:{planned['id']}:")}
    assert set(planned_jobs) == {f"planned:{planned['id']}:48", f"planned:{planned['id']}:2"}
    due = clock.to_machine(starts - dt.timedelta(hours=2))  # APScheduler keeps the machine's time
    assert abs(planned_jobs[f"planned:{planned['id']}:2"].next_run_time - due) < dt.timedelta(seconds=1)
    run_job(service, f"planned:{planned['id']}:48")
    run_job(service, "dispatch")
    people = neighbourhood.people
    assert "suspenderemos el servicio en Barrio Prueba" in sent_to(twilio_api, people["caro"].phone)[0]["body"]
    assert sent_to(twilio_api, people["fede"].phone) == []  # planned notices need consent


def test_a_customer_waiting_too_long_is_updated_and_offered_a_callback(service, engine, twilio_api):
    phone = f"+57311999{next(_numbers):04d}"
    with session_scope(engine) as session:
        agent = session.execute(select(m.Agent)).scalars().first()
        if agent is None:
            from bot.web.console.auth import create_agent
            agent = create_agent(session, "turno.fila", "Turno Fila", "clave-segura")
        agent.last_seen_at = m.utcnow()
        placed = handoff.request(session, conversation_id=phone, channel="whatsapp", reason="requested",
                                 settings=get_settings().__class__.from_environ({**os.environ, "LUZ_AGENT_HOURS": "00:00-24:00",
                                                                               "LUZ_AGENT_DAYS": "1-7"}),
                                 now=m.utcnow() - dt.timedelta(minutes=25))
        assert placed.queued
    run_job(service, "queue")
    [update] = sent_to(twilio_api, f"whatsapp:{phone}")
    assert "Sigues en la fila" in update["body"] and "1. Que me llamen" in update["body"]
    run_job(service, "queue")
    assert len(sent_to(twilio_api, f"whatsapp:{phone}")) == 1  # told once


def test_complaints_near_their_deadline_are_escalated_once(service, engine):
    with session_scope(engine) as session:
        account = session.execute(select(m.Account)).scalars().first()
        complaint = m.Complaint(account_id=account.id, category="medidor", channel="sms", description="Medidor dañado",
                                due_at=m.utcnow() + dt.timedelta(hours=20))
        session.add(complaint)
        session.flush()
        complaint.ticket, complaint_id = f"RC-D{complaint.id:06d}", complaint.id
    run_job(service, "deadlines")
    with session_scope(engine) as session:
        escalated = session.get(m.Complaint, complaint_id)
        assert escalated.escalated_at is not None
        assert escalated.history[-1].note == "Escalado a supervisión: vence pronto"
        first = escalated.escalated_at
    run_job(service, "deadlines")
    with session_scope(engine) as session:
        assert session.get(m.Complaint, complaint_id).escalated_at == first
