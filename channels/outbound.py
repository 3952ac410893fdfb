"""Luz's messages on a customer's own channel: replies to a turn, an agent's words, a survey, a notice.

Rasa's message dicts (text, buttons, image, attachment) are rendered for the channel's limits
(``channels/render.py``), the options shown are remembered so a typed "1" maps back, and each
rendered message goes through the channel's provider (``channels/providers/``). The input channels,
the console, the integration API and the jobs all send through here; nothing here imports Rasa.
"""
from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Dict, List, Optional

from bot.settings import get_settings
from channels import inbox
from channels.providers import CHANNELS, Message, Provider, Template, provider_for
from channels.render import Delivery, Outgoing, render

log = logging.getLogger(__name__)


@cache
def provider(name: str) -> Optional[Provider]:
    """This process's configured provider of channel ``name``, or None (unknown, or no credentials)."""
    found = provider_for(name, get_settings())
    return found if found is not None and found.configured else None


def can_deliver(name: str) -> bool:
    return provider(name) is not None


async def send(target: Provider, address: str, outgoing: List[Outgoing], template: Optional[Template] = None) -> List[Delivery]:
    """Sends rendered messages one by one (with a template, only the first, as that template)."""
    deliveries = []
    for item in outgoing[:1] if template else outgoing:
        message: Message = {"text": item.text, "media_url": item.media_url, "buttons": list(item.buttons)}
        if template:
            message["template"] = template
        deliveries.append(await target.send(address, message))
    return deliveries


async def reply(target: Provider, conversation_id: str, messages: List[Dict],
                template: Optional[Template] = None) -> List[Delivery]:
    """Renders Rasa-style messages for the provider's channel, remembers its options, sends; what each answered."""
    profile = target.profile
    outgoing, options = render(messages, limit=profile.limit, keyboards=profile.keyboards,
                               media=profile.media, gsm7=profile.gsm7)
    if profile.menus:
        await asyncio.to_thread(inbox.remember_menu, conversation_id, [] if profile.keyboards else options)
    return await send(target, conversation_id, outgoing, template) if outgoing else []


async def deliver(name: str, conversation_id: str, messages: List[Dict]) -> bool:
    """Sends Rasa-style message dicts to a conversation; False when its channel cannot send it."""
    deliveries = await deliver_all(name, conversation_id, messages)
    return bool(deliveries) and all(d.ok for d in deliveries)


async def deliver_all(name: str, conversation_id: str, messages: List[Dict],
                      template: Optional[Template] = None) -> List[Delivery]:
    """Sends to a conversation (``tg:<chat>`` on Telegram, a phone otherwise); what each provider answered."""
    target = provider(name)
    if target is None:
        log.warning("cannot deliver to %s on %s: channel not configured", conversation_id, name)
        return [Delivery(None, "channel not configured")]
    return await reply(target, conversation_id, messages, template)


async def typing(name: str, conversation_id: str) -> bool:
    """Shows "typing…" to the customer where the channel supports it (Telegram); False elsewhere."""
    target = provider(name)
    return await target.typing(conversation_id) if target is not None else False


async def close_all() -> None:
    """Closes the providers' HTTP sessions opened by this process (at shutdown)."""
    for name in CHANNELS:
        opened = provider(name)
        if opened is not None:
            await opened.close()
    provider.cache_clear()
