"""The phone line end to end: signed voice webhooks -> Rasa -> actions -> records -> TwiML, what the caller hears."""
from __future__ import annotations

import itertools
import re
import time
from typing import Optional

import httpx
import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot import clock, records
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.spoken import money_words, number_words
from tests.product import TWILIO_SID, TWILIO_TOKEN, VOICE_FROM
from tests.twiml import Heard, assert_speakable, heard

pytestmark = pytest.mark.slow
_calls = itertools.count(1)


class Call:
    """A caller on the line: each ``say``/``press`` is the gather callback Twilio would post, signed."""

    def __init__(self, product, caller: str, direction: str = "inbound", sid: Optional[str] = None) -> None:
        self.product, self.caller, self.direction = product, caller, direction
        self.sid = sid or f"CA{next(_calls):030d}ff"
        self.turn = 0

    def form(self, **extra) -> dict:
        ours, theirs = VOICE_FROM, self.caller
        parties = {"From": ours, "To": theirs} if self.direction != "inbound" else {"From": theirs, "To": ours}
        return {"CallSid": self.sid, "AccountSid": TWILIO_SID, "Direction": self.direction, "CallStatus": "in-progress",
                **parties, **extra}

    def post(self, path: str, form: dict, signature: Optional[str] = None) -> httpx.Response:
        public = self.product["env"]["PUBLIC_BASE_URL"] + path
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(public, form) if signature is None else signature
        return httpx.post(self.product["base"] + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)

    def answer(self) -> Heard:
        result = heard(self.post("/webhooks/voice/webhook", self.form(CallStatus="ringing")))
        self.turn = result.next_turn or self.turn
        return result

    def gather(self, **extra) -> Heard:
        result = heard(self.post(f"/webhooks/voice/gather?turn={self.turn}", self.form(**extra)))
        assert result.status == 200
        assert_speakable(result)
        self.turn = result.next_turn or self.turn
        return result

    def say(self, speech: str, confidence: float = 0.91) -> Heard:
        return self.gather(SpeechResult=speech, Confidence=str(confidence))

    def press(self, digits: str) -> Heard:
        return self.gather(Digits=digits)

    def silence(self) -> Heard:
        return self.gather()


def balance_of(product, number: str):
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        return records.balance(session, records.account_by_number(session, number), clock.today())


def turns_received(product, conversation_id: str) -> int:
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        return session.execute(select(func.count(m.InteractionEvent.id)).where(
            m.InteractionEvent.kind == "message_received", m.InteractionEvent.conversation_id == conversation_id)).scalar_one()


def test_a_call_is_greeted_and_listens_for_speech_and_keys_in_colombian_spanish(product):
    greeting = Call(product, "+573001234501").answer()
    assert greeting.status == 200 and "Hola, soy Luz" in greeting.text and "marca cero" in greeting.text
    assert greeting.gather.get("input") == "speech dtmf" and greeting.gather.get("language") == "es-CO"
    assert greeting.gather.get("actionOnEmptyResult") == "true" and greeting.next_turn == 1
    assert_speakable(greeting)


def test_the_greetings_menu_is_answered_on_the_keypad(product):
    call = Call(product, "+573001234501")
    greeting = call.answer()
    assert greeting.says[1:4] == ["Di «mi saldo» o marca uno.", "Di «no tengo luz» o marca dos.",
                                  "Di «pagar la factura» o marca tres."]
    assert greeting.gather.get("numDigits") == "1"
    assert money_words(balance_of(product, "100200301").amount_due) in call.press("1").text


