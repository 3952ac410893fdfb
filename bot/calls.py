"""The phone line's records: each call and each of its turns, transfers and callbacks (issue 21).

Twilio asks for TwiML once per turn of a call (turn 0 answers it) and may ask again for the same turn (a
timeout, a retry). ``claim_turn`` records the turn in one INSERT on a unique (call, turn): the first request
answers it, a repeat gets the TwiML the first one stored, so a turn is never processed twice. A caller who
asks for a person out of agent hours is registered for a callback: a request ``SL-…`` as on every channel,
and a place in the handoff queue the console shows (reason "callback"), so the agents see it when they come.

Synchronous database work, run in a worker thread from the voice channel.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import cases, events, handoff, records
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.settings import Settings

NEW, DONE, PENDING = "new", "done", "pending"
CALLBACK_REASON = "callback"


def conversation_of(phone: str) -> str:
    """The voice conversation of a phone: its own tracker and menu, apart from the same phone's chats."""
    return f"voice:{phone}"


@dataclass
class Claim:
    """What a request for a turn should do: answer it (NEW), repeat the stored answer (DONE), or wait (PENDING)."""

    kind: str
    twiml: Optional[str] = None
    silences: int = 0
    unclear: int = 0
    last_said: Optional[str] = None
    first: bool = False  # no turn of this call was answered before (a call Luz placed starts at turn 1)


def claim_turn(settings: Settings, call_sid: str, turn: int, phone: str, conversation_id: str, direction: str) -> Claim:
    """Records this turn of the call (and the call on its first turn); a turn already recorded is not claimed again."""
    engine = engine_for(settings.database_url)
    try:
        with session_scope(engine) as session:
            call = _call(session, call_sid)
            if call is None:
                call = m.VoiceCall(call_sid=call_sid, conversation_id=conversation_id, phone=phone,
                                   direction=direction, silences=0, unclear=0)
                session.add(call)
            first = session.execute(select(m.VoiceTurn.id).where(m.VoiceTurn.call_sid == call_sid)).first() is None
            session.add(m.VoiceTurn(call_sid=call_sid, turn=turn))
            session.flush()
            return Claim(NEW, silences=call.silences, unclear=call.unclear, last_said=call.last_said, first=first)
    except IntegrityError:
        with session_scope(engine) as session:
            done = session.execute(select(m.VoiceTurn.twiml).where(
                m.VoiceTurn.call_sid == call_sid, m.VoiceTurn.turn == turn)).scalar_one_or_none()
            if done is None and _call(session, call_sid) is None:  # two first requests of one call at once
                raise
            return Claim(DONE if done else PENDING, twiml=done)


def stored_answer(settings: Settings, call_sid: str, turn: int) -> Optional[str]:
    with session_scope(engine_for(settings.database_url)) as session:
        return session.execute(select(m.VoiceTurn.twiml).where(
            m.VoiceTurn.call_sid == call_sid, m.VoiceTurn.turn == turn)).scalar_one_or_none()


def answer_turn(settings: Settings, call_sid: str, turn: int, twiml: str, heard: Optional[str], *,
                silences: int, unclear: int, last_said: Optional[str] = None, outcome: Optional[str] = None,
                transferred_to: Optional[str] = None) -> None:
    """Stores the turn's TwiML (for a retry of the same turn) and where the call stands after it."""
    with session_scope(engine_for(settings.database_url)) as session:
        row = session.execute(select(m.VoiceTurn).where(m.VoiceTurn.call_sid == call_sid, m.VoiceTurn.turn == turn)).scalar_one()
        row.twiml, row.heard = twiml, heard
        call = _call(session, call_sid)
        if call is None:
            return
        call.silences, call.unclear = silences, unclear
        if last_said is not None:
            call.last_said = last_said
        if outcome is not None:
            call.outcome = outcome
        if transferred_to is not None:
            call.transferred_to = transferred_to


def _call(session: Session, call_sid: str) -> Optional[m.VoiceCall]:
    return session.execute(select(m.VoiceCall).where(m.VoiceCall.call_sid == call_sid)).scalar_one_or_none()


def placed(settings: Settings, call_sid: str, phone: str, said: str) -> None:
    """A call Luz placed (a notice to an electro-dependent customer), before it is answered; ``said``: the notice,
    repeated once if the customer says nothing."""
    with session_scope(engine_for(settings.database_url)) as session:
        if _call(session, call_sid) is None:
            session.add(m.VoiceCall(call_sid=call_sid, conversation_id=conversation_of(phone), phone=phone,
                                    direction="outbound", silences=0, unclear=0, last_said=said))


