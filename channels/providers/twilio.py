"""WhatsApp and SMS out through Twilio's Messages API, with the real ``twilio`` client.

``TWILIO_API_BASE_URL`` points the client at another host (the tests' emulator). Each message asks
Twilio to report its delivery to ``PUBLIC_BASE_URL/webhooks/<channel>/status`` (``channels/twilio.py``).
WhatsApp outside the 24-hour window sends an approved template (content SID and variables) instead of
text; SMS is GSM-7 text and never a template.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.settings import Settings
from channels.providers import Message, Provider
from channels.render import SMS_PREFERRED, TWILIO_LIMIT, ChannelProfile, Delivery, to_gsm7


class TimedTwilioHttpClient(AsyncTwilioHttpClient):
    """Twilio's async client with its timeout applied: twilio 8.2 keeps the client's ``timeout`` but sends each
    request with the call's own (None), which aiohttp reads as "no timeout at all"."""

    async def request(self, method: str, url: str, params: Optional[Dict[str, object]] = None,
                      data: Optional[Dict[str, object]] = None, headers: Optional[Dict[str, str]] = None,
                      auth: Optional[Tuple[str, str]] = None, timeout: Optional[float] = None,
                      allow_redirects: bool = False) -> Response:
        return await super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                                     timeout=timeout if timeout is not None else self.timeout,
                                     allow_redirects=allow_redirects)


class TwilioProvider(Provider):
    """Shared by WhatsApp and SMS; subclasses name the channel, its sender number and its address form."""

    profile = ChannelProfile(limit=TWILIO_LIMIT, keyboards=False, media=True)

    def __init__(self, account_sid: str, auth_token: str, from_number: str, public_base_url: str,
                 api_base_url: Optional[str] = None, timeout: float = Provider.timeout) -> None:
        self.timeout = timeout
        self.account_sid, self.auth_token, self.from_number = account_sid, auth_token, from_number
        self.public_base_url = public_base_url.rstrip("/")
        self.api_base_url = api_base_url
        self._client: Optional[Client] = None

    @classmethod
    def sender(cls, settings: Settings) -> str:
        """This channel's number (``whatsapp:+1...`` or ``+1...``): empty leaves the channel off."""
        raise NotImplementedError

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioProvider:
        return cls(account_sid=settings.twilio_account_sid, auth_token=str(settings.twilio_auth_token),
                   from_number=cls.sender(settings), public_base_url=settings.public_base_url,
                   api_base_url=settings.twilio_api_base_url or None, timeout=settings.provider_timeout_seconds)

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.from_number)

    def client(self) -> Client:
        """The real Twilio client (async HTTP, with the timeout), pointed at TWILIO_API_BASE_URL when set; made on first use."""
        if self._client is None:
            self._client = Client(self.account_sid, self.auth_token, http_client=TimedTwilioHttpClient(timeout=self.timeout))
            if self.api_base_url:
                self._client.api.base_url = self.api_base_url.rstrip("/")
        return self._client

    def to(self, phone: str) -> str:
        """Twilio's "To" for a phone in E.164."""
        return phone

    async def transmit(self, address: str, message: Message) -> Tuple[Delivery, str]:
        template = message.get("template")
        extra: Dict[str, Any]
        if template:
            extra = {"content_sid": template[0], "content_variables": json.dumps(template[1])}
        else:  # only what the message has: an absent field must not travel as the text "None"
            extra = {"body": message["text"]} if message.get("text") else {}
            if message.get("media_url"):
                extra["media_url"] = [message["media_url"]]
        sent = await self.client().messages.create_async(
            to=self.to(address), from_=self.from_number,
            status_callback=f"{self.public_base_url}/webhooks/{self.channel}/status", **extra)
        return Delivery(sent.sid), sent.status or "queued"

    def failure(self, error: Exception) -> Delivery:
        status = getattr(error, "status", None)
        return Delivery(None, str(getattr(error, "code", "") or status or type(error).__name__)[:60],
                        retryable=not isinstance(error, TwilioRestException) or status in (429,) or (status or 0) >= 500)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.http_client.close()
            self._client = None


class WhatsAppProvider(TwilioProvider):
    channel = "whatsapp"

    @classmethod
    def sender(cls, settings: Settings) -> str:
        return settings.twilio_whatsapp_from

    def to(self, phone: str) -> str:
        return f"whatsapp:{phone}"


class SmsProvider(TwilioProvider):
    channel = "sms"
    profile = ChannelProfile(limit=SMS_PREFERRED, keyboards=False, media=False, gsm7=True)

    @classmethod
    def sender(cls, settings: Settings) -> str:
        return settings.twilio_sms_from

    async def send(self, address: str, message: Message) -> Delivery:
        """GSM-7 text (an "á" would more than double the price), never a template."""
        text_only: Message = {key: value for key, value in message.items() if key != "template"}  # type: ignore[assignment]
        text_only["text"] = to_gsm7(message.get("text") or "")
        return await super().send(address, text_only)
