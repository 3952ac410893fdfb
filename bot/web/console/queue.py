"""The live queue: who waits (in order, with their place), who is being attended and by whom, and
taking a conversation, which greets the customer on their channel.

Two agents taking the same conversation at once: one gets it, the other a 409 (or a notice).
"""
from __future__ import annotations

from typing import Callable, Dict, Optional

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import desk
from bot import handoff as queue
from bot.db import models as m
from bot.web.console import auth
from bot.web.console.access import api_agent, page_agent, signed_in
from bot.web.console.pages import CHANNEL_LABELS, event_stream, render, wants_json
from bot.web.deps import Database, database
from channels import outbound

router = APIRouter(prefix="/console")


def snapshot(agent: Dict) -> Callable[[Session], Dict]:
    """What the queue page shows this agent: waiting, theirs, colleagues', and who is online."""
    def read(session: Session) -> Dict:
        assigned = session.execute(
            select(m.Handoff).where(m.Handoff.status == m.HandoffStatus.assigned).order_by(m.Handoff.taken_at)
        ).scalars().all()
        return {
            "waiting": [_row(h, position) for position, h in enumerate(queue.waiting(session), start=1)],
            "mine": [_row(h) for h in assigned if h.agent_id == agent["id"]],
            "others": [_row(h) for h in assigned if h.agent_id != agent["id"]],
            "online": queue.agents_online(session, m.utcnow()),
        }
    return read


@router.get("", response_class=HTMLResponse)
async def queue_page(request: Request, agent: Dict = Depends(page_agent), db: Database = Depends(database)):
    return render(request, "queue.html", {"agent": agent, "snapshot": await db(snapshot(agent)),
                                          "notice": request.query_params.get("aviso")})


@router.get("/api/queue")
async def queue_json(agent: Dict = Depends(api_agent), db: Database = Depends(database)):
    return await db(snapshot(agent))


@router.get("/api/queue/stream")
async def queue_stream(request: Request, agent: Dict = Depends(api_agent), db: Database = Depends(database)):
    async def still_signed_in() -> bool:
        return await signed_in(request, db) is not None  # also keeps the agent counted as online

    async def produce() -> Optional[Dict]:
        return await db(snapshot(agent))

    return event_stream(request, produce, still_signed_in=still_signed_in, recheck_every=1)


@router.post("/handoffs/{handoff_id}/take", dependencies=[Depends(auth.check_csrf)])
async def take(handoff_id: int, request: Request, agent: Dict = Depends(api_agent), db: Database = Depends(database)):
    def assign(session: Session) -> Optional[Dict]:
        me = session.get(m.Agent, agent["id"])
        if not queue.take(session, handoff_id, me):
            return None
        handoff = session.get(m.Handoff, handoff_id)
        session.refresh(handoff)
        greeting = queue.taken_text(me)
        queue.add_message(session, handoff, "system", f"{me.full_name} tomó la conversación.")
        return {"channel": handoff.channel, "conversation_id": handoff.conversation_id, "greeting": greeting}

    taken = await db(assign)
    if taken is None:
        if wants_json(request):
            return JSONResponse({"detail": "Otra persona ya tomó esta conversación."}, status_code=409)
        return RedirectResponse("/console?aviso=tomada", status_code=303)
    await outbound.deliver(taken["channel"], taken["conversation_id"], [{"text": taken["greeting"]}])
    if wants_json(request):
        return {"taken": handoff_id}
    return RedirectResponse(f"/console/handoffs/{handoff_id}", status_code=303)


def _row(handoff: m.Handoff, position: int = 0) -> Dict:
    customer = handoff.customer.full_name if handoff.customer else None
    return {
        "id": handoff.id, "position": position, "priority": handoff.priority,
        "priority_label": queue.PRIORITY_LABELS[handoff.priority], "reason": queue.REASON_LABELS.get(handoff.reason, handoff.reason),
        "channel": CHANNEL_LABELS.get(handoff.channel, handoff.channel),
        "customer": customer or handoff.conversation_id, "summary": handoff.summary or "",
        "since": handoff.created_at.isoformat(), "taken_at": handoff.taken_at.isoformat() if handoff.taken_at else None,
        "agent": handoff.agent.full_name if handoff.agent else None,
        "desk_status": desk.STATUS_LABELS.get(handoff.desk_status, handoff.desk_status),
        "labels": [label.name for label in handoff.labels],
        "awaiting": handoff.awaiting_since.isoformat() if handoff.awaiting_since else None,
    }
