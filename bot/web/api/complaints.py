"""Complaints for the back office: listed by status or deadline, progressed, resolved.

A resolution is recorded as a KPI event (on time or late against the regulatory deadline) and
told to the customer.
"""
from __future__ import annotations

from typing import Literal, Optional

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import events, notifications, records
from bot.db import models as m
from bot.settings import Settings
from bot.web.api.keys import api_key
from bot.web.api.payloads import MAX_ID, ComplaintPatch, complaint_json
from bot.web.deps import Database, Jobs, database, jobs, settings

router = APIRouter()


@router.get("/complaints", summary="Complaints, by status or overdue")
async def list_complaints(
    status: Optional[Literal["received", "in_progress", "resolved", "closed"]] = None,
    overdue: Optional[bool] = Query(None, description="true: open and past the regulatory deadline"),
    limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_ID), key_id: int = Depends(api_key),
    db: Database = Depends(database),
):
    def read(session: Session):
        now = m.utcnow()
        query = select(m.Complaint).order_by(m.Complaint.due_at, m.Complaint.id)
        if status:
            query = query.where(m.Complaint.status == m.TicketStatus(status))
        if overdue is not None:
            open_ = m.Complaint.status.in_([m.TicketStatus.received, m.TicketStatus.in_progress])
            late = open_ & (m.Complaint.due_at < now)
            query = query.where(late if overdue else ~late)
        return {"items": [complaint_json(c, now) for c in session.execute(query.limit(limit).offset(offset)).scalars()],
                "limit": limit, "offset": offset}

    return await db(read)


@router.patch("/complaints/{ticket}", summary="Progress or resolve a complaint; a resolution is told to the customer")
async def patch_complaint(body: ComplaintPatch, ticket: str = Path(..., max_length=20), key_id: int = Depends(api_key),
                          db: Database = Depends(database), config: Settings = Depends(settings),
                          job: Jobs = Depends(jobs)):
    def change(session: Session):
        complaint = records.complaint_by_ticket(session, ticket)
        if complaint is None:
            raise HTTPException(status_code=404, detail=f"No complaint {ticket}.")
        if complaint.status in (m.TicketStatus.resolved, m.TicketStatus.closed) and body.status != "closed":
            raise HTTPException(status_code=409, detail=f"Complaint {ticket} is already {complaint.status.value}.")
        now = m.utcnow()
        complaint.status = m.TicketStatus(body.status)
        note = {"in_progress": "En revisión", "resolved": body.resolution, "closed": "Cerrado"}[body.status]
        complaint.history.append(m.ComplaintEvent(at=now, status=complaint.status, note=note))
        if body.status == "resolved":
            complaint.resolved_at, complaint.resolution = now, body.resolution
            events.record(session, "ticket_resolved", at=now, channel=complaint.channel, ticket=complaint.ticket,
                          category=f"complaint:{complaint.category}", value=int(now <= complaint.due_at),
                          latency_ms=int((now - complaint.filed_at).total_seconds() * 1000))
            notifications.complaint_resolved(session, complaint, config, now)
        return complaint_json(complaint, now)

    result = await db(change)
    job.dispatch_soon()
    return result
