"""Calls Luz places: electro-dependent customers hear planned work and long outages on the phone, once, recorded."""
from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot import clock
from bot.db import models as m
from bot.db.engine import session_scope
from bot.settings import get_settings
from channels.voice import VoiceInput
from tests.integration.conftest import _numbers, add_person, run_job, sent_to
from tests.integration.test_notifications import post_outage
from tests.product import TWILIO_SID, TWILIO_TOKEN, VOICE_FROM
from tests.twiml import assert_speakable, heard, parse, signed_request


def zone_with(engine, *keys_electro_dependent):
    """A zone of its own; each (key, electro-dependent) a customer on SMS who consented to notices."""
    suffix = next(_numbers)
    with session_scope(engine) as session:
        zone = m.Zone(code=f"ZV-{suffix:03d}", name=f"Barrio Voz {suffix}", city="Bogotá")
        zone.feeders = [m.Feeder(code=f"FV-{suffix:03d}-1")]
        session.add(zone)
        session.flush()
        people = {}
        for key, medical in keys_electro_dependent:
            person = add_person(session, zone, key)
            session.get(m.Customer, person.customer_id).electro_dependent = medical
            people[key] = person
        return zone.code, people


def notices_of(engine, person):
    with session_scope(engine) as session:
        return {n.kind: (n.channel, n.status, n.provider_id) for n in session.execute(
            select(m.Notification).where(m.Notification.customer_id == person.customer_id)).scalars()}


def test_a_long_outage_calls_the_electro_dependent_customer_and_the_call_is_recorded(service, engine, twilio_api):
    zone, people = zone_with(engine, ("oxigeno", True), ("vecina", False))
    post_outage(service, zone, hours=5)
    run_job(service, "dispatch")
    medical, neighbour = people["oxigeno"], people["vecina"]
    [call] = twilio_api.calls_to(medical.phone)
    assert call["from"] == VOICE_FROM and call["status_callback"].endswith("/webhooks/voice/status")
    assert twilio_api.calls_to(neighbour.phone) == []  # a neighbour without medical equipment gets the text only
    assert len(sent_to(twilio_api, medical.phone)) == 1  # the text goes too
    said = parse(call["twiml"])
    assert_speakable(said)
    assert "equipos médicos" in said.text and "corte de energía en Barrio Voz" in said.text
    assert "marca cero" in said.text and said.next_turn == 1  # then it listens, as any call does
    assert said.gather.get("action") == f"{get_settings().public_base_url}/webhooks/voice/gather?turn=1"
    channel, status, sid = notices_of(engine, medical)["outage_started_call"]
    assert (channel, status, sid) == ("voice", m.NotificationStatus.sent, call["sid"])
    # Twilio says the call was answered and finished: the notice is delivered.
    form = {"CallSid": call["sid"], "AccountSid": TWILIO_SID, "CallStatus": "completed", "From": VOICE_FROM,
            "To": medical.phone, "Direction": "outbound-api"}
    request = signed_request(get_settings().public_base_url, TWILIO_TOKEN, "/webhooks/voice/status", form)
    assert asyncio.run(VoiceInput(get_settings()).call_status(request)).status == 204
    assert notices_of(engine, medical)["outage_started_call"][1] == m.NotificationStatus.delivered
    run_job(service, "dispatch")
    assert len(twilio_api.calls_to(medical.phone)) == 1  # once
    with session_scope(engine) as session:
        placed = session.execute(select(m.VoiceCall).where(m.VoiceCall.call_sid == call["sid"])).scalar_one()
        assert (placed.direction, placed.phone, placed.status) == ("outbound", medical.phone, "completed")


def test_the_customer_called_can_ask_for_a_person_with_zero(service, engine, twilio_api):
    zone, people = zone_with(engine, ("respirador", True))
    post_outage(service, zone, hours=8)
    run_job(service, "dispatch")
    [call] = twilio_api.calls_to(people["respirador"].phone)
    form = {"CallSid": call["sid"], "AccountSid": TWILIO_SID, "From": VOICE_FROM, "To": people["respirador"].phone,
            "Direction": "outbound-api", "Digits": "0"}  # on a call Luz placed, the customer is the "To"
    request = signed_request(get_settings().public_base_url, TWILIO_TOKEN, "/webhooks/voice/gather?turn=1", form)

    async def never_reached(message):  # the call starts a session of its own; nothing else reaches the assistant
        if message.text != "/session_start":
            raise AssertionError(message.text)

    told = heard(asyncio.run(VoiceInput(get_settings()).respond(request, never_reached, 1)))
    assert told.dial and "Te comunico con un asesor" in told.text  # a Wednesday morning: within agent hours


def test_a_short_outage_is_texted_not_called(service, engine, twilio_api):
    zone, people = zone_with(engine, ("concentrador", True))
    post_outage(service, zone, hours=1)
    run_job(service, "dispatch")
    assert twilio_api.calls_to(people["concentrador"].phone) == []
    assert "outage_started_call" not in notices_of(engine, people["concentrador"])


def test_planned_work_calls_the_electro_dependent_customer_before_it_starts(service, engine, twilio_api):
    zone, people = zone_with(engine, ("dialisis", True))
    starts = clock.now() + dt.timedelta(hours=60)
    planned = service.post("/api/v1/planned-outages", json={
        "cause": "Mantenimiento de redes", "zones": [zone], "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=4)).isoformat()}).json()
    run_job(service, f"planned:{planned['id']}:48")
    run_job(service, "dispatch")
    [call] = twilio_api.calls_to(people["dialisis"].phone)
    said = parse(call["twiml"])
    assert_speakable(said)
    assert "Por mantenimiento de redes, suspenderemos el servicio en Barrio Voz" in said.text
    assert notices_of(engine, people["dialisis"])["planned_48h_call"][0] == "voice"


def test_without_a_line_to_call_from_the_call_is_recorded_as_not_made(engine):
    from bot import notifications, records
    from bot.settings import Settings

    no_line = Settings.from_environ({"DATABASE_URL": str(engine.url)})
    key = f"voice-test:{next(_numbers)}"
    with session_scope(engine) as session:
        pedro = records.account_by_number(session, "100200306")  # electro-dependent
        outage = session.execute(select(m.Outage)).scalars().first()
        made = notifications.call_electro_dependent(session, kind="voice_test", dedupe_key=key, account=pedro,
                                                    notice="Hay un corte.", settings=no_line, now=m.utcnow(), urgent=True,
                                                    outage=outage)
        row = session.execute(select(m.Notification).where(m.Notification.dedupe_key == key)).scalar_one()
        assert made == 0 and (row.channel, row.status) == ("voice", m.NotificationStatus.skipped)
        assert "TWILIO_VOICE_FROM" in row.error


def test_a_callback_waiting_in_the_queue_is_not_messaged_by_the_queue_watcher(service, engine):
    from bot import calls

    phone = f"+57311888{next(_numbers):04d}"
    calls.register_callback(get_settings(), calls.conversation_of(phone), phone, ["asesor"],
                            now=m.utcnow() - dt.timedelta(minutes=40))  # waiting well past the queue's patience
    run_job(service, "queue")
    with session_scope(engine) as session:
        queued = session.execute(select(m.Handoff).where(m.Handoff.conversation_id == f"callback:{phone}")).scalar_one()
        sent = session.execute(select(m.OutboundMessage).where(m.OutboundMessage.recipient == f"callback:{phone}")).all()
    assert queued.status == m.HandoffStatus.queued and queued.patience_told_at is None and sent == []
