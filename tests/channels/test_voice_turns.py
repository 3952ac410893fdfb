"""The phone line's turns in this process, at any hour: a callback out of agent hours, refusals, repeats.

The voice channel's handler is called as Sanic would call it, with a request signed as Twilio signs it; Rasa is
stood in for where the turn reaches the assistant (the whole calls through the real product: test_voice.py).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from bot import clock
from bot.db import models as m
from bot.db.engine import session_scope
from bot.settings import Settings
from channels.speech import for_the_ear
from channels.voice import VoiceInput
from tests.conftest import BOGOTA
from tests.product import TWILIO_SID, TWILIO_TOKEN, VOICE_FROM
from tests.twiml import assert_speakable, heard, signed_request

PUBLIC = "https://luz.example.co"
_sids = itertools.count(1)


@pytest.fixture()
def line(use_database) -> VoiceInput:
    return VoiceInput(Settings.from_environ({
        "DATABASE_URL": use_database, "PUBLIC_BASE_URL": PUBLIC, "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_VOICE_FROM": VOICE_FROM,
        "LUZ_AGENT_HOURS": "07:00-19:00", "LUZ_AGENT_DAYS": "1-6", "LUZ_AGENT_PHONE": "601 555 0100"}))


async def never_reached(message):
    """Stands in for Rasa: a call starts a new session, and nothing these tests say reaches the assistant."""
    if message.text != "/session_start":
        raise AssertionError(f"the assistant was asked: {message.text}")


_callers = itertools.count(0)


def caller_with_one_supply(engine) -> str:
    """A customer's phone with one supply, another one for each test (each has its own callbacks)."""
    from bot import records

    with session_scope(engine) as session:
        phones = session.execute(select(m.Phone.number).where(m.Phone.number.notlike("+57300123450%"))
                                 .order_by(m.Phone.id)).scalars()
        found = (p for p in phones if len(records.accounts_for_phone(session, p)) == 1)
        for _ in range(next(_callers)):
            next(found)
        return next(found)


async def post(line: VoiceInput, sid: str, phone: str, turn: int, signature=None, **extra):
    path = "/webhooks/voice/webhook" if turn == 0 else f"/webhooks/voice/gather?turn={turn}"
    form = {"CallSid": sid, "AccountSid": TWILIO_SID, "From": phone, "To": VOICE_FROM, "Direction": "inbound", **extra}
    return await line.respond(signed_request(PUBLIC, TWILIO_TOKEN, path, form, signature), never_reached, turn)


