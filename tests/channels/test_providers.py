"""The providers: one way to send on every channel, through the real clients, without Rasa."""
from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import subprocess
import sys

import pytest
from sqlalchemy import select

from bot.db import models as m
from bot.db.engine import session_scope
from bot.settings import Settings
from channels.providers import Provider, provider_for
from channels.providers.telegram import TelegramProvider
from channels.providers.twilio import SmsProvider, TwilioProvider, WhatsAppProvider
from tests.conftest import PROJECT_ROOT
from tests.product import SMS_FROM, TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM

BASE = {"PUBLIC_BASE_URL": "https://luz.example"}
SETTINGS = Settings.from_environ(BASE)
_chats = itertools.count(0, 100)


def environ(twilio_api=None, telegram_api=None) -> dict:
    return {"TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
            "TWILIO_SMS_FROM": SMS_FROM, "TWILIO_API_BASE_URL": twilio_api.url if twilio_api else "",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE_URL": telegram_api.url if telegram_api else ""}


def send(provider: Provider, address: str, message: dict):
    async def go():
        try:
            return await provider.send(address, message)
        finally:
            await provider.close()

    return asyncio.run(go())


def test_sending_needs_neither_rasa_nor_sanic():
    code = ("import sys, channels.providers, channels.providers.twilio, channels.providers.telegram, channels.outbound; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'rasa', 'sanic'}))")
    found = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert json.loads(found.stdout.strip().replace("'", '"')) == []


def test_every_provider_sends_with_the_same_call():
    expected = inspect.signature(Provider.send)
    for kind in (TwilioProvider, WhatsAppProvider, SmsProvider, TelegramProvider):
        assert inspect.signature(kind.send) == expected, kind.__name__
        assert inspect.iscoroutinefunction(kind.send)
    assert list(expected.parameters) == ["self", "address", "message"]


def test_the_registry_knows_the_three_channels_and_who_is_configured():
    for channel, kind in (("whatsapp", WhatsAppProvider), ("sms", SmsProvider), ("telegram", TelegramProvider)):
        assert isinstance(provider_for(channel, Settings.from_environ({**BASE, **environ()})), kind)
        assert provider_for(channel, Settings.from_environ({**BASE, **environ()})).configured
        assert not provider_for(channel, SETTINGS).configured
    assert provider_for("rest", Settings.from_environ({**BASE, **environ()})) is None


def test_whatsapp_goes_through_the_twilio_client_and_is_recorded(use_database, engine, twilio_api):
    provider = provider_for("whatsapp", Settings.from_environ({**BASE, **environ(twilio_api)}))
    delivery = send(provider, "+573105550001", {"text": "Hola, ¿cómo vas?", "media_url": "https://luz.example/f.pdf"})
    assert delivery.ok
    [sent] = twilio_api.matching(lambda r: r["sid"] == delivery.provider_id)
    assert sent["to"] == "whatsapp:+573105550001" and sent["from"] == WHATSAPP_FROM and sent["body"] == "Hola, ¿cómo vas?"
    assert sent["media_url"] == ["https://luz.example/f.pdf"]
    assert sent["status_callback"] == "https://luz.example/webhooks/whatsapp/status"
    with session_scope(engine) as session:
        row = session.execute(select(m.OutboundMessage).where(m.OutboundMessage.provider_id == delivery.provider_id)).scalar_one()
        assert (row.channel, row.recipient, row.status) == ("whatsapp", "+573105550001", "queued")


def test_a_whatsapp_template_goes_instead_of_the_text(use_database, twilio_api):
    provider = provider_for("whatsapp", Settings.from_environ({**BASE, **environ(twilio_api)}))
    delivery = send(provider, "+573105550002", {"text": "Corte en tu zona", "template": ("HX123", {"1": "Kennedy"})})
    [sent] = twilio_api.matching(lambda r: r["sid"] == delivery.provider_id)
    assert sent["content_sid"] == "HX123" and json.loads(sent["content_variables"]) == {"1": "Kennedy"}
    assert sent["body"] == ""


def test_sms_is_gsm7_text_and_never_a_template(use_database, twilio_api):
    provider = provider_for("sms", Settings.from_environ({**BASE, **environ(twilio_api)}))
    delivery = send(provider, "+573105550003", {"text": "Tu factura venció «ayer»", "template": ("HX1", {})})
    [sent] = twilio_api.matching(lambda r: r["sid"] == delivery.provider_id)
    assert sent["to"] == "+573105550003" and sent["from"] == SMS_FROM
    assert sent["body"] == 'Tu factura vencio "ayer"' and sent["content_sid"] is None


@pytest.mark.parametrize("status, retryable", [(500, True), (400, False)])
def test_a_refusal_comes_back_as_a_delivery_saying_whether_to_retry(use_database, engine, twilio_api, status, retryable):
    phone = f"+57310555{status:04d}"
    twilio_api.failures[f"whatsapp:{phone}"] = [status]
    delivery = send(provider_for("whatsapp", Settings.from_environ({**BASE, **environ(twilio_api)})), phone, {"text": "hola"})
    assert not delivery.ok and delivery.retryable is retryable and delivery.error
    with session_scope(engine) as session:
        row = session.execute(select(m.OutboundMessage).where(m.OutboundMessage.recipient == phone)).scalar_one()
        assert row.status == "failed" and row.error_code == delivery.error


def test_telegram_goes_through_the_bot_api_with_an_inline_keyboard(use_database, engine, telegram_api):
    provider = provider_for("telegram", Settings.from_environ({**BASE, **environ(telegram_api=telegram_api)}))
    chat = str(7788 + next(_chats))  # the emulator lives for the session, the test runs once per database
    delivery = send(provider, f"tg:{chat}", {"text": "¿Qué necesitas?", "buttons": [("Saldo", "/check_balance")]})
    assert delivery.ok and delivery.provider_id.startswith(f"tg:{chat}:")
    [sent] = telegram_api.matching(lambda r: r["method"] == "sendMessage" and str(r["data"].get("chat_id")) == chat)
    assert sent["data"]["text"] == "¿Qué necesitas?" and "check_balance" in str(sent["data"]["reply_markup"])
    with session_scope(engine) as session:
        row = session.execute(select(m.OutboundMessage).where(m.OutboundMessage.provider_id == delivery.provider_id)).scalar_one()
        assert (row.channel, row.recipient) == ("telegram", chat)


def test_a_chart_goes_to_telegram_as_a_photo(use_database, telegram_api):
    provider = provider_for("telegram", Settings.from_environ({**BASE, **environ(telegram_api=telegram_api)}))
    assert send(provider, "tg:7789", {"text": "Tu consumo", "media_url": "https://luz.example/c.png?sig=1"}).ok
    assert telegram_api.matching(lambda r: r["method"] == "sendPhoto" and str(r["data"].get("chat_id")) == "7789")
