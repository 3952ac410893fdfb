"""The supervisors' live view: who is online, each agent's open conversations and their age, the queue by
priority, conversations nobody has answered for ``LUZ_AGENT_ANSWER_MINUTES``, and assigning or reassigning
by hand (one click: to whoever's turn it is; or to a chosen agent)."""
from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import assignment, desk
from bot import handoff as queue
from bot.db import models as m
from bot.settings import Settings
from bot.web.console import auth
from bot.web.console.access import api_supervisor, signed_in, supervisor
from bot.web.console.pages import CHANNEL_LABELS, event_stream, render, wants_json
from bot.web.console.presence import greet
from bot.web.deps import Database, database, settings

router = APIRouter(prefix="/console")


def _minutes(since: Optional[dt.datetime], now: dt.datetime) -> Optional[int]:
    return None if since is None else max(0, int((now - since).total_seconds() // 60))


def _conversation(handoff: m.Handoff, now: dt.datetime) -> Dict:
    return {"id": handoff.id, "customer": handoff.customer.full_name if handoff.customer else handoff.conversation_id,
            "channel": CHANNEL_LABELS.get(handoff.channel, handoff.channel), "priority": handoff.priority,
            "priority_label": queue.PRIORITY_LABELS[handoff.priority],
            "agent": handoff.agent.full_name if handoff.agent else None, "agent_id": handoff.agent_id,
            "age": _minutes(handoff.assigned_at or handoff.created_at, now),
            "unanswered": _minutes(handoff.awaiting_since if handoff.status == m.HandoffStatus.assigned
                                   else handoff.created_at, now),
            "status": desk.STATUS_LABELS.get(handoff.desk_status, handoff.desk_status)}


def live_view(config: Settings):
    def read(session: Session) -> Dict:
        now = m.utcnow()
        agents = session.execute(select(m.Agent).where(m.Agent.active.is_(True)).order_by(m.Agent.full_name)).scalars().all()
        counts = assignment.open_counts(session, [agent.id for agent in agents])
        assigned = session.execute(select(m.Handoff).where(m.Handoff.status == m.HandoffStatus.assigned)
                                   .order_by(m.Handoff.assigned_at)).scalars().all()
        people: List[Dict] = []
        for agent in agents:
            presence = agent.presence if assignment.connected(agent, now) else assignment.OFFLINE
            people.append({"id": agent.id, "name": agent.full_name, "role": agent.role.value, "presence": presence,
                           "presence_label": assignment.PRESENCE_LABELS[presence], "open": counts[agent.id],
                           "cap": assignment.cap_of(agent, config),
                           "conversations": [_conversation(h, now) for h in assigned if h.agent_id == agent.id]})
        waiting = [_conversation(h, now) for h in queue.waiting(session)]
        limit = config.agent_answer_minutes
        stalled = [_conversation(h, now) for h in assignment.stalled(session, limit, now)] + [
            row for row in waiting if (row["unanswered"] or 0) >= limit]
        return {"agents": people, "waiting": waiting, "stalled": stalled, "limit": limit,
                "online": sum(1 for p in people if p["presence"] != assignment.OFFLINE),
                "available": sum(1 for p in people if p["presence"] == assignment.ONLINE)}
    return read


@router.get("/supervision", response_class=HTMLResponse)
async def supervision_page(request: Request, partial: bool = False, agent: Dict = Depends(supervisor),
                           db: Database = Depends(database), config: Settings = Depends(settings)):
    view = await db(live_view(config))
    return render(request, "supervision_live.html" if partial else "supervision.html",
                  {"agent": agent, "view": view, "notice": request.query_params.get("aviso")})


@router.get("/api/supervision/stream")
async def supervision_stream(request: Request, agent: Dict = Depends(api_supervisor), db: Database = Depends(database),
                             config: Settings = Depends(settings)):
    """Tells the page when what it shows changed (it then fetches the view again)."""
    async def produce() -> Optional[Dict]:
        return await db(live_view(config))

    async def still_signed_in() -> bool:
        return await signed_in(request, db) is not None

    return event_stream(request, produce, interval=2.0, still_signed_in=still_signed_in)


@router.post("/handoffs/{handoff_id}/assign", dependencies=[Depends(auth.check_csrf)])
async def assign(handoff_id: int, request: Request, to_agent: Optional[int] = Form(None),
                 agent: Dict = Depends(api_supervisor), db: Database = Depends(database),
                 config: Settings = Depends(settings)):
    """A supervisor assigns a waiting conversation or reassigns an open one: to ``to_agent``, or to whoever's turn it is."""
    def move(session: Session):
        handoff = session.get(m.Handoff, handoff_id)
        if handoff is None or handoff.status not in m.OPEN_HANDOFF:
            raise HTTPException(status_code=409, detail="Esa conversación ya no está abierta.")
        target = None
        if to_agent is not None:
            target = session.get(m.Agent, to_agent)
            if target is None or not target.active:
                raise HTTPException(status_code=422, detail="Elige una persona activa.")
            if target.id == handoff.agent_id:
                raise HTTPException(status_code=422, detail="Esa persona ya la atiende.")
        return assignment.reassign(session, handoff, config, m.utcnow(), session.get(m.Agent, agent["id"]), to=target)

    moved = await db(move)
    if moved is None:
        if wants_json(request):
            return JSONResponse({"detail": "No hay otra persona disponible con cupo."}, status_code=409)
        return RedirectResponse("/console/supervision?aviso=sin-cupo", status_code=303)
    await greet([moved])
    if wants_json(request):
        return {"handoff": moved.handoff_id, "agent": moved.agent_id}
    return RedirectResponse("/console/supervision?aviso=reasignada", status_code=303)
