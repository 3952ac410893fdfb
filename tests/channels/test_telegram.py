"""Telegram end to end: secret-checked webhook -> Rasa -> Bot API emulator, with inline keyboards."""
from __future__ import annotations

import itertools
import json
import time

import httpx
import pytest

from tests.product import TELEGRAM_SECRET

pytestmark = pytest.mark.slow
_ids = itertools.count(1000)


def user(user_id: int) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": "Ana"}


def text_update(user_id: int, text: str) -> dict:
    return {"update_id": next(_ids), "message": {"message_id": next(_ids), "date": int(time.time()), "from": user(user_id),
                                                 "chat": {"id": user_id, "type": "private"}, "text": text}}


def post(product, update: dict, secret: str = TELEGRAM_SECRET) -> httpx.Response:
    return httpx.post(f"{product['base']}/webhooks/telegram/webhook", json=update,
                      headers={"X-Telegram-Bot-Api-Secret-Token": secret}, timeout=30)


def calls_for(telegram_api, chat_id: int, before: int, timeout: float = 60):
    deadline = time.monotonic() + timeout
    match = lambda r: str(r["data"].get("chat_id")) == str(chat_id)  # noqa: E731
    while time.monotonic() < deadline:
        got = telegram_api.matching(match)
        if len(got) > before:
            time.sleep(0.5)
            return telegram_api.matching(match)[before:]
        time.sleep(0.2)
    return []


def count(telegram_api, chat_id: int) -> int:
    return len(telegram_api.matching(lambda r: str(r["data"].get("chat_id")) == str(chat_id)))


def test_a_message_gets_a_reply_with_an_inline_keyboard_and_a_button_works(product, telegram_api):
    chat = 5001
    before = count(telegram_api, chat)
    assert post(product, text_update(chat, "hola")).status_code == 200
    sent = calls_for(telegram_api, chat, before)
    assert sent[0]["method"] == "sendMessage" and "Soy Luz" in sent[0]["data"]["text"]
    keyboard = sent[0]["data"]["reply_markup"]
    keyboard = keyboard if isinstance(keyboard, dict) else json.loads(keyboard)
    help_button = next(b[0] for b in keyboard["inline_keyboard"] if b[0]["callback_data"] == "/help")
    before = count(telegram_api, chat)
    callback = {"update_id": next(_ids), "callback_query": {
        "id": "cb1", "from": user(chat), "chat_instance": "x", "data": help_button["callback_data"],
        "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat, "type": "private"}, "text": "..."}}}
    assert post(product, callback).status_code == 200
    assert telegram_api.wait_for(lambda r: r["method"] == "answerCallbackQuery" and r["data"].get("callback_query_id") == "cb1")
    assert "Esto es lo que puedo hacer" in calls_for(telegram_api, chat, before)[0]["data"]["text"]


def test_sharing_the_phone_links_the_customer_and_unlocks_her_balance(product, telegram_api):
    chat = 5002
    before = count(telegram_api, chat)
    post(product, text_update(chat, "/start"))
    ask = calls_for(telegram_api, chat, before)[0]["data"]
    keyboard = json.loads(ask["reply_markup"]) if isinstance(ask["reply_markup"], str) else ask["reply_markup"]
    assert keyboard["keyboard"][0][0]["request_contact"] is True
    before = count(telegram_api, chat)
    contact = text_update(chat, "")
    del contact["message"]["text"]
    contact["message"]["contact"] = {"phone_number": "+573001234501", "first_name": "Ana", "user_id": chat}
    post(product, contact)
    assert "Ya reconozco tu cuenta" in calls_for(telegram_api, chat, before)[0]["data"]["text"]
    before = count(telegram_api, chat)
    post(product, text_update(chat, "cuánto debo"))
    assert "saldo de $" in calls_for(telegram_api, chat, before)[0]["data"]["text"]


def test_a_wrong_secret_is_refused_and_nothing_is_sent(product, telegram_api):
    chat = 5003
    assert post(product, text_update(chat, "hola"), secret="wrong").status_code == 403
    assert post(product, text_update(chat, "hola"), secret="").status_code == 403
    time.sleep(3)
    assert count(telegram_api, chat) == 0


def test_a_repeated_update_gets_one_reply(product, telegram_api):
    chat = 5004
    update = text_update(chat, "hola")
    post(product, update)
    post(product, update)
    first = calls_for(telegram_api, chat, 0)
    time.sleep(3)
    assert len(first) == count(telegram_api, chat) == 1


def cli(product, *args):
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    return subprocess.run([sys.executable, "-m", "bot", "telegram", *args], env=product["env"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_webhook_is_registered_with_the_public_url_and_the_secret(product, telegram_api):
    result = cli(product, "set-webhook")
    assert result.returncode == 0, result.stderr[-2000:]
    call = telegram_api.wait_for(lambda r: r["method"] == "setWebhook")[-1]["data"]
    assert call["url"] == product["env"]["PUBLIC_BASE_URL"] + "/webhooks/telegram/webhook"
    assert call["secret_token"] == TELEGRAM_SECRET


def test_polling_feeds_the_same_webhook(product, telegram_api):
    chat = 5005
    telegram_api.pending_updates.append(text_update(chat, "hola"))
    result = cli(product, "poll", "--once")
    assert result.returncode == 0 and "1 actualizaciones" in result.stdout, result.stderr[-2000:]
    assert "Soy Luz" in calls_for(telegram_api, chat, 0)[0]["data"]["text"]
