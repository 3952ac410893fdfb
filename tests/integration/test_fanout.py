"""An outage's notices at a storm's scale (bot/fanout.py): answered at once, queued in bulk, followed, never stale.

Not timed (``make storm`` measures the scale); these show the behaviour on a neighbourhood whose people are known.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import clock
from bot.db import models as m
from bot.db.engine import session_scope
from bot.formatting import time_of_day
from tests.integration.conftest import fanned_out, run_job, sent_to


def notices(engine, outage_id, kind="outage_started"):
    with session_scope(engine) as session:
        rows = session.execute(select(m.Notification).where(m.Notification.outage_id == outage_id,
                                                            m.Notification.kind == kind)).scalars().all()
        session.expunge_all()
        return {row.account_id: row for row in rows}


def held(service, monkeypatch):
    """Nothing is sent until the test runs the dispatcher: the fan-out is caught with its notices not gone."""
    from bot.web.deps import Jobs

    service.app_ref.state.scheduler.pause_job("dispatch")
    monkeypatch.setattr(Jobs, "dispatch_soon", lambda self: None)


def test_the_oms_is_answered_at_once_and_follows_the_batch_to_its_end(service, neighbourhood, engine, monkeypatch):
    held(service, monkeypatch)
    answer = service.post("/api/v1/outages", json={"cause": "Tormenta", "zones": [neighbourhood.zone_code]})
    assert answer.status_code == 202
    body = answer.json()
    assert body["notifications_queued"] == 1  # the one who reported it, told before the answer
    assert body["notice_batch"]["progress"] == f"/api/v1/notice-batches/{body['notice_batch']['id']}"
    batch = fanned_out(service, answer)
    assert batch["status"] == "queued" and batch["total"] == 7
    assert batch["notices"]["skipped"] == 2 and batch["notices"]["queued"] == 5  # no consent; texted BAJA
    run_job(service, "dispatch")
    done = service.get(body["notice_batch"]["progress"]).json()
    assert done["notices"]["sent"] == 5 and done["notices"]["queued"] == 0
    assert service.get("/api/v1/notice-batches/987654").status_code == 404


def test_a_new_estimate_during_the_fan_out_rewrites_what_has_not_gone(service, neighbourhood, engine, twilio_api,
                                                                      monkeypatch):
    people = neighbourhood.people
    held(service, monkeypatch)
    first = clock.now() + dt.timedelta(hours=2)
    answer = service.post("/api/v1/outages", json={"cause": "Tormenta", "zones": [neighbourhood.zone_code],
                                                   "estimated_restoration_at": first.isoformat()})
    outage_id = fanned_out(service, answer)["outage_id"]
    later = clock.now() + dt.timedelta(hours=7)
    assert service.patch(f"/api/v1/outages/{outage_id}", json={"estimated_restoration_at": later.isoformat()}).status_code == 200
    pending = notices(engine, outage_id)
    caro, fede = pending[people["caro"].account_id], pending[people["fede"].account_id]
    old, new = time_of_day(clock.local(first)), time_of_day(clock.local(later))
    assert caro.status == m.NotificationStatus.queued and caro.variables["3"] in caro.body
    assert old not in caro.body and new in caro.body  # the news not sent yet says the new time
    assert old not in fede.body and "nos reportaste" in fede.body  # the reporter's own words, the new time
    assert notices(engine, outage_id, "outage_update") == {}  # nobody was told the old time: no correction owed
    run_job(service, "dispatch")
    [told] = sent_to(twilio_api, people["caro"].phone)
    assert old.split()[0] not in told["body"] and new.split()[0] in told["body"]  # as texted (GSM-7)


def test_a_restoration_during_the_fan_out_sends_no_stale_news(service, neighbourhood, engine, twilio_api, monkeypatch):
    people = neighbourhood.people
    held(service, monkeypatch)
    answer = service.post("/api/v1/outages", json={"cause": "Tormenta", "zones": [neighbourhood.zone_code]})
    batch = fanned_out(service, answer)
    assert service.patch(f"/api/v1/outages/{batch['outage_id']}", json={"status": "restored"}).status_code == 200
    pending = notices(engine, batch["outage_id"])
    assert all(n.status == m.NotificationStatus.skipped for n in pending.values())
    assert pending[people["caro"].account_id].error == "superado: la energía volvió antes de enviarlo"
    run_job(service, "dispatch")
    assert sent_to(twilio_api, people["caro"].phone) == []
    assert service.get(answer.json()["notice_batch"]["progress"]).json()["notices"]["skipped"] == 7
    run_job(service, f"restoration:{batch['outage_id']}")
    assert notices(engine, batch["outage_id"], "outage_restored") == {}  # nobody heard of it: nobody is asked
