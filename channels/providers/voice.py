"""Calls Luz places: a notice said on the phone (electro-dependent customers), through Twilio's Calls API.

A notification on the channel "voice" becomes one call to the customer's phone whose TwiML says the notice for
the ear (``channels/speech.py``) and then listens as in any call: the customer may ask Luz something or press 0
for a person, and the turns are answered by the phone line's webhooks (``channels/voice.py``). Twilio reports
how the call ended to ``PUBLIC_BASE_URL/webhooks/voice/status``: answered, the notice is delivered; busy, not
answered or failed, it is failed. ``TWILIO_API_BASE_URL`` points the client at another host (the tests' emulator).
"""
from __future__ import annotations

import asyncio
import re
from typing import Tuple

from bot import calls
from bot.settings import Settings
from channels import inbox
from channels.providers import Message
from channels.providers.twilio import TwilioProvider
from channels.render import ChannelProfile, Delivery
from channels.speech import VoiceStyle, gather_twiml, speak

PHONE = re.compile(r"\+\d{7,15}")
INVITATION = "Si quieres preguntarme algo, dímelo ahora. Para hablar con un asesor, marca cero."


class VoiceProvider(TwilioProvider):
    channel = "voice"
    profile = ChannelProfile(limit=4000, keyboards=True, media=False, menus=False)
    settings: Settings

    @classmethod
    def sender(cls, settings: Settings) -> str:
        return settings.twilio_voice_from

    @classmethod
    def from_settings(cls, settings: Settings) -> VoiceProvider:
        provider = super().from_settings(settings)
        if not isinstance(provider, VoiceProvider):
            raise TypeError("not a voice provider")
        provider.settings = settings
        return provider

    def style(self) -> VoiceStyle:
        return VoiceStyle(self.settings.voice_voice, self.settings.voice_say_language, self.settings.voice_language)

    async def transmit(self, address: str, message: Message) -> Tuple[Delivery, str]:
        if not PHONE.fullmatch(address):  # a conversation id ("callback:+57...": the console) is not called
            return Delivery(None, "not a phone number"), "failed"  # error codes are 20 characters
        buttons = [{"title": title, "payload": payload} for title, payload in message.get("buttons") or []]
        spoken = speak([{"text": message.get("text") or "", "buttons": buttons}])
        sentences = spoken.sentences + [INVITATION]
        twiml = gather_twiml(sentences, spoken.options, f"{self.public_base_url}/webhooks/voice/gather?turn=1",
                             self.style(), pause_first=1)
        call = await self.client().calls.create_async(
            to=address, from_=self.from_number, twiml=twiml, status_callback=f"{self.public_base_url}/webhooks/voice/status",
            status_callback_event=["completed"])
        if call.sid:
            await asyncio.to_thread(calls.placed, self.settings, call.sid, address, spoken.text)
            await asyncio.to_thread(inbox.remember_menu, calls.conversation_of(address), spoken.options)
        return Delivery(call.sid), call.status or "queued"