async def test_out_of_agent_hours_zero_registers_a_callback_in_the_consoles_queue(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    with clock.travel_to(dt.datetime(2026, 11, 18, 21, 30, tzinfo=BOGOTA)):  # Wednesday night
        await post(line, sid, phone, 0)
        told = heard(await post(line, sid, phone, 1, Digits="0"))
    assert told.dial is None and "no hay asesores" in told.text and "te llamemos a este número" in told.text
    assert "de lunes a sábado de siete de la mañana a siete de la noche" in told.text
    assert "solicitud S L" in told.text and told.next_turn == 2  # the call goes on with Luz
    assert_speakable(told)
    with session_scope(engine) as session:
        queued = session.execute(select(m.Handoff).where(m.Handoff.conversation_id == f"callback:{phone}")).scalar_one()
        request = session.execute(select(m.ServiceRequest).where(
            m.ServiceRequest.kind == "callback", m.ServiceRequest.channel == "voice")
            .order_by(m.ServiceRequest.id.desc())).scalars().first()
    assert queued.status == m.HandoffStatus.queued and queued.channel == "voice" and queued.reason == "callback"
    assert request.ticket in queued.summary and phone in queued.summary and request.details["phone"] == phone


async def test_within_agent_hours_zero_is_put_through_to_the_agents_line(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    with clock.travel_to(dt.datetime(2026, 11, 18, 10, 0, tzinfo=BOGOTA)):
        await post(line, sid, phone, 0)
        told = heard(await post(line, sid, phone, 1, SpeechResult="con un asesor por favor", Confidence="0.9"))
    assert told.dial == "+576015550100" and told.says[0].startswith("Te comunico con un asesor")


async def test_a_busy_agents_line_becomes_a_callback_and_a_finished_transfer_ends_the_call(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    with clock.travel_to(dt.datetime(2026, 11, 18, 10, 0, tzinfo=BOGOTA)):
        await post(line, sid, phone, 0)
        put_through = heard(await post(line, sid, phone, 1, Digits="0"))
        busy = heard(await post(line, sid, phone, put_through.next_turn or 2, DialCallStatus="busy"))
    assert "todos están ocupados" in busy.says[0] and "te llamemos a este número lo antes posible" in busy.text
    assert busy.next_turn is not None  # Luz goes on
    with session_scope(engine) as session:
        assert session.execute(select(m.Handoff).where(m.Handoff.conversation_id == f"callback:{phone}")).scalar_one()
    other = f"CAturns{next(_sids):027d}"
    await post(line, other, phone, 0)
    heard(await post(line, other, phone, 1, Digits="0"))
    done = heard(await post(line, other, phone, 2, DialCallStatus="completed"))
    assert done.hangup and done.says == []


async def test_a_hidden_number_out_of_hours_is_asked_to_call_again(line):
    sid = f"CAturns{next(_sids):027d}"
    with clock.travel_to(dt.datetime(2026, 11, 22, 9, 0, tzinfo=BOGOTA)):  # Sunday
        await post(line, sid, "anonymous", 0)
        told = heard(await post(line, sid, "anonymous", 1, Digits="0"))
    assert "no puedo devolverte la llamada" in told.text and told.dial is None


async def test_unsigned_or_wrongly_signed_turns_are_refused(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    assert (await post(line, sid, phone, 0, signature="")).status == 403
    assert (await post(line, sid, phone, 0, signature="forged")).status == 403
    with session_scope(engine) as session:
        assert session.execute(select(m.VoiceCall).where(m.VoiceCall.call_sid == sid)).first() is None


async def test_a_repeated_turn_gets_the_first_answer_and_is_processed_once(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    with clock.travel_to(dt.datetime(2026, 11, 21, 20, 0, tzinfo=BOGOTA)):  # Saturday evening: a callback
        first = await post(line, sid, phone, 1, Digits="0")
        again = await post(line, sid, phone, 1, Digits="0")
        later = heard(await post(line, f"CAturns{next(_sids):027d}", phone, 1, Digits="0"))  # another call, same wish
    assert first.body == again.body
    with session_scope(engine) as session:
        [queued] = session.execute(select(m.Handoff).where(m.Handoff.conversation_id == f"callback:{phone}")).scalars()
        [request] = session.execute(select(m.ServiceRequest).where(m.ServiceRequest.ticket.in_(
            queued.summary.replace("(", " ").replace(")", " ").split()))).scalars()
    assert f"es la solicitud {for_the_ear(request.ticket)}." in later.text  # the first request stands


async def test_silence_is_met_with_the_question_again_then_a_polite_goodbye(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    await post(line, sid, phone, 0)
    first = heard(await post(line, sid, phone, 1))
    assert first.says[:3] == ["¿Sigues ahí? No te escuché.", "¿En qué te ayudo?", "Di «mi saldo» o marca uno."]
    second = heard(await post(line, sid, phone, 2))
    assert second.hangup and "Hasta pronto" in second.text
    with session_scope(engine) as session:
        call = session.execute(select(m.VoiceCall).where(m.VoiceCall.call_sid == sid)).scalar_one()
    assert call.outcome == "silence" and call.silences == 2


def assistant_that(line: VoiceInput, reason: str):
    """Stands in for Rasa where the assistant hands the caller over (a hazard, a request for a person), as
    actions/handoff.py does: its words, then the queue's answer."""
    from bot import handoff
    from bot.db.engine import engine_for

    async def turn(message):
        if message.text == "/session_start":
            return
        out = message.output_channel
        if reason == "hazard":
            await out.send_text_message(message.sender_id, "⚠️ Por tu seguridad: aléjate al menos 10 metros del cable.")
            await out.send_text_message(message.sender_id, "Registré la emergencia con prioridad máxima: número EM-0000042.")
        with session_scope(engine_for(line.settings.database_url)) as session:
            placement = handoff.request(session, conversation_id=message.sender_id, channel="voice", reason=reason,
                                        settings=line.settings, phone=message.metadata.get("phone"))
            if placement.queued:
                await out.send_text_message(message.sender_id, handoff.queued_text(placement))
            else:
                await out.send_text_with_buttons(message.sender_id, handoff.unavailable_text(placement), [
                    {"title": title, "payload": payload} for title, payload in handoff.UNAVAILABLE_BUTTONS])
    return turn


async def test_a_hazard_out_of_hours_is_said_first_and_put_through_at_once(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    with clock.travel_to(dt.datetime(2026, 11, 22, 2, 30, tzinfo=BOGOTA)):  # Sunday, half past two in the morning
        request = signed_request(PUBLIC, TWILIO_TOKEN, "/webhooks/voice/gather?turn=1", {
            "CallSid": sid, "AccountSid": TWILIO_SID, "From": phone, "To": VOICE_FROM, "Direction": "inbound",
            "SpeechResult": "hay un cable caído echando chispas", "Confidence": "0.9"})
        told = heard(await line.respond(request, assistant_that(line, "hazard"), 1))
    assert told.says[0] == "Por tu seguridad: aléjate al menos diez metros del cable."
    assert told.says[1] == "Registré la emergencia con prioridad máxima: número E M cuarenta y dos."
    assert "Ahora te comunico con nuestro equipo de emergencias" in told.says[2] and told.dial == "+576015550100"
    assert "quedó de primero" not in told.text and "chat" not in told.text  # the chat's queue words are not said
    with session_scope(engine) as session:
        [queued] = session.execute(select(m.Handoff).where(m.Handoff.conversation_id == f"voice:{phone}")).scalars()
    assert queued.reason == "hazard" and queued.status == m.HandoffStatus.closed  # taken by the phone line


async def test_a_person_offered_by_the_assistant_out_of_hours_becomes_a_callback(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    with clock.travel_to(dt.datetime(2026, 11, 18, 20, 0, tzinfo=BOGOTA)):
        request = signed_request(PUBLIC, TWILIO_TOKEN, "/webhooks/voice/gather?turn=1", {
            "CallSid": sid, "AccountSid": TWILIO_SID, "From": phone, "To": VOICE_FROM, "Direction": "inbound",
            "SpeechResult": "necesito que alguien me ayude con esto ya mismo", "Confidence": "0.9"})
        told = heard(await line.respond(request, assistant_that(line, "requested"), 1))
    assert told.dial is None and "no hay asesores disponibles" not in told.text  # the chat's choice is not offered
    assert "te llamemos a este número apenas abramos" in told.text and not any("Di «" in s for s in told.says)


async def test_a_turn_repeated_while_it_is_answered_waits_for_that_answer(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    asked = []

    async def slow_assistant(message):
        if message.text != "/session_start":
            asked.append(message.text)
            await asyncio.sleep(1)
            await message.output_channel.send_text_message(message.sender_id, "Tu saldo es $ 84.350.")

    form = {"CallSid": sid, "AccountSid": TWILIO_SID, "From": phone, "To": VOICE_FROM, "Direction": "inbound",
            "SpeechResult": "cuánto debo", "Confidence": "0.9"}
    first, again = await asyncio.gather(*(
        line.respond(signed_request(PUBLIC, TWILIO_TOKEN, "/webhooks/voice/gather?turn=1", form), slow_assistant, 1)
        for _ in range(2)))
    assert asked == ["cuánto debo"] and first.body == again.body
    assert heard(first).says == ["Tu saldo es ochenta y cuatro mil trescientos cincuenta pesos."]


async def test_speech_without_a_confidence_is_taken_as_heard(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    asked = []

    async def assistant(message):
        if message.text != "/session_start":
            asked.append(message.text)
            await message.output_channel.send_text_message(message.sender_id, "Claro.")

    form = {"CallSid": sid, "AccountSid": TWILIO_SID, "From": phone, "To": VOICE_FROM, "Direction": "inbound",
            "SpeechResult": "cuánto debo"}  # a speech model that gives no Confidence
    told = heard(await line.respond(signed_request(PUBLIC, TWILIO_TOKEN, "/webhooks/voice/gather?turn=1", form), assistant, 1))
    assert asked == ["cuánto debo"] and told.says == ["Claro."]


async def test_a_danger_half_heard_is_not_asked_again(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    asked = []

    async def assistant(message):
        if message.text != "/session_start":
            asked.append(message.text)
            await message.output_channel.send_text_message(message.sender_id, "⚠️ Por tu seguridad: aléjate.")

    form = {"CallSid": sid, "AccountSid": TWILIO_SID, "From": phone, "To": VOICE_FROM, "Direction": "inbound",
            "SpeechResult": "un cable caido echando chispas", "Confidence": "0.2"}
    told = heard(await line.respond(signed_request(PUBLIC, TWILIO_TOKEN, "/webhooks/voice/gather?turn=1", form), assistant, 1))
    assert asked == ["un cable caido echando chispas"] and told.says == ["Por tu seguridad: aléjate."]


async def test_a_console_message_to_a_callback_places_no_call(use_database, twilio_api):
    from channels.providers.voice import VoiceProvider

    provider = VoiceProvider.from_settings(Settings.from_environ({
        "DATABASE_URL": use_database, "PUBLIC_BASE_URL": PUBLIC, "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_VOICE_FROM": VOICE_FROM, "TWILIO_API_BASE_URL": twilio_api.url}))
    delivery = await provider.send("callback:+573001234567", {"text": "Hola, soy Camila, de Energía del Valle."})
    assert not delivery.ok and not delivery.retryable
    assert twilio_api.calls_to("callback:+573001234567") == [] and twilio_api.calls_to("+573001234567") == []
    await provider.close()


async def test_the_first_turn_of_a_call_luz_placed_starts_a_session_of_its_own(line, engine):
    phone, sid = caller_with_one_supply(engine), f"CAturns{next(_sids):027d}"
    seen = []

    async def assistant(message):
        seen.append((message.text, message.sender_id))
        if message.text != "/session_start":
            await message.output_channel.send_text_message(message.sender_id, "Claro.")

    form = {"CallSid": sid, "AccountSid": TWILIO_SID, "From": VOICE_FROM, "To": phone, "Direction": "outbound-api",
            "SpeechResult": "gracias por avisar", "Confidence": "0.9"}
    for turn in (1, 2):
        await line.respond(signed_request(PUBLIC, TWILIO_TOKEN, f"/webhooks/voice/gather?turn={turn}", form), assistant, turn)
    conversation = f"voice:{phone}"  # the customer called is the "To"
    assert seen == [("/session_start", conversation), ("gracias por avisar", conversation),
                    ("gracias por avisar", conversation)]
