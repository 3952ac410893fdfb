"""Timeouts and bounds (issue 18): a hung provider, a flood from one sender, more turns than the cap.

The providers are the real Twilio and Telegram clients pointed at a local socket that accepts connections
and never answers; the turns go through ``channels/conversation.py`` as every channel's do, with a stand-in
for Rasa and a provider that records what the customer would receive.
"""
from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from typing import Iterator, List

import pytest
from sqlalchemy import select

from bot.db import models as m
from bot.db.engine import session_scope
from bot.settings import Settings
from channels import conversation
from channels.bounds import ALLOW, SILENT, WARN, SenderRate, TurnGate
from channels.conversation import BUSY, SLOW_DOWN, Bounds, Inbound, handle_turn
from channels.providers import provider_for
from channels.providers.twilio import TimedTwilioHttpClient, WhatsAppProvider
from channels.render import Delivery
from tests.product import SMS_FROM, TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM

ANSWER = "Entiendo. ¿En qué más te ayudo?"
_phones = itertools.count(1)


def phone() -> str:
    return f"+57310777{next(_phones):04d}"


@pytest.fixture()
def hung_provider() -> Iterator[str]:
    """http://127.0.0.1:<port>: accepts every connection, reads what it is sent, never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: List[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            held.append(connection)  # kept open, never written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for connection in held:
        connection.close()
    server.close()


def settings_for(api: str, timeout: str = "1") -> Settings:
    return Settings.from_environ({
        "PUBLIC_BASE_URL": "https://luz.example", "LUZ_PROVIDER_TIMEOUT_SECONDS": timeout,
        "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "TWILIO_SMS_FROM": SMS_FROM, "TWILIO_API_BASE_URL": api,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE_URL": api})


def timed_send(channel: str, api: str, address: str):
    provider = provider_for(channel, settings_for(api))
    assert provider is not None and provider.timeout == 1.0

    async def go():
        try:
            return await provider.send(address, {"text": "Hola"})
        finally:
            await provider.close()

    started = time.monotonic()
    delivery = asyncio.run(go())
    return delivery, time.monotonic() - started


@pytest.mark.parametrize("channel,address", [("whatsapp", "+573107770900"), ("sms", "+573107770901"),
                                             ("telegram", "tg:7770902")])
def test_a_hung_provider_fails_the_send_within_the_timeout_and_it_may_be_retried(
        use_database, engine, hung_provider, channel, address):
    delivery, took = timed_send(channel, hung_provider, address)
    assert not delivery.ok and delivery.retryable, delivery
    assert took < 4, f"the send took {took:.1f} s with a timeout of 1 s"
    with session_scope(engine) as session:
        rows = session.execute(select(m.OutboundMessage).where(
            m.OutboundMessage.channel == channel, m.OutboundMessage.recipient == address.removeprefix("tg:"))).scalars().all()
        assert [row.status for row in rows][-1:] == ["failed"]


def test_the_timeout_is_a_setting_with_a_default():
    assert Settings.from_environ({}).provider_timeout_seconds == 10.0
    assert settings_for("", timeout="2.5").provider_timeout_seconds == 2.5
    for channel in ("whatsapp", "sms", "telegram"):
        assert provider_for(channel, settings_for("", timeout="2.5")).timeout == 2.5


def test_the_twilio_http_client_itself_gives_up(hung_provider):
    """Not only the provider's overall deadline: the client's own requests carry the timeout."""
    async def go():
        client = TimedTwilioHttpClient(timeout=0.5)
        try:
            await client.request("POST", f"{hung_provider}/2010-04-01/Accounts/AC1/Messages.json", data={"To": "x"})
        finally:
            await client.close()

    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(go())
    assert time.monotonic() - started < 3


class Recording(WhatsAppProvider):
    """What the customer would receive on WhatsApp."""

    def __init__(self) -> None:
        super().__init__("", "", "", "https://luz.example")
        self.sent: List[tuple] = []

    async def send(self, address, message):
        self.sent.append((address, message.get("text")))
        return Delivery("recorded")


@pytest.fixture()
def bounded(monkeypatch):
    """Installs the given bounds for this test; the process's own come back afterwards."""
    monkeypatch.setattr(conversation, "_bounds", None)
    return conversation.bounds


