"""One customer turn, the same on every channel: checks, menus, who answers, Rasa, and failures.

An input channel turns its webhook into an ``Inbound``; ``answer`` decides what the customer is told
(the core decides whether a person, a survey or the assistant answers: ``bot/routing.py``), and
``handle_turn`` sends it through the channel's provider (``channels/outbound.py``). The REST channel
returns the same answer in the HTTP response instead (``channels/rest.py``).

Before anything else a turn passes the process's bounds (``channels/bounds.py``): a sender writing faster
than ``LUZ_SENDER_RATE`` a minute gets one polite answer and then nothing until the minute has room, and
beyond ``LUZ_MAX_TURNS_IN_FLIGHT`` turns at once the message is not processed: the customer is asked to
write it again in a minute (it is not kept), and both are recorded as events.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot import events, internal_auth, routing
from bot.settings import Settings, get_settings
from channels import inbox, outbound
from channels.bounds import ALLOW, WARN, SenderRate, TurnGate
from channels.providers import Provider
from channels.render import ChannelProfile, Outgoing, choose, to_gsm7

log = logging.getLogger(__name__)

MAX_TEXT = 1000
IMAGE_PLACEHOLDER = "[imagen adjunta]"  # the text Rasa sees for a photo sent without words
APOLOGY = ("Lo siento, tuve un problema para responderte. Inténtalo de nuevo en unos minutos o escribe "
           "«asesor» para hablar con una persona.")
TOO_LONG = "Tu mensaje es muy largo para mí. ¿Me lo resumes en unas pocas líneas, por favor?"
EMPTY = "Recibí un mensaje vacío. Escríbeme tu consulta, por ejemplo «cuánto debo» o «no tengo luz»."
BUSY = ("Estamos recibiendo muchos mensajes en este momento y no alcancé a leer el tuyo. Por favor escríbemelo de "
        "nuevo en un minuto y te respondo. Si es una emergencia (un cable caído, fuego), llama al {phone}.")
SLOW_DOWN = ("Recibí muchos mensajes tuyos seguidos. Espera un minuto y vuelve a escribirme, por favor: los que "
             "envíes antes no los podré leer.")
MEDIA_ONLY = ("Por ahora no puedo escuchar audios ni ver imágenes o stickers. Escríbeme tu consulta con "
              "palabras, por favor, o escribe «asesor» para hablar con una persona.")

OnNewMessage = Callable[[UserMessage], Awaitable[None]]


@dataclass
class Inbound:
    channel: str
    sender_id: str  # the conversation: a phone in E.164, or "tg:<chat id>"
    text: str
    metadata: Dict = field(default_factory=dict)  # what the channel proved ("phone" is signed for the actions)
    has_unsupported_media: bool = False
    received_at: float = field(default_factory=time.monotonic)  # for the reply latency the KPIs report
    phone: Optional[str] = None  # the customer's phone when not in metadata (REST: the sender id, development only)
    bounded: bool = True  # subject to the sender rate and the cap in flight (not REST: development, loopback, tests)


@dataclass
class Answer:
    """What a turn tells the customer (Rasa-style dicts)."""

    messages: List[Dict]
    about_the_message: bool = False  # empty or too long: the options shown before still hold, no turn is counted


@dataclass
class Bounds:
    """This process's bounds on turns, made from the settings on first use (``bounds()``)."""

    gate: TurnGate
    rate: SenderRate

    @classmethod
    def from_settings(cls, settings: Settings) -> Bounds:
        return cls(TurnGate(settings.max_turns_in_flight), SenderRate(settings.sender_rate))


_bounds: Optional[Bounds] = None


def bounds(fresh: Optional[Bounds] = None) -> Bounds:
    """The process's bounds; ``fresh`` replaces them (tests)."""
    global _bounds
    if fresh is not None or _bounds is None:
        _bounds = fresh or Bounds.from_settings(get_settings())
    return _bounds


