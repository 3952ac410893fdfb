"""The providers that carry Luz's messages: Twilio (WhatsApp, SMS), Telegram and the website widget, behind one interface.

Every provider sends one message to one address with the same call, ``await provider.send(address,
message)``, and answers with a ``Delivery`` (the provider's id, or why not and whether trying again may
help); it records every message it sends or fails to send (``channels/inbox.py``) and never raises. The
input channels (webhooks), the console, the integration API and the jobs all send through here, so a
message looks and is recorded the same whoever starts it.

Nothing here imports Rasa or Sanic: the web service and the scheduler send without loading them.
``provider_for(channel, settings)`` builds the provider of a channel from the settings (TWILIO_* and
TELEGRAM_*, read in ``bot/settings.py``); the provider connects on its first send, not when built.

No send waits longer than ``timeout`` seconds (``LUZ_PROVIDER_TIMEOUT_SECONDS``): the HTTP clients are
given it, and the whole call (connection, TLS, the provider's answer) is cut at it, so a provider that
hangs fails the send as retryable instead of holding the turn, the console or a job.
"""
from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Dict, List, Optional, Tuple, TypedDict

from bot.settings import Settings
from channels import inbox
from channels.render import ChannelProfile, Delivery

log = logging.getLogger(__name__)

Template = Tuple[str, Dict[str, str]]  # an approved WhatsApp template: its content SID and variables
CHANNELS = ("whatsapp", "sms", "telegram", "voice", "web")


class Message(TypedDict, total=False):
    """One provider message, already rendered for the channel (``channels/render.py``)."""

    text: str
    media_url: Optional[str]
    buttons: List[Tuple[str, str]]  # (title, payload); shown only where the channel has keyboards
    template: Template  # WhatsApp outside the 24-hour window: this approved template instead of the text


class Provider(ABC):
    """One channel's way out. Subclasses talk to the network; ``send`` records and never raises."""

    channel: str = ""
    profile: ChannelProfile
    timeout: float = 10.0  # seconds one send may take (LUZ_PROVIDER_TIMEOUT_SECONDS)

    @property
    @abstractmethod
    def configured(self) -> bool:
        """Whether the credentials to send are there (a channel without them stays off)."""

    async def send(self, address: str, message: Message) -> Delivery:
        """Sends ``message`` to ``address`` (a phone in E.164, or ``tg:<chat>`` on Telegram) and records it.

        A provider's refusal or a network error comes back as a failed ``Delivery``: the caller decides
        whether to go on with the next message or to retry later (``bot/jobs/dispatch.py``).
        """
        try:
            delivery, status = await asyncio.wait_for(self.transmit(address, message), self.timeout)
        except asyncio.TimeoutError:
            log.error("%s did not answer within %s s sending to %s", self.channel, self.timeout, address)
            delivery, status = Delivery(None, "timeout", retryable=True), "failed"
        except Exception as error:  # noqa: BLE001 - recorded, visible, and the next message still goes
            log.exception("%s refused a message to %s", self.channel, address)
            delivery, status = self.failure(error), "failed"
        await asyncio.to_thread(inbox.record_outbound, self.channel, self.recipient(address), message.get("text") or "",
                                message.get("media_url"), delivery.provider_id, status, delivery.error)
        return delivery

    @abstractmethod
    async def transmit(self, address: str, message: Message) -> Tuple[Delivery, str]:
        """Hands the message to the provider's API: the delivery and the status the provider gave it."""

    @abstractmethod
    def failure(self, error: Exception) -> Delivery:
        """What an exception from ``transmit`` means: an error code, and whether a retry may succeed."""

    def recipient(self, address: str) -> str:
        """How the address is recorded among the messages sent."""
        return address

    async def typing(self, address: str) -> bool:
        """Shows the customer that someone is writing, where the channel can (True when shown); never raises."""
        return False

    async def close(self) -> None:  # noqa: B027 - most providers have nothing to close
        """Closes the HTTP session this provider opened (at shutdown)."""


def provider_for(channel: str, settings: Settings) -> Optional[Provider]:
    """The provider of ``channel`` ("whatsapp", "sms", "telegram", "voice": calls, "web": the website widget), configured or
    not; None otherwise."""
    if channel in ("whatsapp", "sms"):
        from channels.providers.twilio import SmsProvider, WhatsAppProvider

        return (WhatsAppProvider if channel == "whatsapp" else SmsProvider).from_settings(settings)
    if channel == "voice":
        from channels.providers.voice import VoiceProvider

        return VoiceProvider.from_settings(settings)
    if channel == "telegram":
        from channels.providers.telegram import TelegramProvider

        return TelegramProvider.from_settings(settings)
    if channel == "web":
        from channels.providers.web import WebProvider

        return WebProvider.from_settings(settings)
    return None