def test_the_balance_is_said_in_words_and_the_payment_link_goes_by_text_message(product, twilio_api):
    call = Call(product, "+573001234501")
    call.answer()
    balance = balance_of(product, "100200301")
    reply = call.say("cuánto debo")
    assert money_words(balance.amount_due) in reply.text  # "ochenta y cuatro mil ... pesos", not "$ 84.350"
    assert re.search(r"[Vv]ence el (primero|[a-zé]+(?: y [a-z]+)?) de [a-z]+", reply.text)  # "vence el doce de diciembre"
    assert "Di «pagar» o marca uno." in reply.says  # the buttons, as a menu said and keyed
    before = len(twilio_api.matching(lambda r: r["to"] == "+573001234501"))
    paying = call.press("1")
    assert "Te envié el enlace por mensaje de texto." in paying.says
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(twilio_api.matching(lambda r: r["to"] == "+573001234501")) == before:
        time.sleep(0.2)
    [texted] = twilio_api.matching(lambda r: r["to"] == "+573001234501")[before:]
    assert "https://" in texted["body"] or "http://" in texted["body"]


def test_a_caller_with_two_supplies_chooses_one_by_its_street_or_a_key_and_hears_no_account_number(product):
    call = Call(product, "+573001234503")  # María: two supplies
    call.answer()
    choose = call.say("cuánto debo")
    menu = [said for said in choose.says if said.startswith("Di «")]
    assert len(menu) == 2 and all("cuenta terminada en" in said for said in menu)
    assert menu[0].endswith("o marca uno.") and menu[1].endswith("o marca dos.")
    told = call.press("2")
    assert money_words(balance_of(product, "100200313").amount_due) in told.text


def test_each_call_starts_afresh_what_an_earlier_call_left_half_asked(product):
    first = Call(product, "+573109990305")
    first.answer()
    assert "número de cuenta" in first.say("cuánto debo").text  # then the caller hangs up
    second = Call(product, "+573109990305")
    second.answer()
    reply = second.say("cuáles son los horarios de las oficinas")
    assert "número de cuenta" not in reply.text and "oficina" in reply.text.lower()


def test_an_outage_report_is_answered_from_the_records(product):
    call = Call(product, "+573001234504")  # Jorge, in the zone with an outage in progress
    call.answer()
    reply = call.say("no tengo luz en la casa")
    assert "Ya sabemos de este corte" in reply.text and "Kennedy" in reply.text and reply.next_turn is not None
    lucia = Call(product, "+573001234505")  # no outage known where Lucía lives: a ticket
    lucia.answer()
    reported = lucia.say("se me fue la luz en toda la casa")
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        report = session.execute(select(m.OutageReport).where(
            m.OutageReport.phone == "+573001234505", m.OutageReport.channel == "voice")).scalars().first()
    assert report is not None and report.kind == "no_power"
    ticket = report.ticket.split("-")
    assert f"{' '.join(ticket[0])} {number_words(int(ticket[1]))}" in reported.text  # "A V ciento veintitrés"


def test_a_hazard_gets_safety_first_then_the_ticket_then_a_person(product):
    call = Call(product, "+573109990301")
    call.answer()
    warned = call.say("hay un cable caído en la calle echando chispas")
    assert warned.says[0].startswith("Por tu seguridad")  # the safety instructions come first
    assert re.search(r"\bE M\b", warned.text)  # the emergency ticket, said letter by letter
    put_through = call.say("frente al parque de la calle diez con carrera cinco")
    assert put_through.dial == "+576015550100" and "emergencias" in put_through.says[-1]
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        report = session.execute(select(m.OutageReport).where(m.OutageReport.phone == "+573109990301")).scalar_one()
        assert report.kind == "hazard" and report.channel == "voice"
        left = session.execute(select(m.Handoff).where(m.Handoff.conversation_id == "voice:+573109990301")).scalar_one()
        assert left.status == m.HandoffStatus.closed and "transferida" in left.resolution  # not left waiting in the console


def test_a_caller_from_another_number_types_the_account_and_the_second_factor_on_the_keypad(product):
    call = Call(product, "+573109990302")
    call.answer()
    asked = call.say("cuánto debo")
    assert "número de cuenta" in asked.text and "teclado" in asked.text
    assert asked.gather.get("numDigits") is None and asked.gather.get("finishOnKey") == "#"  # nine keys, then #
    digits = call.press("100200301")
    assert "cuatro dígitos" in digits.text or "últimos" in digits.text
    told = call.press("1234")
    assert money_words(balance_of(product, "100200301").amount_due) in told.text