async def answer(inbound: Inbound, on_new_message: OnNewMessage) -> Answer:
    """What to tell the customer for one message; raises only when something broke (the caller apologises).

    A sender over its rate, or a turn beyond the cap in flight, is answered without being processed (once,
    for the rate: after that, nothing). While a person has the conversation, the message goes to them
    instead of the assistant.
    """
    settings = get_settings()
    if not inbound.bounded:
        return await _answer(settings, inbound, on_new_message)
    limits = bounds()
    verdict = limits.rate.check(inbound.sender_id)
    if verdict != ALLOW:
        if verdict == WARN:
            log.warning("%s on %s is over %s messages a minute: told once, then ignored",
                        inbound.sender_id, inbound.channel, settings.sender_rate)
            await asyncio.to_thread(events.record_now, settings.database_url, "sender_rate_limited",
                                    channel=inbound.channel, conversation_id=inbound.sender_id)
            return Answer([{"text": SLOW_DOWN}], about_the_message=True)
        return Answer([], about_the_message=True)
    if not limits.gate.enter():
        log.warning("%s turns in flight: %s on %s asked to write again", limits.gate.in_flight, inbound.sender_id,
                    inbound.channel)
        await asyncio.to_thread(events.record_now, settings.database_url, "turn_busy", channel=inbound.channel,
                                conversation_id=inbound.sender_id, text=inbound.text)
        return Answer([{"text": BUSY.format(phone=settings.agent_phone)}], about_the_message=True)
    try:
        return await _answer(settings, inbound, on_new_message)
    finally:
        limits.gate.leave()


async def _answer(settings: Settings, inbound: Inbound, on_new_message: OnNewMessage) -> Answer:
    text = (inbound.text or "").strip()
    if not text:
        return Answer([{"text": MEDIA_ONLY if inbound.has_unsupported_media else EMPTY}], about_the_message=True)
    if len(text) > MAX_TEXT:
        return Answer([{"text": TOO_LONG}], about_the_message=True)
    options = await asyncio.to_thread(inbox.menu_of, inbound.sender_id)
    text = choose(text, options) or text
    routed = await asyncio.to_thread(routing.route, settings, inbound.sender_id, text, inbound.metadata, inbound.channel)
    if routed is not None:
        return Answer(routed)
    collector = CollectingOutputChannel()
    # The phone this channel proved, signed for this conversation: the actions trust no other (bot/internal_auth.py).
    metadata = internal_auth.sign_phone(str(settings.action_secret), inbound.sender_id, inbound.metadata)
    await on_new_message(UserMessage(text, collector, inbound.sender_id, input_channel=inbound.channel,
                                     metadata=metadata))
    messages = collector.messages + await asyncio.to_thread(
        routing.escalate_if_upset, settings, inbound.sender_id, inbound.channel, text,
        inbound.metadata.get("phone") or inbound.phone)
    if not messages:  # Rasa answered nothing (e.g. the action server is down): never leave the customer in silence
        log.error("no answer from the assistant on %s for %s", inbound.channel, inbound.sender_id)
        messages = [{"text": APOLOGY, "buttons": [{"title": "Hablar con un asesor", "payload": "/request_agent"}]}]
    return Answer(messages)


async def handle_turn(inbound: Inbound, on_new_message: OnNewMessage, provider: Provider) -> None:
    """Answers one customer message through the channel's provider; never raises (the webhook already said 200)."""
    profile = provider.profile
    try:
        result = await answer(inbound, on_new_message)
        if result.about_the_message:
            await outbound.send(provider, inbound.sender_id, [Outgoing(_fit(m["text"], profile)) for m in result.messages])
            return
        await outbound.reply(provider, inbound.sender_id, result.messages)
        await record_turn(inbound, replied=bool(result.messages))
    except Exception:  # noqa: BLE001 - the customer gets an apology, the log gets the details
        log.exception("turn failed on %s for %s", inbound.channel, inbound.sender_id)
        try:
            await outbound.send(provider, inbound.sender_id, [Outgoing(_fit(APOLOGY, profile))])
        except Exception:  # noqa: BLE001
            log.exception("could not even apologise on %s to %s", inbound.channel, inbound.sender_id)


async def record_turn(inbound: Inbound, replied: bool) -> None:
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
