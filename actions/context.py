"""What every action needs: the records database, today, and who is writing.

The engine is built on first use (never at import) and shared by the action
server's threads. Database work runs in a worker thread so the action
server's event loop keeps serving other conversations meanwhile.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Callable, Optional, TypeVar
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from bot.db.engine import engine_for, session_scope
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
    return dt.datetime.now(ZoneInfo(settings().timezone)).date()


def sender_phone(tracker: Tracker) -> Optional[str]:
    """The customer's phone in E.164: from the channel (this message or the session start), else the sender id.

    Telegram conversations carry the phone a customer shared; their sender id is not a phone.
    """
    for metadata in (tracker.latest_message.get("metadata"), tracker.get_slot("session_started_metadata")):
        if isinstance(metadata, dict) and metadata.get("phone"):
            return to_e164(metadata["phone"], settings().default_region)
    return to_e164(tracker.sender_id, settings().default_region)


def _in_session(work: Callable[[Session], T]) -> T:
    with session_scope(engine_for(settings().database_url)) as session:
        return work(session)


async def with_records(work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in a worker thread inside one committed transaction."""
    return await asyncio.to_thread(_in_session, work)
