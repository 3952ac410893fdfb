"""Organising work (``bot/desk.py``): labels and status of a conversation, and search over past ones."""
from __future__ import annotations

import datetime as dt
from typing import Dict, List
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from bot import desk
from bot.db import models as m
from bot.settings import Settings
from bot.web.console import auth
from bot.web.console.access import api_agent, page_agent
from bot.web.console.conversation import owned
from bot.web.console.pages import CHANNEL_LABELS, STATUS_LABELS, render
from bot.web.console.presence import body_of
from bot.web.deps import Database, database, settings

router = APIRouter(prefix="/console")


@router.post("/api/handoffs/{handoff_id}/labels", dependencies=[Depends(auth.check_csrf)])
async def label(handoff_id: int, request: Request, agent: Dict = Depends(api_agent), db: Database = Depends(database)):
    body = await body_of(request)

    def change(session: Session) -> Dict:
        handoff = owned(session, handoff_id, agent)
        try:
            return {"labels": desk.set_label(session, handoff, str(body.get("label", "")), bool(body.get("on")))}
        except desk.DeskError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None

    return await db(change)


@router.post("/api/handoffs/{handoff_id}/status", dependencies=[Depends(auth.check_csrf)])
async def status(handoff_id: int, request: Request, agent: Dict = Depends(api_agent), db: Database = Depends(database),
                 config: Settings = Depends(settings)):
    """Open, pending, or snoozed ``until`` a local date and time (``2026-11-18T15:30``, as a date-time field sends it)."""
    body = await body_of(request)
    until = None
    if body.get("until"):
        try:
            until = dt.datetime.fromisoformat(str(body["until"]))
        except ValueError:
            raise HTTPException(status_code=422, detail="Fecha y hora no válidas.") from None
        if until.tzinfo is None:
            until = until.replace(tzinfo=ZoneInfo(config.timezone))

    def change(session: Session) -> Dict:
        handoff = owned(session, handoff_id, agent)
        try:
            desk.set_status(session, handoff, str(body.get("status", "")), m.utcnow(), session.get(m.Agent, agent["id"]),
                            until)
        except desk.DeskError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        return {"status": handoff.desk_status, "label": desk.STATUS_LABELS[handoff.desk_status],
                "until": handoff.snoozed_until.isoformat() if handoff.snoozed_until else None}

    return await db(change)


def result_row(handoff: m.Handoff) -> Dict:
    """A conversation as the search page lists it."""
    last = next((message.body for message in reversed(handoff.messages) if message.kind in ("customer", "agent")), "")
    return {"id": handoff.id, "customer": handoff.customer.full_name if handoff.customer else handoff.conversation_id,
            "channel": CHANNEL_LABELS.get(handoff.channel, handoff.channel), "created_at": handoff.created_at,
            "status": STATUS_LABELS.get(handoff.status.value, handoff.status.value),
            "desk_status": desk.STATUS_LABELS.get(handoff.desk_status, handoff.desk_status),
            "labels": [item.name for item in handoff.labels], "agent": handoff.agent.full_name if handoff.agent else "",
            "snippet": (handoff.resolution or last or handoff.summary or "")[:160]}


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, q: str = "", agent: Dict = Depends(page_agent), db: Database = Depends(database)):
    rows: List[Dict] = await db(lambda session: [result_row(h) for h in desk.search(session, q)]) if q.strip() else []
    return render(request, "search.html", {"agent": agent, "q": q, "rows": rows})
