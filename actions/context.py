"""What every action needs: the records database, today, and who is writing.

The engine is built on first use (never at import) and shared by the action
server's threads. Database work runs in a worker thread so the action
server's event loop keeps serving other conversations meanwhile.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable, Optional, TypeVar

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from bot import clock, internal_auth
from bot.db.engine import engine_for, in_thread
from bot.links import LinkSigner
from bot.phones import to_e164
from bot.settings import Settings, get_settings

T = TypeVar("T")


def settings() -> Settings:
    return get_settings()


def links() -> LinkSigner:
    """Signs links to the customer's documents, served by the web service."""
    current = settings()
    return LinkSigner(str(current.signing_secret), current.public_base_url)


def today() -> dt.date:
    """The utility's day, from the product's one clock."""
    return clock.today()


def sender_phone(tracker: Tracker) -> Optional[str]:
    """The customer's phone in E.164: the one a channel proved (this message or the session start), else the sender id.

    A phone in metadata counts only with the proof the channel signed for this conversation with the action
    secret (a signed Twilio webhook, the Telegram contact of the same user; bot/internal_auth.py): metadata
    anyone else writes names nobody. The sender id is the phone on Twilio's channels (signed webhooks) and
    on the REST channel, which only the development credentials file enables; on Telegram it is "tg:<chat>".
    """
    secret = str(settings().action_secret)
    for metadata in (tracker.latest_message.get("metadata"), tracker.get_slot("session_started_metadata")):
        phone = internal_auth.proven_phone(secret, tracker.sender_id, metadata)
        if phone:
            return to_e164(phone, settings().default_region)
    return to_e164(tracker.sender_id, settings().default_region)


async def with_records(work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in a worker thread inside one committed transaction."""
    return await in_thread(engine_for(settings().database_url), work)
