"""Trouble-call grouping and the OMS webhook (issue 22): what reporters are told, what the OMS receives.

Each test builds a block of its own (a zone, one feeder, transformers, neighbours) and reports through the
real outage journey (the action, on the real database), with the web service running its scheduler and a
local endpoint standing in for the OMS's webhook receiver.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading
from typing import Dict, List

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.journeys import ActionRunJourney
from bot import clock, webhooks
from bot.db import models as m
from bot.db.engine import session_scope
from tests.actions.conftest import Outcome
from tests.actions.test_billing import verified
from tests.conftest import PROJECT_ROOT
from tests.emulators import WebhookReceiver
from tests.integration.conftest import Person, _make_zone, add_person, fanned_out, run_job, sent_to

_blocks = itertools.count(700)


@pytest.fixture(scope="module")
def domain() -> Dict:
    return Domain.load(str(PROJECT_ROOT / "domain")).as_dict()


@pytest.fixture(scope="module")
def oms():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture()
def subscriber(engine, oms):
    """The OMS subscribed to every event; its secret, as the CLI showed it once."""
    with session_scope(engine) as session:
        for old in session.execute(select(m.WebhookSubscriber)).scalars():
            old.revoked_at = m.utcnow()
        _, secret = webhooks.add_subscriber(session, f"oms-{len(oms.received)}-{id(oms)}-{clock.now().timestamp()}",
                                            f"{oms.url}/hooks/oms")
    oms.failures.clear()
    return secret


def block(engine, transformers: int = 1, per_transformer: int = 5) -> List[List[Person]]:
    """A zone with one feeder and its transformers, each with neighbours behind it."""
    with session_scope(engine) as session:
        zone = _make_zone(session, next(_blocks))
        feeder = zone.feeders[0]
        houses: List[List[Person]] = []
        for t in range(transformers):
            transformer = m.Transformer(code=f"{feeder.code}-T{t + 1}", feeder_id=feeder.id)
            session.add(transformer)
            session.flush()
            people = [add_person(session, zone, f"vecino{t}{n}") for n in range(per_transformer)]
            for person in people:
                session.get(m.Account, person.account_id).transformer_id = transformer.id
            houses.append(people)
        return houses


def report(domain, person: Person, journey: str = "report_outage") -> Outcome:
    """The person's message, through the outage journey, in a thread of its own (as the action server runs it)."""
    result: List[Outcome] = []

    def go() -> None:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(ActionRunJourney().run(dispatcher, verified(person.account_number, person.phone, journey), domain))
        result.append(Outcome(dispatcher.messages, events))

    thread = threading.Thread(target=go)
    thread.start()
    thread.join(60)
    return result[0]


def suspected_outages(engine, zone_of: Person) -> List[m.SuspectedOutage]:
    with session_scope(engine) as session:
        account = session.get(m.Account, zone_of.account_id)
        rows = list(session.execute(select(m.SuspectedOutage).where(m.SuspectedOutage.zone_id == account.zone_id)).scalars())
        session.expunge_all()
        return rows


def ticket_of(engine, person: Person):
    with session_scope(engine) as session:
        return [r.ticket for r in session.execute(select(m.OutageReport).where(
            m.OutageReport.account_id == person.account_id).order_by(m.OutageReport.id)).scalars()]


