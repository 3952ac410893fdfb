"""One conversation: its transcript (the assistant's turns and the people's), the customer's
records, and what the agent attending it does: reply, write a note, transfer, close.

Only the agent attending a conversation (or a supervisor) acts on it, and only while it is open;
a reply and the closing survey reach the customer on their own channel.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import desk, transcript
from bot import handoff as queue
from bot.db import models as m
from bot.settings import Settings
from bot.web.console import auth
from bot.web.console.access import api_agent, page_agent, signed_in
from bot.web.console.customer_context import customer_context
from bot.web.console.pages import CANNED, event_stream, render
from bot.web.deps import Database, database, settings
from channels import outbound

router = APIRouter(prefix="/console")


def load_handoff(session: Session, handoff_id: int) -> m.Handoff:
    handoff = session.get(m.Handoff, handoff_id)
    if handoff is None:
        raise HTTPException(status_code=404, detail="No existe esa conversación.")
    return handoff


def owned(session: Session, handoff_id: int, agent: Dict) -> m.Handoff:
    """The handoff, if this agent may act on it: theirs and open (supervisors may act on any open one)."""
    handoff = load_handoff(session, handoff_id)
    if handoff.status != m.HandoffStatus.assigned:
        raise HTTPException(status_code=409, detail="Esta conversación ya no está en atención.")
    if handoff.agent_id != agent["id"] and agent["role"] != "supervisor":
        raise HTTPException(status_code=403, detail="Esta conversación la atiende otra persona.")
    return handoff


async def message_text(request: Request) -> str:
    """The ``text`` of a JSON body: 400 if it is not JSON, 422 if empty or longer than 1,500 characters."""
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(status_code=400, detail="El cuerpo debe ser JSON.") from None
    text = str(body.get("text", "")).strip() if isinstance(body, dict) else ""
    if not text:
        raise HTTPException(status_code=422, detail="Escribe un mensaje.")
    if len(text) > 1500:
        raise HTTPException(status_code=422, detail="El mensaje es muy largo (máximo 1.500 caracteres).")
    return text


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
async def conversation_page(handoff_id: int, request: Request, agent: Dict = Depends(page_agent),
                            db: Database = Depends(database), config: Settings = Depends(settings)):
    def read(session: Session) -> Dict:
        handoff = load_handoff(session, handoff_id)
        earlier = session.execute(select(m.Handoff).where(
            m.Handoff.conversation_id == handoff.conversation_id, m.Handoff.id <= handoff.id)
            .order_by(m.Handoff.id)).scalars().all()
        colleagues = session.execute(select(m.Agent).where(m.Agent.active.is_(True), m.Agent.id != agent["id"])
                                     .order_by(m.Agent.full_name)).scalars().all()
        now = m.utcnow()
        closes = desk.window_closes_at(session, handoff)
        return {
            "handoff": handoff, "agent_name": handoff.agent.full_name if handoff.agent else None,
            "people": transcript.handoff_lines(earlier),
            "context": customer_context(session, handoff, config.timezone),
            "colleagues": [{"id": a.id, "name": a.full_name} for a in colleagues],
            "last_message_id": max((msg.id for msg in handoff.messages), default=0),
            "window": {"closes_at": closes.isoformat() if closes and closes.year > 1 else "",
                       "open": closes is None or now < closes, "text": desk.describe_window(closes, now),
                       "whatsapp": handoff.channel == "whatsapp"},
            "labels": [{"name": label.name, "color": label.color, "on": label in handoff.labels}
                       for label in desk.labels(session)],
            "desk_status": handoff.desk_status, "desk_status_label": desk.STATUS_LABELS.get(handoff.desk_status, ""),
            "snoozed_until": handoff.snoozed_until,
            "timeline": [moment for moment in desk.timeline(session, handoff) if moment.handoff_id != handoff.id],
        }

    data = await db(read)
    lines = transcript.merged(
        await asyncio.to_thread(transcript.assistant_lines, config.tracker_store_url, data["handoff"].conversation_id),
        data.pop("people"))
    understood = [line for line in lines if line.who == "customer" and line.intent][-5:]
    mine = data["handoff"].agent_id == agent["id"] or agent["role"] == "supervisor"
    return render(request, "conversation.html", {
        "agent": agent, "lines": lines, "understood": understood, "canned": CANNED, "can_act": mine,
        "deliverable": outbound.can_deliver(data["handoff"].channel), "templates": whatsapp_templates(config),
        "sms": outbound.can_deliver("sms") and not data["handoff"].conversation_id.startswith("tg:"), **data,
    })


def whatsapp_templates(config: Settings):
    from bot.web.console.replies import templates  # replies builds on this module

    return templates(config)


@router.get("/api/handoffs/{handoff_id}/messages")
async def messages_json(handoff_id: int, after: int = 0, agent: Dict = Depends(api_agent),
                        db: Database = Depends(database)):
    return await db(lambda session: _messages_since(load_handoff(session, handoff_id), after))


@router.get("/api/handoffs/{handoff_id}/stream")
async def messages_stream(handoff_id: int, request: Request, after: int = 0, agent: Dict = Depends(api_agent),
                          db: Database = Depends(database)):
    await db(lambda session: load_handoff(session, handoff_id))
    cursor: Dict[str, Any] = {"after": after, "status": None}

    async def produce() -> Optional[Dict]:
        data = await db(lambda session: _messages_since(load_handoff(session, handoff_id), cursor["after"]))
        if not data["messages"] and data["status"] == cursor["status"]:
            return None
        if data["messages"]:
            cursor["after"] = data["messages"][-1]["id"]
        cursor["status"] = data["status"]
        return data

    async def still_signed_in() -> bool:
        return await signed_in(request, db) is not None

    return event_stream(request, produce, still_signed_in=still_signed_in)


@router.post("/api/handoffs/{handoff_id}/reply", dependencies=[Depends(auth.check_csrf)])
async def reply(handoff_id: int, request: Request, agent: Dict = Depends(api_agent), db: Database = Depends(database)):
    text = await message_text(request)

    def record(session: Session) -> Dict:
        handoff = owned(session, handoff_id, agent)
        if not desk.window_open(session, handoff, m.utcnow()):  # Twilio would refuse it: never sent
            raise HTTPException(status_code=409, detail=OUTSIDE_WINDOW)
        me = session.get(m.Agent, agent["id"])
        message = queue.add_message(session, handoff, "agent", text, me)
        return {"channel": handoff.channel, "conversation_id": handoff.conversation_id,
                "body": queue.agent_text(me, text), "message": _message(message)}

    sent = await db(record)
    delivered = await outbound.deliver(sent["channel"], sent["conversation_id"], [{"text": sent["body"]}])
    return {**sent["message"], "delivered": delivered}


@router.post("/api/handoffs/{handoff_id}/note", dependencies=[Depends(auth.check_csrf)])
async def note(handoff_id: int, request: Request, agent: Dict = Depends(api_agent), db: Database = Depends(database)):
    text = await message_text(request)

    def record(session: Session) -> Dict:
        handoff = owned(session, handoff_id, agent)
        return _message(queue.add_message(session, handoff, "note", text, session.get(m.Agent, agent["id"])))

    return await db(record)


@router.post("/handoffs/{handoff_id}/transfer", dependencies=[Depends(auth.check_csrf)])
async def transfer(handoff_id: int, agent: Dict = Depends(api_agent), to_agent: int = Form(...),
                   db: Database = Depends(database)):
    def move(session: Session) -> None:
        handoff = owned(session, handoff_id, agent)
        target = session.get(m.Agent, to_agent)
        if target is None or not target.active:
            raise HTTPException(status_code=422, detail="Elige una persona activa.")
        queue.transfer(session, handoff, session.get(m.Agent, agent["id"]), target)

    await db(move)
    return RedirectResponse("/console?aviso=transferida", status_code=303)


@router.post("/handoffs/{handoff_id}/close", dependencies=[Depends(auth.check_csrf)])
async def close(handoff_id: int, agent: Dict = Depends(api_agent), resolution: str = Form(""),
                db: Database = Depends(database), config: Settings = Depends(settings)):
    """Closes with a resolution and asks for the rating, within the channel's rules: on WhatsApp after the 24-hour
    window, as the approved ``survey`` template (``LUZ_WHATSAPP_TEMPLATES``) or else by SMS to the same phone."""
    if not resolution.strip():
        raise HTTPException(status_code=422, detail="Escribe cómo se resolvió antes de cerrar.")
    template = config.template_for("survey")

    def finish(session: Session) -> Dict:
        handoff = owned(session, handoff_id, agent)
        outside = not desk.window_open(session, handoff, m.utcnow())
        survey = queue.close(session, handoff, session.get(m.Agent, agent["id"]), resolution)
        channel, how = handoff.channel, None
        if outside and not template and outbound.can_deliver("sms"):
            channel = survey.channel = "sms"  # answered by SMS from the same phone: the same conversation id
            how = "La encuesta se envió por SMS: la ventana de 24 h de WhatsApp estaba cerrada."
        elif outside and template:
            how = "La encuesta se envió como plantilla aprobada: la ventana de 24 h de WhatsApp estaba cerrada."
        if how:
            queue.add_message(session, handoff, "system", how)
        return {"channel": channel, "conversation_id": handoff.conversation_id, "template": outside and bool(template)}

    closed = await db(finish)
    survey = [{"text": queue.SURVEY_TEXT,
               "buttons": [{"title": title, "payload": payload} for title, payload in queue.SURVEY_OPTIONS]}]
    if closed["template"] and template:
        await outbound.deliver_all("whatsapp", closed["conversation_id"], survey, (template, {}))
    else:
        await outbound.deliver(closed["channel"], closed["conversation_id"], survey)
    return RedirectResponse("/console?aviso=cerrada", status_code=303)


OUTSIDE_WINDOW = ("Pasaron más de 24 h desde el último mensaje del cliente: WhatsApp no admite texto libre. "
                  "Usa una plantilla aprobada o envía el mensaje por SMS.")


def serialised(message: m.HandoffMessage) -> Dict:
    """A transcript message as the page's script appends it."""
    return _message(message)


def _message(message: m.HandoffMessage) -> Dict:
    return {"id": message.id, "kind": message.kind, "body": message.body, "at": message.created_at.isoformat(),
            "author": message.agent.full_name if message.agent else None}


def _messages_since(handoff: m.Handoff, after: int) -> Dict:
    return {"status": handoff.status.value, "messages": [_message(msg) for msg in handoff.messages if msg.id > after]}
