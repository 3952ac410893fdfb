"""Messages the assistant starts (an agent's reply, a survey, a notice), sent on the customer's own channel.

The same channel classes that receive webhooks send here, configured from the
same environment, so a message from the console looks and is recorded like
any other reply.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Dict, List, Optional

from channels.conversation import reply
from channels.telegram import TelegramInput
from channels.render import Delivery
from channels.twilio import SmsInput, Template, WhatsAppInput

log = logging.getLogger(__name__)
CHANNELS = {"whatsapp": WhatsAppInput, "sms": SmsInput, "telegram": TelegramInput}


@lru_cache(maxsize=None)
def channel(name: str):
    """The configured channel called ``name``, or None (unknown, or no credentials)."""
    kind = CHANNELS.get(name)
    instance = kind.from_credentials(None) if kind else None
    return instance if instance is not None and instance.configured else None


def can_deliver(name: str) -> bool:
    return channel(name) is not None


async def deliver(name: str, conversation_id: str, messages: List[Dict]) -> bool:
    """Sends Rasa-style message dicts to a conversation; False when its channel cannot send it."""
    deliveries = await deliver_all(name, conversation_id, messages)
    return bool(deliveries) and all(d.ok for d in deliveries)


async def deliver_all(name: str, conversation_id: str, messages: List[Dict], template: Optional[Template] = None) -> List[Delivery]:
    """Sends to a conversation (``tg:<chat>`` on Telegram, a phone otherwise); what each provider answered."""
    target = channel(name)
    if target is None:
        log.warning("cannot deliver to %s on %s: channel not configured", conversation_id, name)
        return [Delivery(None, "channel not configured")]
    if name == "telegram":
        chat_id = int(conversation_id.split(":", 1)[1])
        return await reply(conversation_id, messages, lambda out: target.send(chat_id, out), target.profile)
    if template:
        return await reply(conversation_id, messages, lambda out: target.send(conversation_id, out, template), target.profile)
    return await reply(conversation_id, messages, lambda out: target.send(conversation_id, out), target.profile)


async def close_all() -> None:
    """Closes the providers' HTTP sessions opened by this process (at shutdown)."""
    for name in CHANNELS:
        instance = channel(name)
        if instance is not None:
            await instance.close()
    channel.cache_clear()
