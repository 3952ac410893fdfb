"""Telegram through python-telegram-bot: webhook with a secret token, inline keyboards.

Webhook: ``/webhooks/telegram/webhook``; Telegram sends ``X-Telegram-Bot-Api-Secret-Token``
(set with ``python -m bot telegram set-webhook``). ``python -m bot telegram poll`` feeds the
same webhook from getUpdates for development without a public URL. A customer links their
Telegram account to their records by sharing their phone (a contact button).
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import os
from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sqlalchemy import select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.phones import to_e164
from bot.settings import get_settings
from channels import inbox
from channels.conversation import ChannelProfile, Inbound, handle_turn, spawn
from channels.render import TELEGRAM_LIMIT, Delivery, Outgoing

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WELCOME = ("¡Hola! Soy Luz, la asistente de Energía del Valle. Para darte información de tu cuenta, "
           "comparte tu número de celular con el botón de abajo (solo la primera vez).")


def phone_of_telegram_user(user_id: str) -> Optional[str]:
    with session_scope(engine_for(get_settings().database_url)) as session:
        customer = session.execute(select(m.Customer).where(m.Customer.telegram_user_id == user_id)).scalars().first()
        return customer.phones[0].number if customer and customer.phones else None


def link_telegram_user(user_id: str, phone: str) -> bool:
    """Links a Telegram user to the customers who registered this phone; False when nobody did."""
    with session_scope(engine_for(get_settings().database_url)) as session:
        customers = session.execute(
            select(m.Customer).join(m.Phone).where(m.Phone.number == phone)).scalars().unique().all()
        for customer in customers:
            customer.telegram_user_id = user_id
        return bool(customers)


class TelegramInput(InputChannel):
    profile = ChannelProfile(limit=TELEGRAM_LIMIT, keyboards=True, media=True)

    def __init__(self, token: str, secret: str, api_base_url: Optional[str] = None) -> None:
        self.token, self.secret, self.api_base_url = token, secret, api_base_url
        self._bot: Optional[Bot] = None

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramInput":
        env = os.environ
        channel = cls(env.get("TELEGRAM_BOT_TOKEN", ""), env.get("TELEGRAM_WEBHOOK_SECRET", ""),
                      env.get("TELEGRAM_API_BASE_URL") or None)
        if not channel.configured:
            log.warning("telegram channel is off: set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET")
        return channel

    @property
    def configured(self) -> bool:
        return bool(self.token and self.secret)

    async def bot(self) -> Bot:
        if self._bot is None:
            kwargs = {"base_url": f"{self.api_base_url.rstrip('/')}/bot"} if self.api_base_url else {}
            bot = Bot(self.token, **kwargs)
            await bot.initialize()
            self._bot = bot
        return self._bot

    async def close(self) -> None:
        """Closes the bot's HTTP connections (at shutdown)."""
        if self._bot is not None:
            await self._bot.shutdown()
            self._bot = None

    async def send(self, chat_id: int, outgoing: List[Outgoing]) -> List[Delivery]:
        """Sends each message and records it; errors are recorded, not raised."""
        bot = await self.bot()
        deliveries = []
        for message in outgoing:
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(title[:64], callback_data=payload[:64])] for title, payload in message.buttons]
            ) if message.buttons else None
            try:
                if message.media_url and message.media_url.split("?")[0].endswith(".png"):
                    sent = await bot.send_photo(chat_id, message.media_url, caption=message.text[:1024] or None, reply_markup=markup)
                elif message.media_url:
                    sent = await bot.send_document(chat_id, message.media_url, caption=message.text[:1024] or None, reply_markup=markup)
                else:
                    sent = await bot.send_message(chat_id, message.text, reply_markup=markup)
                delivery = Delivery(f"tg:{chat_id}:{sent.message_id}")
                await asyncio.to_thread(inbox.record_outbound, "telegram", str(chat_id), message.text, message.media_url,
                                        delivery.provider_id, "sent")
            except Exception as error:  # noqa: BLE001 - recorded; the next message still goes
                log.exception("Telegram refused a message to %s", chat_id)
                delivery = Delivery(None, type(error).__name__[:60],
                                    retryable=isinstance(error, (RetryAfter, NetworkError)) and not isinstance(error, BadRequest))
                await asyncio.to_thread(inbox.record_outbound, "telegram", str(chat_id), message.text, message.media_url,
                                        None, "failed", delivery.error)
            deliveries.append(delivery)
        return deliveries

    async def ask_for_phone(self, chat_id: int) -> None:
        bot = await self.bot()
        keyboard = ReplyKeyboardMarkup([[KeyboardButton("📱 Compartir mi número", request_contact=True)]],
                                       one_time_keyboard=True, resize_keyboard=True)
        await bot.send_message(chat_id, WELCOME, reply_markup=keyboard)

    async def process(self, update: Update, on_new_message) -> None:
        """One update: a callback (button), a shared contact, a location, a text, or media we cannot read."""
        await self.bot()  # initialised before the update is read
        location = None
        if update.callback_query:
            query = update.callback_query
            await query.answer()
            chat_id, user_id, text = query.message.chat.id, str(query.from_user.id), query.data or ""
        elif update.message:
            message = update.message
            chat_id, user_id, text = message.chat.id, str(message.from_user.id), message.text or ""
            if message.contact:
                phone = to_e164(message.contact.phone_number, get_settings().default_region)
                own = message.contact.user_id == message.from_user.id
                linked = own and phone and await asyncio.to_thread(link_telegram_user, user_id, phone)
                reply = ("¡Listo! Ya reconozco tu cuenta. ¿En qué te ayudo?" if linked else
                         "No encontré ese número en nuestros registros; igual puedo ayudarte con tu número de cuenta.")
                await self.send(chat_id, [Outgoing(reply, buttons=[("Ver opciones", "/help")])])
                return
            if text.strip() == "/start":
                await self.ask_for_phone(chat_id)
                return
            if message.location:
                text = f"Ubicación compartida: {message.location.latitude}, {message.location.longitude}"
                location = {"latitude": message.location.latitude, "longitude": message.location.longitude}
        else:
            return
        phone = await asyncio.to_thread(phone_of_telegram_user, user_id)
        metadata = {"phone": phone, "channel": "telegram", "telegram_user": user_id}
        if location:
            metadata["location"] = location
        inbound = Inbound("telegram", f"tg:{chat_id}", text, metadata,
                          has_unsupported_media=bool(update.message and not text and update.message.effective_attachment))
        await handle_turn(inbound, on_new_message, lambda out: self.send(chat_id, out), self.profile)

    def blueprint(self, on_new_message) -> Blueprint:
        hook = Blueprint("telegram_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok" if self.configured else "not configured"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            if not self.configured:
                return response.text("channel not configured", status=503)
            if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), self.secret):
                return response.text("invalid secret token", status=403)
            try:
                update = Update.de_json(request.json, await self.bot())
            except Exception:  # noqa: BLE001 - a malformed body is the sender's problem, not a crash
                return response.text("malformed update", status=400)
            if update is None or not await asyncio.to_thread(inbox.first_time, "telegram", str(update.update_id), "telegram"):
                return response.json({"ok": True})
            spawn(self.process(update, on_new_message))
            return response.json({"ok": True})

        return hook
