"""The REST channel (development) takes Luz's turn like the others: an upset customer is offered a person."""
from __future__ import annotations

import asyncio
import itertools

from sqlalchemy import select

from bot import handoff
from bot.db import models as m
from bot.db.engine import session_scope
from bot.settings import get_settings
from bot.web.console.auth import create_agent
from channels.conversation import Inbound, handle_turn
from channels.providers.twilio import WhatsAppProvider
from channels.render import Delivery
from channels.rest import RestInput

UPSET = "ya me tienen cansada con los cortes"
_phones = itertools.count(1)


async def assistant(message):
    """Stands in for Rasa: answers every message the same way."""
    await message.output_channel.send_text_message(message.sender_id, "Entiendo. ¿En qué más te ayudo?")


def handoffs_of(engine, conversation_id: str):
    with session_scope(engine) as session:
        return [(h.channel, h.reason) for h in session.execute(
            select(m.Handoff).where(m.Handoff.conversation_id == conversation_id)).scalars()]


def test_an_upset_customer_on_rest_is_escalated_as_on_whatsapp(use_database, engine, monkeypatch):
    monkeypatch.setenv("LUZ_AGENT_HOURS", "00:00-24:00")
    monkeypatch.setenv("LUZ_AGENT_DAYS", "1-7")
    get_settings.cache_clear()
    with session_scope(engine) as session:  # someone attends the queue
        handoff.touch(session, create_agent(session, f"rest{next(_phones)}", "Paula Gómez", "clave-segura-1"))
    rest_phone, whatsapp_phone = (f"+57310666{next(_phones):04d}" for _ in range(2))
    answered = asyncio.run(RestInput().turn({"sender": rest_phone, "message": UPSET}, assistant))

    sent = []

    class Recording(WhatsAppProvider):
        def __init__(self):
            super().__init__("", "", "", "https://luz.example")

        async def send(self, address, message):
            sent.append(message)
            return Delivery("recorded")

    asyncio.run(handle_turn(Inbound("whatsapp", whatsapp_phone, UPSET, {"phone": whatsapp_phone}), assistant, Recording()))

    assert answered[0] == {"recipient_id": rest_phone, "text": "Entiendo. ¿En qué más te ayudo?"}
    assert answered[1]["text"].startswith("Lamento mucho la molestia.")
    assert any(message["text"].startswith("Lamento mucho la molestia.") for message in sent)
    assert handoffs_of(engine, rest_phone) == [("rest", "upset")]
    assert handoffs_of(engine, whatsapp_phone) == [("whatsapp", "upset")]


def test_rest_answers_in_rasas_format_and_never_believes_a_phone_in_metadata(use_database):
    seen = []

    async def remember(message):
        seen.append(message)
        await assistant(message)

    sender = f"+57310666{next(_phones):04d}"
    answered = asyncio.run(RestInput().turn(
        {"sender": sender, "message": "hola", "metadata": {"phone": "+573001234501", "phone_proof": "x"}}, remember))
    assert answered == [{"recipient_id": sender, "text": "Entiendo. ¿En qué más te ayudo?"}]
    assert seen[0].input_channel == "rest" and "phone" not in seen[0].metadata and "phone_proof" not in seen[0].metadata
    assert asyncio.run(RestInput().turn({"sender": sender, "message": "   "}, remember))[0]["text"].startswith("Recibí un mensaje vacío")
