"""What channels remember in the records database: messages seen, menus shown, deliveries.

All calls are synchronous SQLAlchemy work meant to run in a worker thread
(``asyncio.to_thread``) from the channels' async handlers.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.notifications import delivery_update
from bot.settings import get_settings


def _engine():
    return engine_for(get_settings().database_url)


def first_time(channel: str, provider_id: str, sender: str) -> bool:
    """Records a provider message id; False when it was already seen (a retry or a duplicate)."""
    try:
        with session_scope(_engine()) as session:
            session.add(m.InboundMessage(channel=channel, provider_id=provider_id, sender=sender))
        return True
    except IntegrityError:
        return False


def remember_menu(conversation_id: str, options: List[Tuple[str, str]]) -> None:
    with session_scope(_engine()) as session:
        menu = session.get(m.ConversationMenu, conversation_id)
        if menu is None:
            session.add(m.ConversationMenu(conversation_id=conversation_id, options=[list(o) for o in options]))
        else:
            menu.options, menu.updated_at = [list(o) for o in options], m.utcnow()


def menu_of(conversation_id: str) -> List[Tuple[str, str]]:
    with session_scope(_engine()) as session:
        menu = session.get(m.ConversationMenu, conversation_id)
        return [tuple(o) for o in menu.options] if menu else []


def record_outbound(channel: str, recipient: str, body: str, media_url: Optional[str],
                    provider_id: Optional[str], status: str, error_code: Optional[str] = None) -> None:
    with session_scope(_engine()) as session:
        session.add(m.OutboundMessage(channel=channel, recipient=recipient, body=body, media_url=media_url,
                                      provider_id=provider_id, status=status, error_code=error_code))


def update_delivery(provider_id: str, status: str, error_code: Optional[str]) -> bool:
    with session_scope(_engine()) as session:
        row = session.execute(select(m.OutboundMessage).where(m.OutboundMessage.provider_id == provider_id)).scalar_one_or_none()
        if row is None:
            return False
        row.status, row.error_code, row.updated_at = status, error_code, m.utcnow()
        delivery_update(session, provider_id, status, error_code)
        return True


def set_opt_out(channel: str, address: str, opted_out: bool) -> None:
    with session_scope(_engine()) as session:
        row = session.execute(select(m.OptOut).where(m.OptOut.channel == channel, m.OptOut.address == address)).scalar_one_or_none()
        if opted_out and row is None:
            session.add(m.OptOut(channel=channel, address=address))
        elif not opted_out and row is not None:
            session.delete(row)


def is_opted_out(channel: str, address: str) -> bool:
    with session_scope(_engine()) as session:
        return session.execute(
            select(m.OptOut.id).where(m.OptOut.channel == channel, m.OptOut.address == address)
        ).first() is not None