def test_speech_heard_with_low_confidence_is_asked_again_in_other_words(product):
    call = Call(product, "+573109990303")
    call.answer()
    before = turns_received(product, "voice:+573109990303")
    unsure = call.say("cuanto de vo", confidence=0.21)
    assert "no te entendí bien" in unsure.text and "otras palabras" in unsure.text
    again = call.say("cuánto debo", confidence=0.3)
    assert unsure.text != again.text and "pocas palabras" in again.text
    assert turns_received(product, "voice:+573109990303") == before  # nothing was taken as a request


def test_silence_twice_ends_the_call_politely(product):
    call = Call(product, "+573109990304")
    call.answer()
    first = call.silence()
    assert "¿Sigues ahí?" in first.text and not first.hangup and first.next_turn == 2
    second = call.silence()
    assert second.hangup and "Gracias por llamar" in second.text and second.gather is None


def test_a_caller_who_says_goodbye_is_thanked_and_the_call_ends(product):
    call = Call(product, "+573109990306")
    call.answer()
    farewell = call.say("muchas gracias, eso era todo, adiós")
    assert farewell.hangup and "Gracias por llamarnos" in farewell.text and farewell.gather is None


def test_zero_or_asesor_within_agent_hours_puts_a_person_on_the_line(product):
    call = Call(product, "+573001234505")
    call.answer()
    pressed = call.press("0")
    assert pressed.dial == "+576015550100" and "Te comunico con un asesor" in pressed.text
    spoken = Call(product, "+573001234505")
    spoken.answer()
    assert spoken.say("quiero hablar con un asesor").dial == "+576015550100"


def test_an_unsigned_call_is_refused_and_a_repeated_turn_is_processed_once(product):
    call = Call(product, "+573001234503")
    assert call.post("/webhooks/voice/webhook", call.form(), signature="forged").status_code == 403
    assert call.post("/webhooks/voice/webhook", call.form(), signature="").status_code == 403
    call.answer()
    form = call.form(SpeechResult="hola", Confidence="0.9")
    before = turns_received(product, "voice:+573001234503")
    first = call.post("/webhooks/voice/gather?turn=1", form)
    again = call.post("/webhooks/voice/gather?turn=1", form)  # Twilio's retry of the same turn
    assert first.status_code == again.status_code == 200 and first.text == again.text
    assert turns_received(product, "voice:+573001234503") == before + 1


SAID_ON_THE_LINE = [  # answers full of figures, dates, times, masks and links in the chat
    ("+573001234506", "quiero una copia de la factura"), ("+573001234506", "mi historial de consumo"),
    ("+573001234506", "estado de mis reclamos"), ("+573001234505", "cuánto generé con los paneles"),
    ("+573001234505", "cuáles son las tarifas"), ("+573001234504", "cuándo vuelve la luz"),
    ("+573001234504", "cómo pago la factura"), ("+573001234502", "cuánto debo"), ("+573001234503", "horario de las oficinas"),
    ("+573001234501", "quiero un acuerdo de pago"), ("+573001234504", "hay cortes programados"),
]


def test_nothing_said_on_the_line_holds_a_raw_figure_a_date_a_mask_or_a_link(product):
    for caller, request in SAID_ON_THE_LINE:
        call = Call(product, caller)
        call.answer()
        reply = call.say(request)  # Call.gather checks every <Say> (assert_speakable)
        assert reply.says and all(said.strip() for said in reply.says), (request, reply.xml)
        assert not re.search(r"\b(?:ene|feb|mar|abr|may|jun|jul|ago|sept?|oct|nov|dic) (?:veinti|dos mil)", reply.text)
        if "enlace" in reply.text:
            assert "Te envié el enlace por mensaje de texto." in reply.says


def test_on_a_call_luz_placed_the_customer_called_is_identified_and_served(product):
    call = Call(product, "+573001234506", direction="outbound-api")  # Pedro, called about an outage
    call.turn = 1  # the placed call's own TwiML asked for turn 1
    reply = call.say("y cuánto debo")
    assert money_words(balance_of(product, "100200306").amount_due) in reply.text  # no account asked: he was called
