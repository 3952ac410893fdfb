"""The website's visitors: signed visitor sessions, and the messages the widget shows them.

A visitor session is a random conversation id (``web:`` and 128 random bits) that the server issues and signs
with ``LUZ_SIGNING_SECRET`` (a salt of its own, so a document link is never a session and back), together with
the instant it was issued. The widget sends the token back with every call; the channel (``channels/web.py``)
honours it for ``LUZ_WIDGET_SESSION_HOURS`` on the product's clock, and a forged, altered or expired token names
nobody. The id is never a phone (it has letters: ``bot/phones.py`` reads no phone in it, and the web channel
signs none), so a visitor identifies like any stranger: account number, then the second factor.

What the widget shows is kept in order in ``web_messages``: the visitor's own messages, Luz's answers and an
agent's replies (written by the web provider, ``channels/providers/web.py``). The widget reads them by polling,
so a message an agent sends from the console, the survey after it and a notice of a moved turn arrive the same
way as an answer. Database calls are synchronous: run them in a worker thread from async code.
"""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Dict, List, Optional, Sequence, Tuple, TypedDict
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import clock
from bot import handoff as queue
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.settings import get_settings

PREFIX = "web:"
SALT = "luz-widget-visitor"
MAX_SHOWN = 100  # messages one poll returns at most (the widget asks again from the last one)
SEEN_EVERY = dt.timedelta(minutes=1)  # a visitor's last call is written at most this often (polls come every few seconds)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


class SessionInvalid(Exception):
    """A token the server did not sign (or that was altered)."""


class SessionExpired(SessionInvalid):
    """A token the server signed longer ago than a session lasts."""


class UnknownVisitor(Exception):
    """A conversation id that is no visitor session: nothing is sent to it."""


class _ClockSigner(TimestampSigner):
    """Signs and checks ages on the product's clock (``bot/clock.py``), so tests can be any instant."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


class VisitorSessions:
    """Issues visitor sessions and tells whose a token is."""

    def __init__(self, secret: str, hours: float) -> None:
        if not secret:
            raise ValueError("visitor sessions need a signing secret")
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT, signer=_ClockSigner)
        self.max_age = int(hours * 3600)

    def issue(self) -> Tuple[str, str]:
        """A new visitor: its conversation id and the token the widget keeps."""
        visitor = PREFIX + secrets.token_urlsafe(16)
        return visitor, str(self._serializer.dumps({"v": visitor}))

    def visitor_of(self, token: str) -> str:
        """The conversation id a token names; ``SessionExpired`` or ``SessionInvalid`` otherwise."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired as error:
            raise SessionExpired("visitor session expired") from error
        except BadSignature as error:
            raise SessionInvalid("visitor session not signed by us") from error
        visitor = data.get("v") if isinstance(data, dict) else None
        if not is_visitor(visitor):
            raise SessionInvalid("no visitor in the token")
        return str(visitor)


def is_visitor(conversation_id: object) -> bool:
    return isinstance(conversation_id, str) and conversation_id.startswith(PREFIX) and len(conversation_id) <= 40


class Shown(TypedDict):
    """One message as the widget receives it."""

    id: int
    author: str  # visitor, luz, agent
    name: Optional[str]  # the agent's first name
    text: str
    image: Optional[str]
    document: Optional[str]
    buttons: List[Dict[str, str]]
    at: str


def _engine():
    return engine_for(get_settings().database_url)


def open_visitor(visitor: str, origin: Optional[str]) -> None:
    with session_scope(_engine()) as session:
        session.add(m.WebVisitor(id=visitor, origin=(origin or "")[:200] or None))


def known(visitor: str) -> bool:
    """Whether the visitor exists here (a token outlives a database reset); marks it seen."""
    with session_scope(_engine()) as session:
        row = session.get(m.WebVisitor, visitor)
        if row is None:
            return False
        now = m.utcnow()
        if row.last_seen_at < now - SEEN_EVERY:
            row.last_seen_at = now
        return True


