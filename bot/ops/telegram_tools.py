"""Operator tools for Telegram: register the webhook, or poll for local development.

Polling reads getUpdates and posts each update to our own webhook with the
secret token, so development exercises exactly the production handling code.
"""
from __future__ import annotations

import asyncio
import logging

import httpx
from telegram import Bot

from bot.settings import TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, Settings

log = logging.getLogger(__name__)


def _bot(settings: Settings) -> Bot:
    token = str(settings.telegram_bot_token)
    if not token:
        raise SystemExit(f"{TELEGRAM_BOT_TOKEN} is not set")
    base = settings.telegram_api_base_url
    return Bot(token, base_url=f"{base.rstrip('/')}/bot") if base else Bot(token)


def _secret(settings: Settings) -> str:
    secret = str(settings.telegram_webhook_secret)
    if not secret:
        raise SystemExit(f"{TELEGRAM_WEBHOOK_SECRET} is not set")
    return secret


async def set_webhook(settings: Settings) -> str:
    """Points Telegram at PUBLIC_BASE_URL/webhooks/telegram/webhook with the secret token."""
    url = f"{settings.public_base_url}/webhooks/telegram/webhook"
    async with _bot(settings) as bot:
        await bot.set_webhook(url, secret_token=_secret(settings), allowed_updates=["message", "callback_query"])
    return url


async def poll(settings: Settings, once: bool = False) -> int:
    """Forwards updates from getUpdates to the local Rasa server until interrupted; returns how many."""
    webhook = f"http://127.0.0.1:{settings.rasa_port}/webhooks/telegram/webhook"
    forwarded, offset = 0, None
    async with _bot(settings) as bot, httpx.AsyncClient(timeout=60) as client:
        await bot.delete_webhook()
        while True:
            updates = await bot.get_updates(offset=offset, timeout=0 if once else 25)
            for update in updates:
                response = await client.post(webhook, json=update.to_dict(),
                                             headers={"X-Telegram-Bot-Api-Secret-Token": _secret(settings)})
                if response.status_code != 200:
                    log.warning("the webhook answered %s to update %s", response.status_code, update.update_id)
                forwarded += 1
                offset = update.update_id + 1
            if once:
                return forwarded
            if not updates:
                await asyncio.sleep(1)
