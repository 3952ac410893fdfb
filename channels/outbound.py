"""Messages the assistant starts (an agent's reply, a survey, a notice), sent on the customer's own channel.

The same channel classes that receive webhooks send here, configured from the
same environment, so a message from the console looks and is recorded like
any other reply.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Dict, List

from channels.conversation import reply
from channels.telegram import TelegramInput
from channels.twilio import SmsInput, WhatsAppInput

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
    """Sends Rasa-style message dicts to a conversation; False when its channel cannot send."""
    target = channel(name)
    if target is None:
        log.warning("cannot deliver to %s on %s: channel not configured", conversation_id, name)
        return False
    if name == "telegram":
        chat_id = int(conversation_id.split(":", 1)[1])
        await reply(conversation_id, messages, lambda out: target.send(chat_id, out), target.profile)
    else:
        await reply(conversation_id, messages, lambda out: target.send(conversation_id, out), target.profile)
    return True
