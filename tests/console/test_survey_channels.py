"""The satisfaction survey as a customer answers it on SMS and WhatsApp, through the running product: the
number typed is the score stored (it was stored upside down: "5" became 1)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from channels.render import to_gsm7
from tests.channels.test_twilio import message, post, sent_to
from tests.console.test_handoff_channels import handoffs_of

pytestmark = pytest.mark.slow


def said(twilio_api, address: str, before: int) -> str:
    return "\n".join(r["body"] for r in sent_to(twilio_api, address, before))


@pytest.mark.parametrize("channel, phone, typed, score", [("sms", "+573109770051", "5", 5),
                                                          ("whatsapp", "+573109770052", "1", 1)])
def test_the_score_typed_on_a_numbered_channel_is_the_score_stored(product, twilio_api, signed_in, channel, phone,
                                                                   typed, score):
    agent = signed_in("camila", "camila-demo")
    address = f"whatsapp:{phone}" if channel == "whatsapp" else phone
    count = lambda: len(twilio_api.matching(lambda r: r["to"] == address))  # noqa: E731
    before = count()
    post(product, channel, message(phone, "quiero hablar con un asesor", channel))
    assert "Te comunico con una persona" in said(twilio_api, address, before)
    [queued] = handoffs_of(product, phone)
    headers = {"X-CSRF-Token": agent.csrf, "Accept": "application/json"}
    assert agent.post(f"/console/handoffs/{queued.id}/take", headers=headers).status_code == 200

    before = count()
    agent.post(f"/console/handoffs/{queued.id}/close", data={"csrf": agent.csrf, "resolution": "Consulta resuelta"})
    survey = said(twilio_api, address, before)
    assert "Elige de 5 (excelente) a 1 (muy mala)." in survey
    assert "\n5 Excelente\n4 Buena\n3 Regular\n2 Mala\n1 Muy mala\n" in survey and "1. Excelente" not in survey

    before = count()
    post(product, channel, message(phone, typed, channel))
    thanks = "¡Gracias por tu calificación!"
    assert (to_gsm7(thanks) if channel == "sms" else thanks) in said(twilio_api, address, before)
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        stored = session.execute(select(m.Survey).where(m.Survey.conversation_id == phone)).scalar_one()
        assert (stored.channel, stored.score, stored.subject) == (channel, score, "handoff")
