"""Operator tools for Telegram: register the webhook, or poll for local development.

Polling reads getUpdates and posts each update to our own webhook with the
secret token, so development exercises exactly the production handling code.
"""
from __future__ import annotations

import asyncio
import logging
import os

import httpx
from telegram import Bot

from bot.settings import Settings

log = logging.getLogger(__name__)


def _bot() -> Bot:
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "")
    if not token:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set")
    base = os.environ.get("TELEGRAM_API_BASE_URL")
    return Bot(token, base_url=f"{base.rstrip('/')}/bot") if base else Bot(token)


def _secret() -> str:
    secret = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "")
    if not secret:
        raise SystemExit("TELEGRAM_WEBHOOK_SECRET is not set")
    return secret


async def set_webhook(settings: Settings) -> str:
    """Points Telegram at PUBLIC_BASE_URL/webhooks/telegram/webhook with the secret token."""
    url = f"{settings.public_base_url}/webhooks/telegram/webhook"
    async with _bot() as bot:
        await bot.set_webhook(url, secret_token=_secret(), allowed_updates=["message", "callback_query"])
    return url


async def poll(settings: Settings, once: bool = False) -> int:
    """Forwards updates from getUpdates to the local Rasa server until interrupted; returns how many."""
    webhook = f"http://127.0.0.1:{settings.rasa_port}/webhooks/telegram/webhook"
    forwarded, offset = 0, None
    async with _bot() as bot, httpx.AsyncClient(timeout=60) as client:
        await bot.delete_webhook()
        while True:
            updates = await bot.get_updates(offset=offset, timeout=0 if once else 25)
            for update in updates:
                response = await client.post(webhook, json=update.to_dict(),
                                             headers={"X-Telegram-Bot-Api-Secret-Token": _secret()})
                if response.status_code != 200:
                    log.warning("the webhook answered %s to update %s", response.status_code, update.update_id)
                forwarded += 1
                offset = update.update_id + 1
            if once:
                return forwarded
            if not updates:
                await asyncio.sleep(1)