def signed_by(secret: str, post: Dict) -> bool:
    headers = post["headers"]
    expected = "sha256=" + hmac.new(secret.encode(), headers["x-luz-timestamp"].encode() + b"." + post["body"],
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-luz-signature"])


def test_three_neighbours_behind_a_transformer_open_a_suspected_outage_the_oms_hears_of_and_then_confirms(
        service, engine, domain, oms, subscriber, twilio_api):
    houses = block(engine, transformers=2)
    first, second, third, fourth, fifth = houses[0]
    other_side = houses[1][0]  # same feeder, another transformer: not a reporter
    assert "Registré tu reporte" in report(domain, first).text
    assert "Varios vecinos" not in report(domain, second).text and suspected_outages(engine, first) == []
    opened = report(domain, third).text
    assert "Registré tu reporte" in opened and "Varios vecinos de tu sector reportaron lo mismo" in opened
    [suspected] = suspected_outages(engine, first)
    assert (suspected.level, suspected.status, suspected.reports) == ("transformer", "open", 3)

    known = report(domain, fourth).text
    assert "Ya sabemos de una falla" in known and "Sumé tu reporte" in known and "número" not in known
    assert ticket_of(engine, fourth) == [None]  # counted, no ticket of its own
    assert "Sumé tu reporte" not in report(domain, fourth).text  # asking again is not counted twice
    status = report(domain, fifth, "outage_status").text
    assert "Ya sabemos de una falla" in status and "hora estimada" in status
    assert suspected_outages(engine, first)[0].reports == 4

    listed = service.get("/api/v1/suspected-outages").json()["suspected_outages"]
    mine = next(item for item in listed if item["id"] == suspected.id)
    assert (mine["reports"], mine["supplies"], mine["level"], mine["transformer"]) == (4, 4, "transformer", f"{mine['feeder']}-T1")

    run_job(service, "webhooks")
    [post] = oms.matching(lambda p: p["headers"]["x-luz-event"] == "suspected_outage.opened" and signed_by(subscriber, p)
                          and json.loads(p["body"])["data"]["id"] == suspected.id)  # signed with this run's secret
    assert not signed_by("whsec_someone-else", post)
    assert json.loads(post["body"])["data"]["zone"] == mine["zone"]

    confirmed = service.post("/api/v1/outages", json={"cause": "Transformador quemado", "zones": [mine["zone"]],
                                                      "estimated_restoration_at": (clock.now() + dt.timedelta(hours=3)).isoformat()})
    fanned_out(service, confirmed)
    assert confirmed.json()["merged_suspected_outages"] == [suspected.id]
    assert suspected_outages(engine, first)[0].status == "merged"
    with session_scope(engine) as session:
        notices = list(session.execute(select(m.Notification).where(
            m.Notification.outage_id == confirmed.json()["id"]).order_by(m.Notification.id)).scalars())
        reporters = {p.account_id for p in (first, second, third, fourth)}
        told_first = [n.account_id for n in notices[:4]]
        assert set(told_first) == reporters  # the reporters, counted one included, are told before anyone else
        assert all("Sobre el corte que nos reportaste" in n.body for n in notices[:4])
        assert other_side.account_id in {n.account_id for n in notices[4:]}
    run_job(service, "dispatch")
    assert "reportaste" in sent_to(twilio_api, fourth.phone)[-1]["body"]
    run_job(service, "webhooks")
    assert oms.matching(lambda p: p["headers"]["x-luz-event"] == "suspected_outage.merged" and signed_by(subscriber, p)
                        and json.loads(p["body"])["data"]["merged_outage_id"] == confirmed.json()["id"])


def test_reports_far_apart_in_time_do_not_group(service, engine, domain, subscriber):
    people = block(engine)[0]
    start = clock.now()
    for n, person in enumerate(people[:3]):
        with clock.travel_to(start + dt.timedelta(minutes=20 * n)):  # beyond the 15-minute window each time
            assert "Registré tu reporte" in report(domain, person).text
    assert suspected_outages(engine, people[0]) == []


def test_reports_behind_different_transformers_of_one_feeder_open_a_feeder_level_one(service, engine, domain, subscriber):
    houses = block(engine, transformers=3, per_transformer=1)
    for [person] in houses:
        report(domain, person)
    [suspected] = suspected_outages(engine, houses[0][0])
    assert (suspected.level, suspected.transformer_id, suspected.reports) == ("feeder", None, 3)


def test_reports_arriving_together_open_one_suspected_outage(service, engine, domain, subscriber):
    people = block(engine, per_transformer=8)[0]
    barrier, results = threading.Barrier(len(people)), []

    def at_once(person: Person) -> None:
        barrier.wait()
        results.append(report(domain, person).text)

    threads = [threading.Thread(target=at_once, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 8 and not any("Lo siento" in text for text in results)
    [suspected] = suspected_outages(engine, people[0])  # fails without the feeder's lock: several would open
    assert suspected.reports == 8


def test_a_delivery_is_retried_with_backoff_then_delivered_and_a_failed_one_can_be_replayed(service, engine, oms, subscriber):
    oms.failures.extend([500, 503])
    start = clock.now()
    with session_scope(engine) as session:
        assert webhooks.publish(session, "suspected_outage.opened", {"id": 999001}, start) == 1
    run_job(service, "webhooks")
    with session_scope(engine) as session:
        delivery = session.execute(select(m.WebhookDelivery).order_by(m.WebhookDelivery.id.desc())).scalars().first()
        assert (delivery.attempts, delivery.status, delivery.last_status) == (1, "queued", 500)
        assert delivery.next_attempt_at - start >= dt.timedelta(seconds=30)
        delivery_id = delivery.id
    run_job(service, "webhooks")  # not due yet: nothing sent
    assert len(oms.matching(lambda p: p["headers"]["x-luz-delivery"] == str(delivery_id) and signed_by(subscriber, p))) == 1
    for later in (31, 31 + 61):
        with clock.travel_to(start + dt.timedelta(seconds=later)):
            run_job(service, "webhooks")
    posts = oms.matching(lambda p: p["headers"]["x-luz-delivery"] == str(delivery_id) and signed_by(subscriber, p))
    assert len(posts) == 3
    with session_scope(engine) as session:
        delivered = session.get(m.WebhookDelivery, delivery_id)
        assert (delivered.status, delivered.attempts, delivered.last_status) == ("delivered", 3, 200)

    with session_scope(engine) as session:  # a subscriber whose endpoint is gone: retried, then failed
        active = session.execute(select(m.WebhookSubscriber).where(m.WebhookSubscriber.revoked_at.is_(None))).scalar_one()
        active.url = "http://127.0.0.1:9/hooks/oms"
        webhooks.publish(session, "suspected_outage.opened", {"id": 999002}, start)
    elapsed = dt.timedelta(0)
    for attempt in range(webhooks.MAX_ATTEMPTS):
        with clock.travel_to(start + elapsed + dt.timedelta(seconds=1)):
            run_job(service, "webhooks")
        elapsed += webhooks.FIRST_RETRY * 2 ** attempt + dt.timedelta(seconds=1)
    failed = service.get("/api/v1/webhooks/deliveries", params={"status": "failed"}).json()["deliveries"]
    gone = next(item for item in failed if item["event"] == "suspected_outage.opened" and item["attempts"] == webhooks.MAX_ATTEMPTS)
    assert gone["last_error"] and gone["last_status"] is None

    with session_scope(engine) as session:
        session.execute(select(m.WebhookSubscriber).where(m.WebhookSubscriber.revoked_at.is_(None))).scalar_one().url = f"{oms.url}/hooks/oms"
    replayed = service.post(f"/api/v1/webhooks/deliveries/{gone['id']}/replay")
    assert replayed.status_code == 202 and replayed.json()["replay_of"] == gone["id"]
    run_job(service, "webhooks")
    assert oms.matching(lambda p: p["headers"]["x-luz-delivery"] == str(replayed.json()["id"]) and signed_by(subscriber, p)
                        and json.loads(p["body"])["data"] == {"id": 999002})
    assert service.post("/api/v1/webhooks/deliveries/987654/replay").status_code == 404
    assert service.get("/api/v1/webhooks/deliveries", headers={"X-API-Key": "luz_not-a-key"}).status_code == 401


def test_a_webhook_url_must_be_https_unless_it_is_this_machine(engine):
    with session_scope(engine) as session:
        with pytest.raises(ValueError, match="https"):
            webhooks.add_subscriber(session, "plain", "http://oms.example/hooks")
        with pytest.raises(ValueError, match="unknown events"):
            webhooks.add_subscriber(session, "typo", "https://oms.example/hooks", "suspected_outage.openned")
