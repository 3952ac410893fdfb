"""The channel-independent part of a turn: menus, Rasa, rendering, and failures.

A provider module turns its webhook into an ``Inbound`` and gives a ``send``
function; ``handle_turn`` does the rest, the same way for every channel.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot import events, internal_auth
from bot.settings import get_settings
from channels import handoffs, inbox
from channels.render import Delivery, Outgoing, choose, render, to_gsm7

log = logging.getLogger(__name__)

MAX_TEXT = 1000
IMAGE_PLACEHOLDER = "[imagen adjunta]"  # the text Rasa sees for a photo sent without words
APOLOGY = ("Lo siento, tuve un problema para responderte. Inténtalo de nuevo en unos minutos o escribe "
           "«asesor» para hablar con una persona.")
TOO_LONG = "Tu mensaje es muy largo para mí. ¿Me lo resumes en unas pocas líneas, por favor?"
EMPTY = "Recibí un mensaje vacío. Escríbeme tu consulta, por ejemplo «cuánto debo» o «no tengo luz»."
MEDIA_ONLY = ("Por ahora no puedo escuchar audios ni ver imágenes o stickers. Escríbeme tu consulta con "
              "palabras, por favor, o escribe «asesor» para hablar con una persona.")

Send = Callable[[List[Outgoing]], Awaitable[Optional[List[Delivery]]]]
OnNewMessage = Callable[[UserMessage], Awaitable[None]]


@dataclass
class Inbound:
    channel: str
    sender_id: str  # the conversation: a phone in E.164, or "tg:<chat id>"
    text: str
    metadata: Dict = field(default_factory=dict)
    has_unsupported_media: bool = False
    received_at: float = field(default_factory=time.monotonic)  # for the reply latency the KPIs report


@dataclass
class ChannelProfile:
    limit: int
    keyboards: bool
    media: bool
    gsm7: bool = False


async def handle_turn(inbound: Inbound, on_new_message: OnNewMessage, send: Send, profile: ChannelProfile) -> None:
    """Answers one customer message; never raises (the webhook already said 200).

    While a person has the conversation, the message goes to them instead of the assistant.
    """
    try:
        text = (inbound.text or "").strip()
        if not text:
            await send([Outgoing(_fit(MEDIA_ONLY if inbound.has_unsupported_media else EMPTY, profile))])
            return
        if len(text) > MAX_TEXT:
            await send([Outgoing(_fit(TOO_LONG, profile))])
            return
        options = await asyncio.to_thread(inbox.menu_of, inbound.sender_id)
        text = choose(text, options) or text
        routed = await asyncio.to_thread(handoffs.route, inbound.sender_id, text, inbound.metadata, inbound.channel)
        if routed is not None:
            await reply(inbound.sender_id, routed, send, profile)
            await _record_turn(inbound, replied=bool(routed))
            return
        collector = CollectingOutputChannel()
        # The phone this channel proved, signed for this conversation: the actions trust no other (bot/internal_auth.py).
        metadata = internal_auth.sign_phone(str(get_settings().action_secret), inbound.sender_id, inbound.metadata)
        await on_new_message(UserMessage(text, collector, inbound.sender_id, input_channel=inbound.channel,
                                         metadata=metadata))
        messages = collector.messages + await asyncio.to_thread(
            handoffs.escalate_if_upset, inbound.sender_id, inbound.channel, text, inbound.metadata.get("phone"))
        if not messages:  # Rasa answered nothing (e.g. the action server is down): never leave the customer in silence
            log.error("no answer from the assistant on %s for %s", inbound.channel, inbound.sender_id)
            messages = [{"text": APOLOGY, "buttons": [{"title": "Hablar con un asesor", "payload": "/request_agent"}]}]
        await reply(inbound.sender_id, messages, send, profile)
        await _record_turn(inbound, replied=bool(messages))
    except Exception:  # noqa: BLE001 - the customer gets an apology, the log gets the details
        log.exception("turn failed on %s for %s", inbound.channel, inbound.sender_id)
        try:
            await send([Outgoing(_fit(APOLOGY, profile))])
        except Exception:  # noqa: BLE001
            log.exception("could not even apologise on %s to %s", inbound.channel, inbound.sender_id)


async def reply(conversation_id: str, messages: List[Dict], send: Send, profile: ChannelProfile) -> List[Delivery]:
    """Renders messages (Rasa's dicts: text, buttons, image...) for the channel, remembers its options, sends."""
    outgoing, options = render(messages, limit=profile.limit, keyboards=profile.keyboards,
                               media=profile.media, gsm7=profile.gsm7)
    await asyncio.to_thread(inbox.remember_menu, conversation_id, [] if profile.keyboards else options)
    return (await send(outgoing) or []) if outgoing else []


async def _record_turn(inbound: Inbound, replied: bool) -> None:
    """The message, and when its answer was handed to the provider (latency from the webhook)."""
    latency = int((time.monotonic() - inbound.received_at) * 1000) if replied else None
    await asyncio.to_thread(events.record_turn, get_settings().database_url, inbound.channel, inbound.sender_id, latency)


def _fit(text: str, profile: ChannelProfile) -> str:
    return to_gsm7(text) if profile.gsm7 else text


def spawn(coroutine) -> asyncio.Task:
    """Runs a turn after the webhook has answered, keeping a reference so it is not collected."""
    task = asyncio.get_running_loop().create_task(coroutine)
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return task


_RUNNING: set = set()
