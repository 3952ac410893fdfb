"""The website widget's way out: a message for a visitor is kept for the widget to fetch.

The widget polls its channel (``channels/web.py``) for what was written to the visitor since the last message it
showed, so Luz's answers, an agent's replies from the console, the survey after a handoff and a notice of a moved
turn all reach the page the same way, in order (``channels/visitors.py``). The address is the visitor's
conversation id (``web:<random>``); a message to any other address is refused, never stored.
"""
from __future__ import annotations

import asyncio
from typing import Tuple

from bot.settings import Settings
from channels import visitors
from channels.providers import Message, Provider
from channels.render import ChannelProfile, Delivery

WEB_LIMIT = 2000  # characters per bubble: longer answers are split between sentences


class WebProvider(Provider):
    channel = "web"
    profile = ChannelProfile(limit=WEB_LIMIT, keyboards=True, media=True)

    @classmethod
    def from_settings(cls, settings: Settings) -> WebProvider:
        provider = cls()
        provider.timeout = settings.provider_timeout_seconds
        return provider

    @property
    def configured(self) -> bool:
        return True  # nothing to connect to: the records database is the mailbox

    async def transmit(self, address: str, message: Message) -> Tuple[Delivery, str]:
        if not visitors.is_visitor(address):
            raise visitors.UnknownVisitor(address)
        stored = await asyncio.to_thread(visitors.deliver, address, message.get("text") or "", message.get("media_url"),
                                         list(message.get("buttons") or []))
        return Delivery(f"web:{stored}"), "delivered"

    def failure(self, error: Exception) -> Delivery:
        return Delivery(None, type(error).__name__[:60], retryable=False)
