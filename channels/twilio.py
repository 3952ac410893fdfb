"""WhatsApp and SMS through Twilio: signed webhooks in, REST API out.

Webhooks: ``/webhooks/whatsapp/webhook`` and ``/webhooks/sms/webhook`` (messages),
``.../status`` (delivery callbacks). The signature is checked against the public
URL (``PUBLIC_BASE_URL`` + path, as Twilio signed it behind a proxy); each
``MessageSid`` is processed once; the webhook answers at once and replies go
through the REST API on the event loop.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from urllib.parse import parse_qsl
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from bot.phones import to_e164
from bot.settings import get_settings
from channels import inbox
from channels.conversation import IMAGE_PLACEHOLDER, ChannelProfile, Inbound, handle_turn, spawn
from channels.render import SMS_PREFERRED, TWILIO_LIMIT, Delivery, Outgoing, to_gsm7

log = logging.getLogger(__name__)
Template = Tuple[str, Dict[str, str]]  # an approved WhatsApp template: its content SID and variables
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
    """Shared by WhatsApp and SMS; subclasses name the channel and its sender number."""

    channel = "twilio"
    from_env = ""
    profile = ChannelProfile(limit=TWILIO_LIMIT, keyboards=False, media=True)

    def __init__(self, account_sid: str, auth_token: str, from_number: str, public_base_url: str,
                 api_base_url: Optional[str] = None) -> None:
        self.account_sid, self.auth_token, self.from_number = account_sid, auth_token, from_number
        self.public_base_url = public_base_url.rstrip("/")
        self.api_base_url = api_base_url
        self.validator = RequestValidator(auth_token) if auth_token else None
        self._client: Optional[Client] = None

    @classmethod
    def name(cls) -> Text:
        return cls.channel

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TwilioInput":
        env, settings = os.environ, get_settings()
        channel = cls(
            account_sid=env.get("TWILIO_ACCOUNT_SID", ""), auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            from_number=env.get(cls.from_env, ""), public_base_url=settings.public_base_url,
            api_base_url=env.get("TWILIO_API_BASE_URL") or None,
        )
        if not channel.configured:
            log.warning("%s channel is off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and %s", cls.channel, cls.from_env)
        return channel

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.from_number)

    def client(self) -> Client:
        """The real Twilio client (async HTTP), pointed at TWILIO_API_BASE_URL when set."""
        if self._client is None:
            self._client = Client(self.account_sid, self.auth_token, http_client=AsyncTwilioHttpClient())
            if self.api_base_url:
                self._client.api.base_url = self.api_base_url.rstrip("/")
        return self._client

    def address(self, phone: str) -> str:
        return phone

    async def close(self) -> None:
        """Closes the HTTP session of the client (at shutdown)."""
        if self._client is not None:
            await self._client.http_client.close()
            self._client = None

    def signed(self, request: Request) -> bool:
        if self.validator is None:
            return False
        url = f"{self.public_base_url}{request.path}"
        if request.query_string:
            url += f"?{request.query_string}"
        return self.validator.validate(url, form_of(request), request.headers.get("X-Twilio-Signature", ""))

    def inbound(self, form: Dict[str, str], phone: str) -> Inbound:
        text = form.get("Body", "")
        metadata = {"phone": phone, "channel": self.channel}
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
            images = [item for item in metadata["media"] if (item["type"] or "").startswith("image/")]
            if images and not text.strip():
                text = IMAGE_PLACEHOLDER  # may belong to a complaint: the assistant decides
            unsupported = not text.strip()
        return Inbound(self.channel, phone, text, metadata, has_unsupported_media=unsupported)

    async def send(self, phone: str, outgoing: List[Outgoing], template: Optional[Template] = None) -> List[Delivery]:
        """Sends each message (or one approved template) and records it; errors are recorded, not raised."""
        callback = f"{self.public_base_url}/webhooks/{self.channel}/status"
        deliveries = []
        for message in outgoing:
            try:
                if template:
                    extra = {"content_sid": template[0], "content_variables": json.dumps(template[1])}
                else:  # only what the message has: an absent field must not travel as the text "None"
                    extra = {"body": message.text} if message.text else {}
                    if message.media_url:
                        extra["media_url"] = [message.media_url]
                sent = await self.client().messages.create_async(
                    to=self.address(phone), from_=self.from_number, status_callback=callback, **extra)
                delivery = Delivery(sent.sid)
                await asyncio.to_thread(inbox.record_outbound, self.channel, phone, message.text, message.media_url,
                                        sent.sid, sent.status or "queued")
            except Exception as error:  # noqa: BLE001 - recorded, visible, and the next message still goes
                log.exception("Twilio refused a message to %s", phone)
                status = getattr(error, "status", None)
                delivery = Delivery(None, str(getattr(error, "code", "") or status or type(error).__name__)[:60],
                                    retryable=not isinstance(error, TwilioRestException) or status in (429,) or (status or 0) >= 500)
                await asyncio.to_thread(inbox.record_outbound, self.channel, phone, message.text, message.media_url,
                                        None, "failed", delivery.error)
            deliveries.append(delivery)
            if template:
                break
        return deliveries

    async def keyword(self, phone: str, text: str) -> Optional[str]:
        """Opt-out words and short commands; returns the message Rasa should see, or None when answered."""
        return text

    def blueprint(self, on_new_message) -> Blueprint:
        hook = Blueprint(f"{self.channel}_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok" if self.configured else "not configured"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            if not self.configured:
                return response.text("channel not configured", status=503)
            if not self.signed(request):
                return response.text("invalid signature", status=403)
            form = form_of(request)
            phone = to_e164(form.get("From", ""), get_settings().default_region)
            sid = form.get("MessageSid") or form.get("SmsMessageSid")
            if not phone or not sid:
                return response.text("missing From or MessageSid", status=400)
            if not await asyncio.to_thread(inbox.first_time, self.channel, sid, phone):
                return response.text(EMPTY_TWIML, content_type="text/xml")  # a retry: already answered
            inbound = self.inbound(form, phone)

            async def turn() -> None:
                text = await self.keyword(phone, inbound.text)
                if text is None:
                    return
                inbound.text = text
                await handle_turn(inbound, on_new_message, lambda out: self.send(phone, out), self.profile)

            spawn(turn())
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @hook.route("/status", methods=["POST"])
        async def status(request: Request):
            if not self.configured or not self.signed(request):
                return response.text("invalid signature", status=403)
            form = form_of(request)
            sid, state = form.get("MessageSid"), form.get("MessageStatus")
            if not sid or not state:
                return response.text("missing MessageSid or MessageStatus", status=400)
            await asyncio.to_thread(inbox.update_delivery, sid, state, form.get("ErrorCode"))
            return response.text("", status=204)

        return hook


class WhatsAppInput(TwilioInput):
    channel = "whatsapp"
    from_env = "TWILIO_WHATSAPP_FROM"

    def address(self, phone: str) -> str:
        return f"whatsapp:{phone}"


class SmsInput(TwilioInput):
    channel = "sms"
    from_env = "TWILIO_SMS_FROM"
    profile = ChannelProfile(limit=SMS_PREFERRED, keyboards=False, media=False, gsm7=True)

    async def send(self, phone: str, outgoing: List[Outgoing], template: Optional[Template] = None) -> List[Delivery]:
        return await super().send(phone, [Outgoing(to_gsm7(o.text), o.media_url, o.buttons) for o in outgoing])

    async def keyword(self, phone: str, text: str) -> Optional[str]:
        word = text.strip().upper().rstrip(".!")
        if word in STOP_WORDS:
            await asyncio.to_thread(inbox.set_opt_out, self.channel, phone, True)
            await self.send(phone, [Outgoing("Listo, no te enviaremos más mensajes. Escribe ALTA para volver a recibirlos.")])
            return None
        if word in START_WORDS:
            await asyncio.to_thread(inbox.set_opt_out, self.channel, phone, False)
            await self.send(phone, [Outgoing("Listo, volverás a recibir nuestros avisos. Escribe BAJA para dejar de recibirlos.")])
            return None
        if word in HELP_WORDS:
            await self.send(phone, [Outgoing(SMS_HELP)])
            return None
        return KEYWORDS.get(word, text)
