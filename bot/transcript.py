"""A conversation as the agent reads it: the assistant's tracker store, then what people said.

Rasa keeps every event in its SQL tracker store (table ``events``); the
console reads the user and bot events straight from there, and adds the
messages exchanged while a person had the conversation.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot import clock
from bot.db import models as m
from bot.db.engine import engine_for

_events = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True), Column("sender_id", String(255)), Column("type_name", String(255)),
    Column("timestamp", Float), Column("intent_name", String(255)), Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass
class Line:
    at: dt.datetime
    who: str  # customer, assistant, agent, note, system
    text: str
    intent: Optional[str] = None
    confidence: Optional[float] = None
    author: Optional[str] = None


def assistant_lines(tracker_store_url: str, conversation_id: str, limit: int = 200) -> List[Line]:
    """The latest ``limit`` customer and assistant messages from the tracker store (oldest first)."""
    query = (select(_events.c.type_name, _events.c.timestamp, _events.c.data)
             .where(_events.c.sender_id == conversation_id, _events.c.type_name.in_(("user", "bot")))
             .order_by(_events.c.id.desc()).limit(limit))
    try:
        with engine_for(tracker_store_url).connect() as connection:
            rows = connection.execute(query).all()
    except (OperationalError, ProgrammingError):  # no conversation has been stored yet
        return []
    lines = []
    for type_name, timestamp, data in reversed(rows):
        event = json.loads(data or "{}")
        at = clock.from_timestamp(timestamp or 0)
        if type_name == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            lines.append(Line(at, "customer", event.get("text") or "", intent.get("name"), intent.get("confidence")))
        elif event.get("text"):
            lines.append(Line(at, "assistant", event["text"]))
    return lines


def handoff_lines(handoffs: List[m.Handoff]) -> List[Line]:
    return [Line(message.created_at, message.kind, message.body,
                 author=message.agent.full_name if message.agent else None)
            for handoff in handoffs for message in handoff.messages]


def merged(assistant: List[Line], people: List[Line]) -> List[Line]:
    return sorted(assistant + people, key=lambda line: line.at)
