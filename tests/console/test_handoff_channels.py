"""The handoff as customers live it on their channels: upset, waiting, leaving, and an agent on Telegram."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from tests.channels import test_telegram as tg
from tests.channels.test_twilio import message, post, sent_to

pytestmark = pytest.mark.slow


def handoffs_of(product, conversation_id: str):
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        return session.execute(select(m.Handoff).where(m.Handoff.conversation_id == conversation_id)
                               .order_by(m.Handoff.id)).scalars().all()


def messages_of(product, handoff_id: int):
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        return [(msg.kind, msg.body) for msg in session.get(m.Handoff, handoff_id).messages]


def test_an_upset_customer_is_answered_then_queued_and_can_go_back_to_luz(product, twilio_api, signed_in):
    signed_in("diego", "diego-demo")  # someone attends
    phone, address = "+573109770002", "whatsapp:+573109770002"
    before = len(twilio_api.matching(lambda r: r["to"] == address))
    post(product, "whatsapp", message(phone, "esto es una porquería, llevo tres días sin luz"))
    reply = "\n".join(r["body"] for r in sent_to(twilio_api, address, before))
    assert "Lamento mucho la molestia" in reply and "Te comunico con una persona" in reply
    [queued] = handoffs_of(product, phone)
    assert queued.reason == "upset" and queued.status == m.HandoffStatus.queued

    # While waiting, Luz stays quiet and the message is kept for the agent.
    before = len(twilio_api.matching(lambda r: r["to"] == address))
    post(product, "whatsapp", message(phone, "hola? sigo esperando"))
    time.sleep(3)
    assert len(twilio_api.matching(lambda r: r["to"] == address)) == before
    assert ("customer", "hola? sigo esperando") in messages_of(product, queued.id)

    post(product, "whatsapp", message(phone, "Salir"))
    assert "volviste conmigo" in "\n".join(r["body"] for r in sent_to(twilio_api, address, before))
    [left] = handoffs_of(product, phone)
    assert left.status == m.HandoffStatus.left
    # What the KPIs count was recorded: the turns with their latency, what Luz understood, the queue.
    time.sleep(2)  # the event broker writes in the background
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        kinds = [(e.kind, e.latency_ms, e.intent) for e in session.execute(
            select(m.InteractionEvent).where(m.InteractionEvent.conversation_id == phone)).scalars()]
    assert [k for k, *_ in kinds].count("message_received") == 3
    assert any(k == "reply_sent" and latency and latency > 0 for k, latency, _ in kinds)
    assert any(k == "intent" and intent for k, _, intent in kinds)
    assert ("handoff_queued", None, None) in kinds and ("handoff_left", None, None) in kinds


def test_an_agent_answers_a_telegram_customer_on_telegram(product, telegram_api, signed_in):
    agent = signed_in("camila", "camila-demo")
    chat = 5901
    before = tg.count(telegram_api, chat)
    tg.post(product, tg.text_update(chat, "quiero hablar con un asesor"))
    asked = tg.calls_for(telegram_api, chat, before)
    assert "Te comunico con una persona" in asked[0]["data"]["text"]
    [queued] = handoffs_of(product, f"tg:{chat}")
    assert queued.channel == "telegram"
    taken = agent.post(f"/console/handoffs/{queued.id}/take", headers={"X-CSRF-Token": agent.csrf, "Accept": "application/json"})
    assert taken.status_code == 200
    before = tg.count(telegram_api, chat)
    replied = agent.post(f"/console/api/handoffs/{queued.id}/reply", json={"text": "Hola, te ayudo con gusto."},
                         headers={"X-CSRF-Token": agent.csrf})
    assert replied.status_code == 200 and replied.json()["delivered"] is True
    sent = tg.calls_for(telegram_api, chat, before)
    assert any(call["data"]["text"] == "Camila: Hola, te ayudo con gusto." for call in sent)

    before = tg.count(telegram_api, chat)
    agent.post(f"/console/handoffs/{queued.id}/close", data={"csrf": agent.csrf, "resolution": "Consulta resuelta"})
    survey = tg.calls_for(telegram_api, chat, before)
    assert "¿Cómo calificas la atención" in survey[0]["data"]["text"]
    assert "inline_keyboard" in str(survey[0]["data"]["reply_markup"])  # buttons, not numbers, on Telegram
