"""The webhook guard every input channel shares, run on the real WhatsApp and Telegram channels."""
from __future__ import annotations

import asyncio
import itertools
from types import SimpleNamespace
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bot.settings import Settings
from channels.conversation import _RUNNING
from channels.guard import guard
from channels.providers import provider_for
from channels.telegram import SECRET_HEADER, TelegramInput
from channels.twilio import WhatsAppInput
from tests.product import TELEGRAM_SECRET, TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM

BASE = {"PUBLIC_BASE_URL": "https://luz.example"}
SETTINGS = Settings.from_environ(BASE)
ENVIRON = {"TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
           "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN}
_sids = itertools.count(1)


def twilio_request(form: dict, signature=None):
    path = "/webhooks/whatsapp/webhook"
    if signature is None:
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(f"https://luz.example{path}", form)
    return SimpleNamespace(path=path, query_string="", body=urlencode(form).encode(),
                           headers={"X-Twilio-Signature": signature})


def whatsapp(turns: list) -> WhatsAppInput:
    channel = WhatsAppInput(provider_for("whatsapp", Settings.from_environ({**BASE, **ENVIRON})))

    async def turn(inbound, _on_new_message):
        turns.append(inbound)

    channel.turn = turn
    return channel


def run(hook, *requests):
    async def go():
        answers = [await guard(hook, request, on_new_message=None) for request in requests]
        await asyncio.gather(*list(_RUNNING))
        return answers

    return asyncio.run(go())


def message(phone: str, body: str) -> dict:
    return {"MessageSid": f"SM{next(_sids):030d}gd", "AccountSid": TWILIO_SID, "From": f"whatsapp:{phone}",
            "Body": body, "NumMedia": "0"}


def test_an_unsigned_or_forged_webhook_is_refused_and_nothing_is_handed_over(use_database):
    turns = []
    form = message("+573105551001", "hola")
    forged, unsigned = run(whatsapp(turns), twilio_request(form, "forged"), twilio_request(form, ""))
    assert forged.status == unsigned.status == 403 and turns == []


def test_a_repeated_message_is_handed_over_once_and_each_answered(use_database):
    turns = []
    form = message("+573105551002", "hola")
    first, retry = run(whatsapp(turns), twilio_request(form), twilio_request(form))
    assert first.status == retry.status == 200 and b"<Response>" in retry.body
    assert [t.text for t in turns] == ["hola"] and turns[0].metadata["phone"] == "+573105551002"


def test_a_channel_without_credentials_is_off_and_a_signed_but_unreadable_message_is_a_400(use_database):
    off = WhatsAppInput(provider_for("whatsapp", SETTINGS))
    assert run(off, twilio_request(message("+573105551003", "hola")))[0].status == 503
    form = message("+573105551003", "hola")
    del form["From"]
    assert run(whatsapp([]), twilio_request(form))[0].status == 400


def test_telegram_checks_its_secret_token_the_same_way(use_database):
    channel = TelegramInput(provider_for("telegram", Settings.from_environ({**BASE, **ENVIRON})), TELEGRAM_SECRET)
    wrong = SimpleNamespace(headers={SECRET_HEADER: "guess"}, json={"update_id": 1})
    assert run(channel, wrong)[0].status == 403
