"""Telegram: the webhook in, with its secret token (sending is ``channels/providers/telegram.py``).

Webhook: ``/webhooks/telegram/webhook``; Telegram sends ``X-Telegram-Bot-Api-Secret-Token``
(set with ``python -m bot telegram set-webhook``). ``python -m bot telegram poll`` feeds the
same webhook from getUpdates for development without a public URL. Each ``update_id`` is handled
once (``channels/guard.py``). Only private chats are answered: an update from a group, a supergroup or a
channel is acknowledged and ignored. A customer links their Telegram account to their records by sharing
their phone (a contact button).
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, Dict, Optional

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select
from telegram import Chat, KeyboardButton, ReplyKeyboardMarkup, Update

from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.phones import to_e164
from bot.settings import get_settings
from channels import outbound
from channels.conversation import Inbound, OnNewMessage, handle_turn
from channels.guard import Malformed, Received, guard, watch_orphans
from channels.providers import provider_for
from channels.providers.telegram import TelegramProvider
from channels.render import Outgoing

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
    refusal = "invalid secret token"
    channel = "telegram"

    def __init__(self, provider: TelegramProvider, secret: str) -> None:
        self.provider, self.secret = provider, secret
        self.profile = provider.profile

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> TelegramInput:
        settings = get_settings()
        provider = provider_for("telegram", settings)
        if not isinstance(provider, TelegramProvider):
            raise TypeError("telegram is not sent through the Telegram provider")
        channel = cls(provider, str(settings.telegram_webhook_secret))
        if not channel.configured:
            log.warning("telegram channel is off: set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET")
        return channel

    @property
    def configured(self) -> bool:
        return bool(self.provider.configured and self.secret)

    def verify(self, request: Request) -> bool:
        return hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), self.secret)

    async def parse(self, request: Request) -> Optional[Received]:
        return await self.replay(self.payload(request))

    def payload(self, request: Request) -> Dict[str, Any]:
        body = request.json
        return body if isinstance(body, dict) else {"not_an_update": body}

    async def replay(self, payload: Dict[str, Any]) -> Optional[Received]:
        try:
            update = Update.de_json(payload, await self.provider.bot())
        except Exception as error:  # noqa: BLE001 - a malformed body is the sender's problem, not a crash
            raise Malformed("malformed update") from error
        if update is None:
            return None
        chat = update.effective_chat
        if chat is not None and chat.type != Chat.PRIVATE:
            # Luz answers in private chats only: in a group, a supergroup or a channel others read the answers
            # (an account's data, a contact button), so such updates are acknowledged and nothing more.
            log.info("telegram update %s ignored: a %s chat, Luz answers in private chats only", update.update_id, chat.type)
            return None
        return Received(str(update.update_id), "telegram", lambda on_new_message: self.process(update, on_new_message))

    def acknowledge(self) -> HTTPResponse:
        return response.json({"ok": True})

    async def say(self, chat_id: int, outgoing: Outgoing) -> None:
        await outbound.send(self.provider, f"tg:{chat_id}", [outgoing])

    async def ask_for_phone(self, chat_id: int) -> None:
        bot = await self.provider.bot()
        keyboard = ReplyKeyboardMarkup([[KeyboardButton("📱 Compartir mi número", request_contact=True)]],
                                       one_time_keyboard=True, resize_keyboard=True)
        await bot.send_message(chat_id, WELCOME, reply_markup=keyboard)

    async def process(self, update: Update, on_new_message: OnNewMessage) -> None:
        """One update: a callback (button), a shared contact, a location, a text, or media we cannot read."""
        await self.provider.bot()  # initialised before the update is read
        location = None
        if update.callback_query:
            query = update.callback_query
            await query.answer()
            if query.message is None:  # a button under a message too old to be read
                return
            chat_id, user_id, text = query.message.chat.id, str(query.from_user.id), query.data or ""
        elif update.message and update.message.from_user:
            message, sender = update.message, update.message.from_user
            chat_id, user_id, text = message.chat.id, str(sender.id), message.text or ""
            if message.contact:
                phone = to_e164(message.contact.phone_number, get_settings().default_region)
                own = message.contact.user_id == sender.id
                linked = bool(own and phone) and await asyncio.to_thread(link_telegram_user, user_id, str(phone))
                reply = ("¡Listo! Ya reconozco tu cuenta. ¿En qué te ayudo?" if linked else
                         "No encontré ese número en nuestros registros; igual puedo ayudarte con tu número de cuenta.")
                await self.say(chat_id, Outgoing(reply, buttons=[("Ver opciones", "/help")]))
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
        metadata: Dict[str, Any] = {"phone": phone, "channel": "telegram", "telegram_user": user_id}
        if location:
            metadata["location"] = location
        inbound = Inbound("telegram", f"tg:{chat_id}", text, metadata,
                          has_unsupported_media=bool(update.message and not text and update.message.effective_attachment))
        await handle_turn(inbound, on_new_message, self.provider)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint("telegram_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok" if self.configured else "not configured"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            return await guard(self, request, on_new_message)

        watch_orphans(hook, self, on_new_message)
        return hook