def end(visitor: str) -> None:
    """The visitor ended the conversation (a shared computer): its session names nobody from now on, and what the
    widget showed is gone."""
    with session_scope(_engine()) as session:
        session.execute(delete(m.WebMessage).where(m.WebMessage.visitor_id == visitor))
        session.execute(delete(m.WebVisitor).where(m.WebVisitor.id == visitor))


def forget(session: Session, before: dt.datetime) -> int:
    """Visitors not seen since ``before``, and what their widget showed (their session has ended: nobody can
    read it any more, and it may hold account data); how many. The conversation stays in Rasa's tracker store
    and the handoff's records, as on every channel."""
    stale = select(m.WebVisitor.id).where(m.WebVisitor.last_seen_at < before)
    session.execute(delete(m.WebMessage).where(m.WebMessage.visitor_id.in_(stale)).execution_options(synchronize_session=False))
    gone = session.execute(delete(m.WebVisitor).where(m.WebVisitor.last_seen_at < before)
                           .execution_options(synchronize_session=False))
    return int(gone.rowcount or 0)


def add(visitor: str, author: str, text: str, media_url: Optional[str] = None,
        buttons: Sequence[Tuple[str, str]] = (), author_name: Optional[str] = None) -> int:
    """Keeps one message of the conversation; its id (the order the widget shows)."""
    with session_scope(_engine()) as session:
        return _add(session, visitor, author, text, media_url, buttons, author_name)


def _add(session, visitor: str, author: str, text: str, media_url: Optional[str],
         buttons: Sequence[Tuple[str, str]], author_name: Optional[str]) -> int:
    message = m.WebMessage(visitor_id=visitor, author=author, author_name=author_name, text=text,
                           media_url=media_url, buttons=[list(b) for b in buttons] or None)
    session.add(message)
    session.flush()
    return message.id


def deliver(visitor: str, text: str, media_url: Optional[str], buttons: Sequence[Tuple[str, str]]) -> int:
    """A message for the visitor from Luz or, while a person has the conversation, from that person.

    An agent's words come as "Camila: ..." (``bot/handoff.py``): the name is kept apart, the widget shows it."""
    with session_scope(_engine()) as session:
        if session.get(m.WebVisitor, visitor) is None:
            raise UnknownVisitor(visitor)
        current = queue.open_handoff(session, visitor)
        author, name = "luz", None
        if current is not None and current.status == m.HandoffStatus.assigned and current.agent is not None:
            author, name = "agent", current.agent.full_name.split()[0]
            if text.startswith(f"{name}: "):
                text = text[len(name) + 2:]
        return _add(session, visitor, author, text, media_url, buttons, name)


def shown_after(visitor: str, after: int, limit: int = MAX_SHOWN) -> Tuple[List[Shown], bool]:
    """The conversation's messages after message ``after``, oldest first, and whether a person has it or it waits
    for one (then the widget polls often: an agent's words come only by the poll; Luz's come with each answer)."""
    with session_scope(_engine()) as session:
        rows = session.execute(
            select(m.WebMessage).where(m.WebMessage.visitor_id == visitor, m.WebMessage.id > after)
            .order_by(m.WebMessage.id).limit(limit)).scalars().all()
        return [_shown(row) for row in rows], queue.open_handoff(session, visitor) is not None


def _shown(row: m.WebMessage) -> Shown:
    link = row.media_url
    path = urlsplit(link).path.lower() if link else ""
    image = link if link and path.endswith(IMAGE_SUFFIXES) else None
    return Shown(id=row.id, author=row.author, name=row.author_name, text=row.text, image=image,
                 document=link if link and image is None else None,
                 buttons=[{"title": str(title), "payload": str(payload)} for title, payload in row.buttons or []],
                 at=row.created_at.astimezone(dt.timezone.utc).isoformat())