def ended(settings: Settings, call_sid: str, status: str, now: Optional[dt.datetime] = None) -> bool:
    """Twilio's final status of a call (completed, busy, no-answer, failed, canceled); False for an unknown call."""
    with session_scope(engine_for(settings.database_url)) as session:
        call = _call(session, call_sid)
        if call is None:
            return False
        call.status, call.ended_at = status[:20], now or m.utcnow()
        return True


def within_agent_hours(settings: Settings, now: Optional[dt.datetime] = None) -> bool:
    """Whether people answer the phone queue now (``LUZ_AGENT_HOURS``, ``LUZ_AGENT_DAYS``, local time)."""
    hours = handoff.AgentHours.parse(settings.agent_hours, settings.agent_days)
    return hours.open_at((now or m.utcnow()).astimezone(ZoneInfo(settings.timezone)))


def hours_text(settings: Settings) -> str:
    return handoff.AgentHours.parse(settings.agent_hours, settings.agent_days).describe()


def transferred(settings: Settings, conversation_id: str, number: str, now: Optional[dt.datetime] = None) -> List[str]:
    """A call put through to a person: the conversation's open handoffs are closed as taken by the phone queue
    (they would otherwise wait in the console for an agent who cannot answer a call there). Their reasons."""
    now = now or m.utcnow()
    reasons = []
    with session_scope(engine_for(settings.database_url)) as session:
        for item in session.execute(select(m.Handoff).where(
                m.Handoff.conversation_id == conversation_id, m.Handoff.status.in_(m.OPEN_HANDOFF))).scalars():
            reasons.append(item.reason)
            item.status, item.closed_at = m.HandoffStatus.closed, now
            item.resolution = f"Llamada transferida a la línea de asesores ({number})."
            handoff.add_message(session, item, "system", item.resolution, now=now)
            events.record(session, "handoff_closed", at=now, channel=item.channel, conversation_id=conversation_id,
                          category="transferred")
        events.record(session, "call_transferred", at=now, channel="voice", conversation_id=conversation_id)
    return reasons


def open_handoff_reason(settings: Settings, conversation_id: str) -> Optional[str]:
    with session_scope(engine_for(settings.database_url)) as session:
        found = handoff.open_handoff(session, conversation_id)
        return found.reason if found is not None else None


def register_callback(settings: Settings, conversation_id: str, phone: str, heard: List[str],
                      now: Optional[dt.datetime] = None) -> str:
    """A caller out of agent hours: a callback request (its ticket is returned) and a place in the console's queue.

    The queue entry is under its own conversation (``callback:<phone>``): the caller may call Luz again before
    the agents come, and Luz must still answer them then. Asked again before the call back, the first request stands.
    """
    now = now or m.utcnow()
    with session_scope(engine_for(settings.database_url)) as session:
        waiting = handoff.open_handoff(session, f"callback:{phone}")
        asked = re.search(r"\((SL-\d+)\)", waiting.summary or "") if waiting is not None else None
        if asked:  # asked before and not called back yet: one callback, the first one
            return asked.group(1)
        accounts = records.accounts_for_phone(session, phone)
        account = accounts[0] if len(accounts) == 1 else None
        request = cases.request_service(
            session, kind="callback", channel="voice", account=account,
            customer_id=accounts[0].customer_id if accounts and account is None else None,
            details={"phone": phone, "conversation_id": conversation_id, "recent_messages": heard[-5:]})
        customer = accounts[0].customer if accounts else None
        queued = m.Handoff(
            conversation_id=f"callback:{phone}", channel="voice", reason=CALLBACK_REASON,
            priority=handoff.PRIORITY_MEDICAL if customer is not None and customer.electro_dependent else handoff.PRIORITY_NORMAL,
            customer_id=customer.id if customer else None, account_number=account.account_number if account else None,
            summary=(f"Devolver la llamada al {phone} ({request.ticket}). Dijo: " + " / ".join(heard[-5:]))[:500],
            created_at=now)
        session.add(queued)
        session.flush()
        events.record(session, "handoff_queued", at=now, channel="voice", conversation_id=queued.conversation_id,
                      category=CALLBACK_REASON)
        return str(request.ticket)


def heard_so_far(settings: Settings, call_sid: str) -> List[str]:
    """What the caller said in this call, turn by turn (for a callback's summary)."""
    with session_scope(engine_for(settings.database_url)) as session:
        return [text for text in session.execute(select(m.VoiceTurn.heard).where(
            m.VoiceTurn.call_sid == call_sid, m.VoiceTurn.heard.is_not(None)).order_by(m.VoiceTurn.turn)).scalars() if text]
