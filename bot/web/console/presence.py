"""An agent's presence and what reaches them: available / away (``bot/assignment.py`` gives conversations to
the available), activity from the browser, the next conversation to attend, and the notifications stream.

The notifications stream (server-sent events, on every console page) tells the agent's browser of a
conversation newly assigned to them, a reply from one of their customers and an urgent case in the queue
(a hazard, an electro-dependent customer); ``static/desk.js`` plays a sound and shows a desktop
notification (with the browser's permission) and a notice in the page.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Set

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import assignment
from bot import handoff as queue
from bot.db import models as m
from bot.settings import Settings
from bot.web.console import auth
from bot.web.console.access import api_agent, signed_in
from bot.web.console.pages import HERE, event_stream
from bot.web.deps import Database, database, settings
from channels import outbound

router = APIRouter(prefix="/console")
SERVICE_WORKER = HERE / "static" / "desk-sw.js"


async def body_of(request: Request) -> Dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(status_code=400, detail="El cuerpo debe ser JSON.") from None
    if not isinstance(body, dict):
        raise HTTPException(status_code=400, detail="El cuerpo debe ser un objeto JSON.")
    return body


async def greet(assigned: List[assignment.Assigned]) -> None:
    """Each customer just given to an agent hears from them on their own channel."""
    for item in assigned:
        await outbound.deliver(item.channel, item.conversation_id, [{"text": item.greeting}])


@router.post("/api/presence", dependencies=[Depends(auth.check_csrf)])
async def set_presence(request: Request, agent: Dict = Depends(api_agent), db: Database = Depends(database),
                       config: Settings = Depends(settings)):
    """Available (receives conversations at once, if any wait) or away (what waits for their answer goes to others)."""
    presence = (await body_of(request)).get("presence")
    if presence not in (assignment.ONLINE, assignment.AWAY):
        raise HTTPException(status_code=422, detail="Elige «Disponible» o «Ausente».")

    def change(session: Session) -> Dict:
        me = session.get(m.Agent, agent["id"])
        now = m.utcnow()
        released = assignment.set_presence(session, me, presence, now)
        session.flush()
        assigned = assignment.assign_waiting(session, config, now)
        return {"presence": presence, "label": assignment.PRESENCE_LABELS[presence], "released": released,
                "assigned": assigned}

    changed = await db(change)
    await greet(changed.pop("assigned"))
    return changed


@router.get("/sw.js", include_in_schema=False)
async def service_worker() -> Response:
    """The console's service worker, served from /console/ so it may show notifications for every console page."""
    return Response(SERVICE_WORKER.read_text(encoding="utf-8"), media_type="application/javascript",
                    headers={"Cache-Control": "no-cache"})


@router.post("/api/activity", dependencies=[Depends(auth.check_csrf)])
async def activity(agent: Dict = Depends(api_agent)):
    """The agent is using the console (keys, clicks): ``api_agent`` noted it; an available agent stays available."""
    return {"presence": agent["presence"]}


@router.get("/api/next")
async def next_conversation(agent: Dict = Depends(api_agent), db: Database = Depends(database)):
    """Where the "next conversation" key goes: the agent's own that waits longest for an answer, else their oldest
    open one, else the queue."""
    def find(session: Session) -> Dict:
        mine = session.execute(select(m.Handoff).where(
            m.Handoff.status == m.HandoffStatus.assigned, m.Handoff.agent_id == agent["id"],
            m.Handoff.desk_status.in_(("open", "pending")))).scalars().all()
        epoch = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        ordered = sorted(mine, key=lambda h: (h.awaiting_since is None, h.priority, h.awaiting_since or epoch,
                                              h.assigned_at or epoch))
        return {"url": f"/console/handoffs/{ordered[0].id}" if ordered else "/console"}

    return await db(find)


def _customer(handoff: m.Handoff) -> str:
    return handoff.customer.full_name if handoff.customer else handoff.conversation_id


def notices_since(agent_id: int, since: dt.datetime, told: Set[str]):
    """What this agent has not been told since ``since``: assignments, customers' replies, urgent cases."""
    def read(session: Session) -> Dict:
        me = session.get(m.Agent, agent_id)
        notices: List[Dict] = []
        mine = session.execute(select(m.Handoff).where(
            m.Handoff.status == m.HandoffStatus.assigned, m.Handoff.agent_id == agent_id)).scalars().all()
        for handoff in mine:
            key = f"assigned:{handoff.id}:{handoff.assigned_at.isoformat() if handoff.assigned_at else ''}"
            if handoff.assigned_at and handoff.assigned_at > since and key not in told:
                urgent = handoff.priority < queue.PRIORITY_NORMAL
                notices.append({"key": key, "kind": "urgent" if urgent else "assigned", "handoff": handoff.id,
                                "title": ("Caso urgente asignado" if urgent else "Nueva conversación asignada"),
                                "body": f"{_customer(handoff)} · {queue.PRIORITY_LABELS[handoff.priority]} · "
                                        f"{queue.REASON_LABELS.get(handoff.reason, handoff.reason)}"})
        replies = session.execute(select(m.HandoffMessage).join(m.Handoff).where(
            m.Handoff.agent_id == agent_id, m.Handoff.status == m.HandoffStatus.assigned,
            m.HandoffMessage.kind == "customer", m.HandoffMessage.created_at > since)
            .order_by(m.HandoffMessage.id)).scalars().all()
        for message in replies:
            key = f"reply:{message.id}"
            if key not in told:
                notices.append({"key": key, "kind": "reply", "handoff": message.handoff_id,
                                "title": f"{_customer(message.handoff)} respondió", "body": message.body[:140]})
        for handoff in queue.waiting(session):
            key = f"urgent:{handoff.id}"
            if handoff.priority < queue.PRIORITY_NORMAL and handoff.created_at > since and key not in told:
                notices.append({"key": key, "kind": "urgent", "handoff": handoff.id,
                                "title": f"Caso urgente en la fila: {queue.PRIORITY_LABELS[handoff.priority]}",
                                "body": f"{_customer(handoff)} · {handoff.summary or ''}"[:140]})
        return {"presence": me.presence if me else "offline",
                "presence_label": assignment.PRESENCE_LABELS.get(me.presence if me else "offline", ""),
                "notices": notices}
    return read


@router.get("/api/desk/stream")
async def desk_stream(request: Request, since: Optional[str] = None, agent: Dict = Depends(api_agent),
                      db: Database = Depends(database)):
    """Server-sent events of ``notices_since`` (from ``since``, the page's moment, so nothing in between is lost)."""
    try:
        start = dt.datetime.fromisoformat(since) if since else m.utcnow()
    except ValueError:
        start = m.utcnow()
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.timezone.utc)
    told: Set[str] = set()

    async def produce() -> Optional[Dict]:
        data = await db(notices_since(agent["id"], start, told))
        told.update(notice["key"] for notice in data["notices"])
        return data

    async def still_signed_in() -> bool:
        return await signed_in(request, db) is not None

    return event_stream(request, produce, still_signed_in=still_signed_in)
