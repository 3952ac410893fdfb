"""The phone line: Twilio Voice calls answered by Luz, turn by turn, in TwiML (issue 21).

Webhooks: ``/webhooks/voice/webhook`` (a call comes in: turn 0), ``/webhooks/voice/gather?turn=N`` (what the
caller said or keyed in turn N) and ``/webhooks/voice/status`` (how a call ended). Each is signed by Twilio
(``X-Twilio-Signature`` over the public URL, query included; 403 otherwise) and each (CallSid, turn) is
processed once: a repeat gets the TwiML the first request got (``bot/calls.py``).

Unlike the messaging channels, Twilio waits for the answer: the turn runs while it waits, through the same
``answer()`` as every channel, and is said back (``channels/speech.py``) inside a ``<Gather input="speech
dtmf">`` that listens for the next one. The caller's number identifies them as on SMS (the second factor is
typed on the keypad where the rules ask for it); speech heard with low confidence is asked again in other
words; nothing heard twice ends the call politely; links go by text message. "Asesor" or 0 puts a person on
the line within agent hours (``<Dial>``), or registers a callback in the console's queue outside them; a
hazard is said first (safety instructions, the ticket) and then put through to a person at any hour.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, Dict, List, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot import calls, internal_auth
from bot.concepts import CONCEPTS
from bot.handoff import CALLBACK_PAYLOAD
from bot.phones import to_e164
from bot.settings import Settings, get_settings
from bot.spoken import number_words
from bot.text import fold
from channels import inbox, outbound
from channels.conversation import APOLOGY, Inbound, OnNewMessage, answer, record_turn, spawn
from channels.speech import (
    AGENT_KEY,
    LINK_SENT,
    VoiceStyle,
    asks_for_digits,
    for_the_ear,
    gather_twiml,
    goodbye_twiml,
    retry_twiml,
    speak,
    transfer_twiml,
)
from channels.twilio import form_of

log = logging.getLogger(__name__)

GREETING = ("Hola, soy Luz, la asistente virtual de Energía del Valle. Dime en pocas palabras en qué te ayudo, por "
            "ejemplo «hay un cable caído», o elige una opción.")
MAIN_MENU = [("Mi saldo", "/check_balance"), ("No tengo luz", "/report_outage"), ("Pagar la factura", "/pay_bill")]
PERSON_HINT = "Para hablar con un asesor, di «asesor» o marca cero en cualquier momento."
STILL_THERE = "¿Sigues ahí? No te escuché."
SILENT_GOODBYE = ("Como no te escucho, voy a terminar la llamada. Gracias por llamar a Energía del Valle. "
                  "Si necesitas algo, llámanos de nuevo. Hasta pronto.")
UNCLEAR = ["Perdona, no te entendí bien. ¿Me lo dices con otras palabras? Por ejemplo, «quiero pagar mi factura».",
           "Todavía no te entiendo, quizá por el ruido. Dímelo en pocas palabras, o marca cero para hablar con un asesor."]
TRANSFER = "Te comunico con un asesor. Un momento, por favor, no cuelgues."
BUSY_LINE = "No pude comunicarte con un asesor: en este momento todos están ocupados."
TRANSFER_HAZARD = "Ahora te comunico con nuestro equipo de emergencias. No cuelgues."
NO_LINK = ("No puedo enviarte el enlace por mensaje de texto a este número. Pídelo por WhatsApp o en nuestras "
           "oficinas.")
PERSON_WORDS = re.compile(r"\b(asesor|asesora|operador|operadora|hablar con (una persona|alguien|un humano))\b")
SPOKEN_KEYS = {fold(number_words(n)): str(n) for n in range(0, 10)} | {"un": "1", "una": "1"}
QUEUE_TEXTS = ("Te comunico con una persona", "Tu caso quedó de primero", "no hay asesores disponibles")
HAZARD = re.compile(CONCEPTS["hazard"])
FAREWELL = "¡Gracias por escribirnos!"  # how utter_goodbye (domain/conversation.yml) starts: the call then ends
SESSION_START = "/session_start"  # Rasa's own intent: a new session (its default rule runs action_session_start)
WAIT_FOR_FIRST = 10.0  # seconds a repeated turn waits for the first copy's answer before asking Twilio to come back


def wants_person(speech: str) -> bool:
    """ "asesor", "quiero hablar con una persona": a person, at once (before the assistant). Only a short request:
    "el asesor de la oficina me cobró de más" is a complaint, for the assistant."""
    plain = fold(speech)
    return len(plain.split()) <= 7 and bool(PERSON_WORDS.search(plain))


def sounds_dangerous(speech: str) -> bool:
    """Words of a hazard (a cable, a post, fire, sparks): such speech goes to the assistant however unsure the
    recogniser was, so the safety instructions are never delayed by "say it again"."""
    return bool(HAZARD.search(fold(speech)))


def key_of(speech: str) -> Optional[str]:
    """A menu key said aloud: "uno", "la dos", "opción 3" -> "1", "2", "3"."""
    words = re.findall(r"[a-z0-9]+", fold(speech))
    words = [w for w in words if w not in ("la", "el", "opcion", "numero", "marco", "marque", "marca", "tecla")]
    if len(words) != 1:
        return None
    return words[0] if words[0].isdigit() and len(words[0]) == 1 else SPOKEN_KEYS.get(words[0])


class VoiceInput(InputChannel):
    """Twilio Voice: the webhooks of the phone line; its TwiML is its answer."""

    channel = "voice"
    refusal = "invalid signature"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        token = str(settings.twilio_auth_token)
        self.validator = RequestValidator(token) if token else None
        self.style = VoiceStyle(settings.voice_voice, settings.voice_say_language, settings.voice_language)

    @classmethod
    def name(cls) -> str:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> VoiceInput:
        channel = cls(get_settings())
        if not channel.configured:
            log.warning("voice channel is off: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        return channel

    @property
    def configured(self) -> bool:
        return bool(self.settings.twilio_account_sid and self.validator is not None)

    def verify(self, request: Request) -> bool:
        if self.validator is None:
            return False
        url = f"{self.settings.public_base_url}{request.path}"
        if request.query_string:
            url += f"?{request.query_string}"
        return self.validator.validate(url, form_of(request), request.headers.get("X-Twilio-Signature", ""))

    def action(self, turn: int) -> str:
        return f"{self.settings.public_base_url}/webhooks/voice/gather?turn={turn}"

    def transfer_number(self) -> str:
        target = self.settings.voice_transfer_to or self.settings.agent_phone
        return to_e164(target, self.settings.default_region) or target

    # --- one request ------------------------------------------------------------------------------

    async def respond(self, request: Request, on_new_message: OnNewMessage, turn: int) -> HTTPResponse:
        if not self.configured:
            return response.text("channel not configured", status=503)
        if not self.verify(request):
            return response.text(self.refusal, status=403)
        form = form_of(request)
        sid = form.get("CallSid", "")
        if not sid:
            return response.text("missing CallSid", status=400)
        outgoing = form.get("Direction", "inbound").startswith("outbound")
        phone = to_e164(form.get("To" if outgoing else "From", ""), self.settings.default_region)
        conversation = calls.conversation_of(phone) if phone else f"voice:{sid}"  # a hidden number: this call only
        claim = await asyncio.to_thread(calls.claim_turn, self.settings, sid, turn, phone or "", conversation,
                                        "outbound" if outgoing else "inbound")
        if claim.kind == calls.DONE and claim.twiml:
            return self.twiml(claim.twiml)
        if claim.kind == calls.PENDING:
            return self.twiml(await self.first_answer(sid, turn))
        try:
            twiml, state = await self.turn(form, turn, sid, phone, conversation, claim, on_new_message)
        except Exception:  # noqa: BLE001 - the caller gets an apology, the log gets the details
            log.exception("voice turn %s of %s failed", turn, sid)
            twiml, state = gather_twiml([for_the_ear(APOLOGY)], [], self.action(turn + 1), self.style), {}
        await asyncio.to_thread(calls.answer_turn, self.settings, sid, turn, twiml, state.pop("heard", None),
                                silences=state.pop("silences", 0), unclear=state.pop("unclear", 0), **state)
        return self.twiml(twiml)

    async def first_answer(self, sid: str, turn: int) -> str:
        """The TwiML the first copy of this turn got; if it is still being answered, "come back in a moment"."""
        deadline = time.monotonic() + WAIT_FOR_FIRST
        while time.monotonic() < deadline:
            stored = await asyncio.to_thread(calls.stored_answer, self.settings, sid, turn)
            if stored:
                return stored
            await asyncio.sleep(0.3)
        return retry_twiml(self.action(turn))

    @staticmethod
    def twiml(text: str) -> HTTPResponse:
        return response.text(text, content_type="text/xml")

    async def turn(self, form: Dict[str, str], turn: int, sid: str, phone: Optional[str], conversation: str,
                   claim: calls.Claim, on_new_message: OnNewMessage) -> Tuple[str, Dict[str, Any]]:
        """The TwiML for this turn and where the call stands after it."""
        if turn == 0:
            await self.fresh_session(conversation, phone, on_new_message)
            await asyncio.to_thread(inbox.remember_menu, conversation, MAIN_MENU)  # what the greeting offers
            return (gather_twiml([GREETING], MAIN_MENU, self.action(1), self.style, closing=[PERSON_HINT]),
                    {"last_said": "¿En qué te ayudo?"})
        if claim.first:  # the first turn of a call Luz placed (its TwiML went with the call): a session of its own
            await self.fresh_session(conversation, phone, on_new_message)
        if form.get("DialCallStatus"):
            return await self.dialed(form["DialCallStatus"], sid, phone, conversation, turn)
        speech = (form.get("SpeechResult") or "").strip()
        digits = (form.get("Digits") or "").strip().rstrip("#")
        heard = digits or speech
        if not heard:
            return await self.silence(turn, conversation, claim)
        if digits == AGENT_KEY or (speech and not digits and wants_person(speech)):
            return await self.person(sid, phone, conversation, turn, heard)
        try:  # some of Twilio's speech models give no confidence: what they heard is taken as heard
            confidence = float(form["Confidence"]) if form.get("Confidence") else 1.0
        except ValueError:
            confidence = 0.0
        if (speech and not digits and confidence < self.settings.voice_min_confidence and claim.unclear < len(UNCLEAR)
                and not sounds_dangerous(speech)):  # a danger, even half heard, is not made to wait
            options = await asyncio.to_thread(inbox.menu_of, conversation)
            return (gather_twiml([UNCLEAR[claim.unclear]], options, self.action(turn + 1), self.style,
                                 digits=asks_for_digits(claim.last_said or "")),
                    {"unclear": claim.unclear + 1, "heard": f"[no entendido] {speech}"})
        text = digits or key_of(speech) or speech
        return await self.assistant(text, sid, phone, conversation, turn, on_new_message)

    async def fresh_session(self, conversation: str, phone: Optional[str], on_new_message: OnNewMessage) -> None:
        """Each call is a conversation of its own: Rasa starts a new session (nothing half-asked in an earlier call
        is still pending), with the phone this call proved as the session's metadata. Never in the caller's way."""
        metadata = internal_auth.sign_phone(str(self.settings.action_secret), conversation,
                                            {"phone": phone, "channel": self.channel} if phone else {"channel": self.channel})
        try:
            await on_new_message(UserMessage(SESSION_START, CollectingOutputChannel(), conversation,
                                             input_channel=self.channel, metadata=metadata))
        except Exception:  # noqa: BLE001 - the greeting goes anyway; the next turn continues the earlier session
            log.exception("could not start a new session for the call of %s", conversation)

    async def silence(self, turn: int, conversation: str, claim: calls.Claim) -> Tuple[str, Dict[str, Any]]:
        if claim.silences + 1 >= 2:
            return goodbye_twiml([SILENT_GOODBYE], self.style), {"silences": claim.silences + 1, "outcome": "silence"}
        options = await asyncio.to_thread(inbox.menu_of, conversation)
        again = [STILL_THERE] + ([claim.last_said] if claim.last_said else [])
        return (gather_twiml(again, options, self.action(turn + 1), self.style, digits=asks_for_digits(claim.last_said or "")),
                {"silences": claim.silences + 1, "unclear": claim.unclear})

    async def person(self, sid: str, phone: Optional[str], conversation: str, turn: int, heard: str,
                     said_first: Optional[List[str]] = None, hazard: bool = False) -> Tuple[str, Dict[str, Any]]:
        """A person: put through within agent hours (a hazard at any hour), else a callback registered."""
        first = said_first or []
        if hazard or calls.within_agent_hours(self.settings):
            number = self.transfer_number()
            await asyncio.to_thread(calls.transferred, self.settings, conversation, number)
            caller_id = self.settings.twilio_voice_from or None
            return (transfer_twiml(first + [TRANSFER_HAZARD if hazard else TRANSFER], number, self.action(turn + 1),
                                   self.style, caller_id),
                    {"heard": heard, "outcome": "transferred", "transferred_to": number})
        return await self.callback(sid, phone, turn, heard, first)

    async def dialed(self, status: str, sid: str, phone: Optional[str], conversation: str,
                     turn: int) -> Tuple[str, Dict[str, Any]]:
        """How the transfer went: a conversation with a person ended (goodbye), or nobody answered (a callback)."""
        if status == "completed":
            return goodbye_twiml([], self.style), {"heard": "[transferida]", "outcome": "transferred"}
        return await self.callback(sid, phone, turn, f"[transferencia: {status}]", [BUSY_LINE], busy=True)

    async def callback(self, sid: str, phone: Optional[str], turn: int, heard: str, first: List[str],
                       busy: bool = False) -> Tuple[str, Dict[str, Any]]:
        """Nobody can take the call now (out of hours, or every line busy): a callback registered in the console's
        queue, and Luz goes on with the caller."""
        why = "" if busy else f"En este momento no hay asesores: atendemos {calls.hours_text(self.settings)}. "
        if phone is None:
            said = (why + "Como no veo tu número, no puedo devolverte la llamada; llámanos de nuevo "
                    + ("en unos minutos." if busy else "en ese horario.") + " ¿Te ayudo con algo más?")
            return gather_twiml(first + [for_the_ear(said)], [], self.action(turn + 1), self.style), {"heard": heard}
        earlier = await asyncio.to_thread(calls.heard_so_far, self.settings, sid)
        ticket = await asyncio.to_thread(calls.register_callback, self.settings, calls.conversation_of(phone), phone,
                                         earlier + [heard])
        when = "lo antes posible" if busy else "apenas abramos"
        said = (f"{why}Registré tu solicitud para que te llamemos a este número {when}; es la solicitud {ticket}. "
                "¿Te ayudo con algo más mientras tanto?")
        return (gather_twiml(first + [for_the_ear(said)], [], self.action(turn + 1), self.style),
                {"heard": heard, "outcome": "callback", "last_said": "¿Te ayudo con algo más?"})

    async def assistant(self, text: str, sid: str, phone: Optional[str], conversation: str, turn: int,
                        on_new_message: OnNewMessage) -> Tuple[str, Dict[str, Any]]:
        """Luz's answer to what the caller said, said back; a person put on the line when the answer hands over."""
        metadata: Dict[str, Any] = {"phone": phone, "channel": self.channel} if phone else {"channel": self.channel}
        inbound = Inbound(self.channel, conversation, text, metadata, phone=phone)
        result = await answer(inbound, on_new_message)
        messages = result.messages
        if not result.about_the_message:
            await record_turn(inbound, replied=bool(messages))
        reason = await asyncio.to_thread(calls.open_handoff_reason, self.settings, conversation)
        offered = any(b.get("payload") == CALLBACK_PAYLOAD for message in messages for b in message.get("buttons") or [])
        if reason is not None or offered:  # the assistant handed over: the caller hears its words, then a person
            kept = [message for message in messages if not any(t in (message.get("text") or "") for t in QUEUE_TEXTS)]
            spoken = speak([{key: value for key, value in message.items() if key != "buttons"} for message in kept])
            return await self.person(sid, phone, conversation, turn, text, said_first=spoken.sentences,
                                     hazard=reason == "hazard")
        spoken = speak(messages)
        if spoken.links:
            if phone and outbound.can_deliver("sms"):
                spawn(self.text_links(phone, spoken.links))
            else:
                spoken.sentences = [NO_LINK if sentence == LINK_SENT else sentence for sentence in spoken.sentences]
        if not result.about_the_message:
            await asyncio.to_thread(inbox.remember_menu, conversation, spoken.options)
        sentences = spoken.sentences or ["¿Me lo repites, por favor?"]
        if not spoken.options and any((m.get("text") or "").startswith(FAREWELL) for m in messages):
            return goodbye_twiml(sentences, self.style), {"heard": text, "outcome": "goodbye"}  # the caller said goodbye
        return (gather_twiml(sentences, spoken.options, self.action(turn + 1), self.style, digits=spoken.asks_digits),
                {"heard": text, "last_said": " ".join(sentences[-2:])})

    async def text_links(self, phone: str, links: List[str]) -> None:
        """The links of a turn, by text message to the caller (never read aloud)."""
        body = "Energía del Valle: el enlace que pediste en la llamada: " + " ".join(dict.fromkeys(links))
        try:
            await outbound.deliver("sms", phone, [{"text": body}])
        except Exception:  # noqa: BLE001 - the call goes on; the log says why the text did not go
            log.exception("could not text the links of a call to %s", phone)

    async def call_status(self, request: Request) -> HTTPResponse:
        """How a call ended; for a call Luz placed, its notice is delivered (answered) or failed (busy, no answer)."""
        if not self.configured:
            return response.text("channel not configured", status=503)
        if not self.verify(request):
            return response.text(self.refusal, status=403)
        form = form_of(request)
        sid, state = form.get("CallSid"), form.get("CallStatus")
        if not sid or not state:
            return response.text("missing CallSid or CallStatus", status=400)
        await asyncio.to_thread(calls.ended, self.settings, sid, state)
        if state in ("completed", "busy", "no-answer", "failed", "canceled"):
            delivery = "delivered" if state == "completed" else "failed"
            await asyncio.to_thread(inbox.update_delivery, sid, delivery,
                                    form.get("ErrorCode") or (None if state == "completed" else state))
        return response.text("", status=204)

    # --- the webhooks -----------------------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint("voice_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok" if self.configured else "not configured"})

        @hook.route("/webhook", methods=["POST"])
        async def incoming(request: Request):
            return await self.respond(request, on_new_message, 0)

        @hook.route("/gather", methods=["POST"])
        async def gathered(request: Request):
            try:
                turn = int(request.args.get("turn", ""))
            except ValueError:
                return response.text("missing turn", status=400)
            return await self.respond(request, on_new_message, max(1, turn))

        @hook.route("/status", methods=["POST"])
        async def status(request: Request):
            return await self.call_status(request)

        return hook
