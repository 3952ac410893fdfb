"""The REST channel for development (``credentials.dev.yml`` only): the terminal chat, curl, the tests.

``POST /webhooks/rest/webhook`` with ``{"sender": ..., "message": ..., "metadata": {...}}`` answers
with the list of messages, in the format of Rasa's own REST channel (``recipient_id``, ``text``,
``buttons``, ``image``, ``attachment``). Unlike Rasa's, every message takes Luz's turn
(``channels/conversation.py``): a person who has the conversation gets it, an upset customer is
offered one, empty or oversized messages get a polite answer, a failure becomes an apology.

The sender id is believed to be the customer's phone, as the actions believe it for REST
(``actions/context.py:sender_phone``); a phone in the metadata is never signed, so it names nobody.
That is why this channel exists only in development, on loopback (``docs/security.md``).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request

from bot.internal_auth import PROOF_KEY
from bot.phones import to_e164
from bot.settings import get_settings
from channels import inbox
from channels.conversation import APOLOGY, Inbound, OnNewMessage, answer, record_turn

log = logging.getLogger(__name__)
UNSIGNED = ("phone", PROOF_KEY)  # what a REST caller may not claim: only a channel that proved a phone signs it


class RestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    async def turn(self, body: Dict, on_new_message: OnNewMessage) -> List[Dict]:
        """Luz's answer to one REST message, as Rasa's REST channel returns it."""
        sender = str(body["sender"]) if body.get("sender") is not None else "default"
        given = body.get("metadata")
        metadata: Dict[str, Any] = given if isinstance(given, dict) else {}
        text = body.get("message")
        inbound = Inbound(str(body.get("input_channel") or self.name()), sender, text if isinstance(text, str) else "",
                          {key: value for key, value in metadata.items() if key not in UNSIGNED},
                          phone=to_e164(sender, get_settings().default_region), bounded=False)
        try:
            result = await answer(inbound, on_new_message)
            messages = result.messages
            if not result.about_the_message:
                await asyncio.to_thread(inbox.remember_menu, sender, [])  # buttons stay buttons: no numbers to map
                await record_turn(inbound, replied=bool(messages))
        except Exception:  # noqa: BLE001 - the caller gets an apology, the log gets the details
            log.exception("turn failed on %s for %s", inbound.channel, sender)
            messages = [{"text": APOLOGY}]
        return [{"recipient_id": sender, **message} for message in messages]

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint("rest_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - not JSON
                body = None
            if not isinstance(body, dict):
                return response.text("expected a JSON object with sender and message", status=400)
            return response.json(await self.turn(body, on_new_message))

        return hook