def events_of(engine, kind: str, conversation_id: str) -> int:
    with session_scope(engine) as session:
        return len(session.execute(select(m.InteractionEvent).where(
            m.InteractionEvent.kind == kind, m.InteractionEvent.conversation_id == conversation_id)).scalars().all())


def test_a_flood_from_one_sender_gets_one_polite_answer_and_no_more_turns(use_database, engine, bounded):
    bounded(Bounds(TurnGate(64), SenderRate(5)))
    turns: List[str] = []

    async def assistant(message):
        turns.append(message.sender_id)
        await message.output_channel.send_text_message(message.sender_id, ANSWER)

    flooder, neighbour, provider = phone(), phone(), Recording()

    async def flood():
        for n in range(30):
            await handle_turn(Inbound("whatsapp", flooder, f"hola {n}", {"phone": flooder}), assistant, provider)
        await handle_turn(Inbound("whatsapp", neighbour, "hola", {"phone": neighbour}), assistant, provider)

    asyncio.run(flood())
    assert turns.count(flooder) == 5 and turns.count(neighbour) == 1  # the others write as usual
    to_flooder = [text for address, text in provider.sent if address == flooder]
    assert to_flooder == [ANSWER] * 5 + [SLOW_DOWN]  # one polite answer, then silence
    assert events_of(engine, "sender_rate_limited", flooder) == 1


def test_the_sender_may_write_again_once_the_minute_has_room():
    now = [0.0]
    rate = SenderRate(3, window=60, clock=lambda: now[0])
    assert [rate.check("a") for _ in range(6)] == [ALLOW] * 3 + [WARN, SILENT, SILENT]
    now[0] = 59.9
    assert rate.check("a") == SILENT
    now[0] = 60.0
    assert [rate.check("a") for _ in range(4)] == [ALLOW] * 3 + [WARN]  # told again, once, after a new window


def test_the_rate_limiter_forgets_the_oldest_senders_beyond_its_bound():
    rate = SenderRate(3, max_senders=1000)
    for n in range(50_000):
        rate.check(f"+57{n:010d}")
    assert len(rate) == 1000
    assert [rate.check("+570000049999") for _ in range(3)] == [ALLOW, ALLOW, WARN]  # remembered: its first one counted
    assert rate.check("+570000000000") == ALLOW  # forgotten: starts again (the price of a bounded memory)


def test_more_turns_than_the_cap_get_the_busy_answer(use_database, engine, bounded):
    bounded(Bounds(TurnGate(2), SenderRate(100)))
    release = asyncio.Event()
    started: List[str] = []

    async def slow_assistant(message):
        started.append(message.sender_id)
        await release.wait()
        await message.output_channel.send_text_message(message.sender_id, ANSWER)

    senders, provider = [phone() for _ in range(4)], Recording()

    async def burst():
        first = [asyncio.create_task(handle_turn(Inbound("whatsapp", s, "hola", {"phone": s}), slow_assistant, provider))
                 for s in senders[:2]]
        while len(started) < 2:
            await asyncio.sleep(0.01)
        await handle_turn(Inbound("whatsapp", senders[2], "no tengo luz", {"phone": senders[2]}), slow_assistant, provider)
        release.set()
        await asyncio.gather(*first)
        await handle_turn(Inbound("whatsapp", senders[3], "hola", {"phone": senders[3]}), slow_assistant, provider)

    asyncio.run(burst())
    said = {address: [text for a, text in provider.sent if a == address] for address in senders}
    assert said[senders[2]] == [BUSY.format(phone=Settings.agent_phone)]
    assert "escríbemelo de nuevo en un minuto" in said[senders[2]][0]
    assert said[senders[0]] == said[senders[1]] == said[senders[3]] == [ANSWER]  # after the burst, turns go on
    assert sorted(started) == [senders[0], senders[1], senders[3]]
    assert events_of(engine, "turn_busy", senders[2]) == 1
    assert conversation.bounds().gate.in_flight == 0
