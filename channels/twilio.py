"""WhatsApp and SMS through Twilio: the signed webhooks in (sending is ``channels/providers/twilio.py``).

Webhooks: ``/webhooks/whatsapp/webhook`` and ``/webhooks/sms/webhook`` (messages),
``.../status`` (delivery callbacks). The signature is checked against the public
URL (``PUBLIC_BASE_URL`` + path, as Twilio signed it behind a proxy); each
``MessageSid`` is processed once (``channels/guard.py``); the webhook answers at once
and the replies go through the provider on the event loop. SMS also answers
opt-out words and short commands itself.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional
from urllib.parse import parse_qsl

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.phones import to_e164
from bot.settings import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM, TWILIO_WHATSAPP_FROM, get_settings
from channels import inbox, outbound
from channels.conversation import IMAGE_PLACEHOLDER, Inbound, OnNewMessage, handle_turn
from channels.guard import Malformed, Received, guard, watch_orphans
from channels.providers import provider_for
from channels.providers.twilio import TwilioProvider
from channels.render import Outgoing

log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

STOP_WORDS = {"STOP", "BAJA", "CANCELAR", "PARAR", "DETENER", "UNSUBSCRIBE", "STOPALL", "END", "QUIT", "FIN"}
START_WORDS = {"START", "ALTA", "UNSTOP", "INICIAR", "YES"}
HELP_WORDS = {"AYUDA", "HELP", "INFO"}
KEYWORDS = {  # short commands, as utilities' text services answer them
    "SALDO": "/check_balance", "BAL": "/check_balance", "BALANCE": "/check_balance",
    "PAGAR": "/pay_bill", "PAY": "/pay_bill",
    "CORTE": "/report_outage", "LUZ": "/report_outage", "OUT": "/report_outage",
    "ESTADO": "/outage_status", "STATUS": "/outage_status",
    "RECLAMO": "/file_complaint",
}
SMS_HELP = ("Luz, Energía del Valle. Escribe SALDO, PAGAR, CORTE, ESTADO o RECLAMO, o tu consulta con "
            "tus palabras. BAJA para no recibir más mensajes. Línea: 601 555 0100.")


def form_of(request: Request) -> Dict[str, str]:
    """Twilio's urlencoded body with blank values kept (an empty Body is signed too)."""
    return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))


class TwilioInput(InputChannel):
    """Shared by WhatsApp and SMS; subclasses name the channel."""

    channel = "twilio"
    refusal = "invalid signature"

    def __init__(self, provider: TwilioProvider) -> None:
        self.provider = provider
        self.profile = provider.profile
        self.validator = RequestValidator(provider.auth_token) if provider.auth_token else None

    @classmethod
    def name(cls) -> str:
        return cls.channel

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> TwilioInput:
        provider = provider_for(cls.channel, get_settings())
        if not isinstance(provider, TwilioProvider):
            raise TypeError(f"{cls.channel} is not sent through Twilio")
        channel = cls(provider)
        if not channel.configured:
            sender = TWILIO_WHATSAPP_FROM if cls.channel == "whatsapp" else TWILIO_SMS_FROM
            log.warning("%s channel is off: set %s, %s and %s", cls.channel, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, sender)
        return channel

    @property
    def configured(self) -> bool:
        return self.provider.configured

    def verify(self, request: Request) -> bool:
        """Twilio's signature of the public URL and the form (``X-Twilio-Signature``)."""
        if self.validator is None:
            return False
        url = f"{self.provider.public_base_url}{request.path}"
        if request.query_string:
            url += f"?{request.query_string}"
        return self.validator.validate(url, form_of(request), request.headers.get("X-Twilio-Signature", ""))

    async def parse(self, request: Request) -> Received:
        return await self.replay(form_of(request))

    def payload(self, request: Request) -> Dict[str, Any]:
        return dict(form_of(request))

    async def replay(self, form: Dict[str, Any]) -> Received:
        phone = to_e164(form.get("From", ""), get_settings().default_region)
        sid = form.get("MessageSid") or form.get("SmsMessageSid")
        if not phone or not sid:
            raise Malformed("missing From or MessageSid")
        inbound = self.inbound(form, phone)
        return Received(sid, phone, lambda on_new_message: self.turn(inbound, on_new_message))

    def acknowledge(self) -> HTTPResponse:
        return response.text(EMPTY_TWIML, content_type="text/xml")

    def inbound(self, form: Dict[str, str], phone: str) -> Inbound:
        text = form.get("Body", "")
        metadata: Dict[str, Any] = {"phone": phone, "channel": self.channel}
        unsupported = False
        if form.get("Latitude") and form.get("Longitude"):
            text = f"Ubicación compartida: {form['Latitude']}, {form['Longitude']}"
            if form.get("Address"):
                text += f" ({form['Address']})"
            metadata["location"] = {"latitude": form["Latitude"], "longitude": form["Longitude"]}
        elif int(form.get("NumMedia", "0") or 0) > 0:
            metadata["media"] = [
                {"url": form.get(f"MediaUrl{i}"), "type": form.get(f"MediaContentType{i}")}
                for i in range(int(form["NumMedia"]))
            ]
            images = [item for item in metadata["media"] if str(item["type"] or "").startswith("image/")]
            if images and not text.strip():
                text = IMAGE_PLACEHOLDER  # may belong to a complaint: the assistant decides
            unsupported = not text.strip()
        return Inbound(self.channel, phone, text, metadata, has_unsupported_media=unsupported)

    async def turn(self, inbound: Inbound, on_new_message: OnNewMessage) -> None:
        text = await self.keyword(inbound.sender_id, inbound.text)
        if text is None:
            return
        inbound.text = text
        await handle_turn(inbound, on_new_message, self.provider)

    async def say(self, phone: str, text: str) -> None:
        await outbound.send(self.provider, phone, [Outgoing(text)])

    async def keyword(self, phone: str, text: str) -> Optional[str]:
        """Opt-out words and short commands; returns the message Rasa should see, or None when answered."""
        return text

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint(f"{self.channel}_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok" if self.configured else "not configured"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            return await guard(self, request, on_new_message)

        watch_orphans(hook, self, on_new_message)

        @hook.route("/status", methods=["POST"])
        async def status(request: Request):
            if not self.configured or not self.verify(request):
                return response.text(self.refusal, status=403)
            form = form_of(request)
            sid, state = form.get("MessageSid"), form.get("MessageStatus")
            if not sid or not state:
                return response.text("missing MessageSid or MessageStatus", status=400)
            await asyncio.to_thread(inbox.update_delivery, sid, state, form.get("ErrorCode"))
            return response.text("", status=204)

        return hook


class WhatsAppInput(TwilioInput):
    channel = "whatsapp"


class SmsInput(TwilioInput):
    channel = "sms"

    async def keyword(self, phone: str, text: str) -> Optional[str]:
        word = text.strip().upper().rstrip(".!")
        if word in STOP_WORDS:
            await asyncio.to_thread(inbox.set_opt_out, self.channel, phone, True)
            await self.say(phone, "Listo, no te enviaremos más mensajes. Escribe ALTA para volver a recibirlos.")
            return None
        if word in START_WORDS:
            await asyncio.to_thread(inbox.set_opt_out, self.channel, phone, False)
            await self.say(phone, "Listo, volverás a recibir nuestros avisos. Escribe BAJA para dejar de recibirlos.")
            return None
        if word in HELP_WORDS:
            await self.say(phone, SMS_HELP)
            return None
        return KEYWORDS.get(word, text)
