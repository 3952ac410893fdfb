"""Luz answers on Telegram in private chats only: in a group others would read a customer's answers.

The real webhook guard and Telegram channel, sending to the Bot API emulator: an update from a group, a
supergroup or a channel (with the right secret) is acknowledged and gets no reply; the same message in a
private chat does (the control).
"""
from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any, Dict, List

import pytest

from channels.guard import guard
from channels.providers.telegram import TelegramProvider
from channels.telegram import SECRET_HEADER, TelegramInput

SECRET = "telegram-test-secret"
_ids = itertools.count(880000)


class WebhookRequest:
    """What the guard reads of Sanic's request: the headers and the JSON body."""

    def __init__(self, body: Dict[str, Any], secret: str = SECRET) -> None:
        self.json, self.headers = body, {SECRET_HEADER: secret}


def update(chat_type: str, text: str, chat_id: int, user_id: int = 424242) -> Dict[str, Any]:
    sender = {"id": user_id, "is_bot": False, "first_name": "Intruso"}
    chat: Dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "Vecinos del barrio"
    message: Dict[str, Any] = {"message_id": next(_ids), "date": int(time.time()), "chat": chat, "text": text}
    if chat_type != "channel":
        message["from"] = sender
    key = "channel_post" if chat_type == "channel" else "message"
    return {"update_id": next(_ids), key: message}


async def deliver(telegram_api, body: Dict[str, Any]) -> List[str]:
    """Posts one update through the guard; what reached the turn handler."""
    provider = TelegramProvider("123:group-test", telegram_api.url)
    channel = TelegramInput(provider, SECRET)
    turns: List[str] = []

    async def on_new_message(message) -> None:
        turns.append(message.text)

    try:
        answer = await guard(channel, WebhookRequest(body), on_new_message, accept=lambda *_: 1)
        assert answer.status == 200
        await asyncio.sleep(1.5)  # the turn runs after the webhook answered
    finally:
        await provider.close()
    return turns


def sent_to(telegram_api, chat_id: int) -> List[Dict[str, Any]]:
    return telegram_api.matching(lambda r: str(r["data"].get("chat_id")) == str(chat_id))


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
@pytest.mark.parametrize("text", ["/start", "cuánto debo de la cuenta 100200302"])
async def test_a_message_in_a_group_gets_no_reply(telegram_api, chat_type, text):
    chat_id = -1000000000000 - next(_ids)
    turns = await deliver(telegram_api, update(chat_type, text, chat_id))
    assert turns == [] and sent_to(telegram_api, chat_id) == []


async def test_a_contact_shared_in_a_group_links_nobody_and_gets_no_reply(telegram_api, use_database):
    chat_id = -1000000000000 - next(_ids)
    body = update("group", "", chat_id, user_id=chat_id)
    del body["message"]["text"]
    body["message"]["contact"] = {"phone_number": "+573001234502", "first_name": "Carlos", "user_id": 424242}
    assert await deliver(telegram_api, body) == [] and sent_to(telegram_api, chat_id) == []


async def test_control_the_same_start_in_a_private_chat_is_answered(telegram_api):
    chat_id = next(_ids)
    await deliver(telegram_api, update("private", "/start", chat_id, user_id=chat_id))
    sent = sent_to(telegram_api, chat_id)
    assert [r["method"] for r in sent] == ["sendMessage"] and "Soy Luz" in sent[0]["data"]["text"]
