"""Who answers a customer's message, the same on every channel (REST included).

Before the assistant (``route``): a person who has the conversation gets the message, a "salir" hands
it back to Luz, a pending survey takes its score, a "did your power come back?" takes its yes or no.
After the assistant (``escalate_if_upset``): a clearly upset customer (``bot/mood.py``) is offered a
person at once. The channels only carry the messages (``channels/conversation.py``).

Synchronous database work (run it in a worker thread from async code). Functions return Rasa-style
message dicts for the customer, or None when the assistant should answer as usual.
"""
from __future__ import annotations

from typing import Dict, List, Optional

from bot import events, handoff, mood, notifications
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.settings import Settings
from bot.text import normalise

Messages = List[Dict]


def route(settings: Settings, conversation_id: str, text: str, metadata: Optional[Dict] = None,
          channel: str = "") -> Optional[Messages]:
    """Before the assistant: a person has this conversation, or a survey or a notice waits for its answer.

    Returns what to tell the customer (possibly nothing), or None to let the assistant answer.
    """
    with session_scope(engine_for(settings.database_url)) as session:
        current = handoff.open_handoff(session, conversation_id)
        if current is not None:
            if normalise(text) in handoff.EXIT_WORDS:
                handoff.leave(session, current)
                return [{"text": handoff.LEFT_TEXT}]
            if current.status == m.HandoffStatus.queued and text in (handoff.CALLBACK_PAYLOAD, handoff.CASE_PAYLOAD):
                handoff.divert(session, current)
                return None  # the assistant records the callback or the case
            media = [item.get("url") for item in (metadata or {}).get("media", []) if item.get("url")]
            body = text if not media else f"{text}\n" + "\n".join(f"Adjunto: {url}" for url in media)
            handoff.add_message(session, current, "customer", body)
            return []
        survey = handoff.pending_survey(session, conversation_id)
        score = handoff.score_of(text) if survey is not None else None
        if survey is not None and score is not None:
            survey.score, survey.answered_at = score, m.utcnow()
            events.record(session, "survey_answered", channel=survey.channel, conversation_id=conversation_id,
                          value=score, agent_id=survey.agent_id, category=survey.subject)
            return [{"text": handoff.SURVEY_THANKS, "buttons": [{"title": "Ver opciones", "payload": "/help"}]}]
        answer = notifications.answer_restoration(session, conversation_id, text, channel or "whatsapp")
        if answer is not None:
            return [{"text": answer}]
    return None


def escalate_if_upset(settings: Settings, conversation_id: str, channel: str, text: str,
                      phone: Optional[str]) -> Messages:
    """After the assistant answered: a clearly upset customer is offered a person at once."""
    if not mood.upset(text):
        return []
    with session_scope(engine_for(settings.database_url)) as session:
        placement = handoff.request(session, conversation_id=conversation_id, channel=channel, reason="upset",
                                    settings=settings, phone=phone, summary=text)
        if placement.queued:
            if not placement.created:
                return []
            return [{"text": "Lamento mucho la molestia. " + handoff.queued_text(placement)}]
        return [{"text": "Lamento mucho la molestia. " + handoff.unavailable_text(placement),
                 "buttons": [{"title": title, "payload": payload} for title, payload in handoff.UNAVAILABLE_BUTTONS]}]
