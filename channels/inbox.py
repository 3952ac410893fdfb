"""What channels remember in the records database: messages received until answered, menus shown, deliveries.

All calls are synchronous SQLAlchemy work meant to run in a worker thread
(``asyncio.to_thread``) from the channels' async handlers.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.notifications import delivery_update
from bot.settings import get_settings


def _engine():
    return engine_for(get_settings().database_url)


def holder() -> str:
    """Who holds a message's lease ("host:pid"), for the operator and the fault tests."""
    return f"{socket.gethostname()}:{os.getpid()}"


def first_time(channel: str, provider_id: str, sender: str) -> bool:
    """Records a provider message id; False when it was already seen (a retry or a duplicate)."""
    return accept(channel, provider_id, sender, None, dt.timedelta(0)) is not None


def accept(channel: str, provider_id: str, sender: str, payload: Optional[Dict[str, Any]],
           lease: dt.timedelta) -> Optional[int]:
    """Keeps a verified message with this process's lease on it; None when its id was already seen.

    Without a payload the message cannot be run again and counts as handled at once."""
    now = m.utcnow()
    row = m.InboundMessage(channel=channel, provider_id=provider_id, sender=sender, payload=payload, received_at=now,
                           claimed_until=now + lease if payload is not None else None,
                           claimed_by=holder() if payload is not None else None,
                           done_at=None if payload is not None else now, outcome=None if payload is not None else "answered")
    try:
        with session_scope(_engine()) as session:
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def renew(message_id: int, lease: dt.timedelta) -> None:
    """Keeps the lease of a turn still running (a slow action), so nobody else runs it meanwhile."""
    with session_scope(_engine()) as session:
        session.execute(update(m.InboundMessage).where(m.InboundMessage.id == message_id, m.InboundMessage.done_at.is_(None))
                        .values(claimed_until=m.utcnow() + lease))


def done(message_id: int, outcome: str = "answered") -> None:
    with session_scope(_engine()) as session:
        session.execute(update(m.InboundMessage).where(m.InboundMessage.id == message_id)
                        .values(done_at=m.utcnow(), outcome=outcome, claimed_until=None))


def claim_orphans(channel: str, lease: dt.timedelta, max_attempts: int, limit: int = 20) -> Tuple[List[Tuple[int, Dict]], List[int]]:
    """The channel's messages whose turn was lost with its process (lease over, not answered), claimed for
    this process: another one never picks the same (``FOR UPDATE SKIP LOCKED``; SQLite has one writer).
    Returns (id, payload) to run again, and the ids given up after ``max_attempts`` runs (a poison message)."""
    now = m.utcnow()
    with session_scope(_engine()) as session:
        query = (select(m.InboundMessage).where(
            m.InboundMessage.channel == channel, m.InboundMessage.done_at.is_(None),
            m.InboundMessage.claimed_until < now).order_by(m.InboundMessage.id).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        run, given_up = [], []
        for row in session.execute(query).scalars():
            if row.attempts >= max_attempts or row.payload is None:
                row.done_at, row.outcome, row.claimed_until = now, "given_up", None
                given_up.append(row.id)
                continue
            row.attempts += 1
            row.claimed_until, row.claimed_by = now + lease, holder()
            run.append((row.id, dict(row.payload)))
        return run, given_up


def remember_menu(conversation_id: str, options: List[Tuple[str, str]]) -> None:
    """The options last shown to a conversation; two sends to one conversation at once both land (the later wins)."""
    values = [list(o) for o in options]
    for _ in range(2):
        try:
            with session_scope(_engine()) as session:
                menu = session.get(m.ConversationMenu, conversation_id)
                if menu is None:
                    session.add(m.ConversationMenu(conversation_id=conversation_id, options=values))
                else:
                    menu.options, menu.updated_at = values, m.utcnow()
            return
        except IntegrityError:  # another send created the row meanwhile: update it
            continue


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
