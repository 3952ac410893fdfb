"""Telegram out through the Bot API, with python-telegram-bot's ``Bot``.

``TELEGRAM_API_BASE_URL`` points the bot at another host (the tests' emulator). The address is the
conversation, ``tg:<chat id>``; buttons become an inline keyboard, a PNG a photo, any other file a
document. The input channel (``channels/telegram.py``) reads updates with the same ``Bot``.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Optional, Tuple

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.request import HTTPXRequest

from bot.settings import Settings
from channels.providers import Message, Provider
from channels.render import TELEGRAM_LIMIT, ChannelProfile, Delivery

log = logging.getLogger(__name__)


def chat_of(address: str) -> int:
    """The chat id of a conversation ``tg:<chat id>`` (a bare id is accepted too)."""
    return int(address.split(":", 1)[1] if address.startswith("tg:") else address)


class TelegramProvider(Provider):
    channel = "telegram"
    profile = ChannelProfile(limit=TELEGRAM_LIMIT, keyboards=True, media=True)

    def __init__(self, token: str, api_base_url: Optional[str] = None, timeout: float = Provider.timeout) -> None:
        self.token, self.api_base_url, self.timeout = token, api_base_url, timeout
        self._bot: Optional[Bot] = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramProvider:
        return cls(str(settings.telegram_bot_token), settings.telegram_api_base_url or None,
                   timeout=settings.provider_timeout_seconds)

    @property
    def configured(self) -> bool:
        return bool(self.token)

    async def bot(self) -> Bot:
        """The initialised bot, made on first use; every phase of its requests is bounded by the timeout."""
        if self._bot is None:
            limit = self.timeout
            request = HTTPXRequest(connect_timeout=limit, read_timeout=limit, write_timeout=limit, pool_timeout=limit,
                                   media_write_timeout=limit)
            base_url = f"{self.api_base_url.rstrip('/')}/bot" if self.api_base_url else "https://api.telegram.org/bot"
            bot = Bot(self.token, base_url=base_url, request=request)
            await bot.initialize()
            self._bot = bot
        return self._bot

    def recipient(self, address: str) -> str:
        return str(chat_of(address))

    async def transmit(self, address: str, message: Message) -> Tuple[Delivery, str]:
        bot, chat_id = await self.bot(), chat_of(address)
        text, media_url, buttons = message.get("text") or "", message.get("media_url"), message.get("buttons") or []
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(title[:64], callback_data=payload[:64])] for title, payload in buttons]
        ) if buttons else None
        if media_url and media_url.split("?")[0].endswith(".png"):
            sent = await bot.send_photo(chat_id, media_url, caption=text[:1024] or None, reply_markup=markup)
        elif media_url:
            sent = await bot.send_document(chat_id, media_url, caption=text[:1024] or None, reply_markup=markup)
        else:
            sent = await bot.send_message(chat_id, text, reply_markup=markup)
        return Delivery(f"tg:{chat_id}:{sent.message_id}"), "sent"

    async def typing(self, address: str) -> bool:
        """``sendChatAction`` "typing": Telegram shows it for five seconds or until the next message."""
        try:
            bot = await self.bot()
            await asyncio.wait_for(bot.send_chat_action(chat_of(address), ChatAction.TYPING), self.timeout)
            return True
        except Exception:  # noqa: BLE001 - a typing hint that did not show is not worth an error
            log.warning("telegram: could not show typing to %s", address, exc_info=True)
            return False

    def failure(self, error: Exception) -> Delivery:
        return Delivery(None, type(error).__name__[:60],
                        retryable=isinstance(error, RetryAfter | NetworkError) and not isinstance(error, BadRequest))

    async def close(self) -> None:
        if self._bot is not None:
            await self._bot.shutdown()
            self._bot = None
