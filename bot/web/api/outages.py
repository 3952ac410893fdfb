"""Unplanned outages, from the outage management system: reported, re-estimated, restored; and the faults
customers reported that it has not confirmed yet (suspected outages, bot/grouping.py), merged into the
outage that confirms them.

Reporting one queues a notice for every consenting customer of its zones; a new estimate tells
them again; a restoration plans the follow-up that asks whether the power really came back.
"""
from __future__ import annotations

import datetime as dt
from typing import List

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import fanout, grouping, notifications, restoration
from bot.db import models as m
from bot.settings import Settings
from bot.web.api.idempotency import idempotent
from bot.web.api.keys import api_key
from bot.web.api.payloads import MAX_ID, OutageIn, OutagePatch, outage_json
from bot.web.deps import Database, Jobs, database, jobs, settings

router = APIRouter()


def zones_of(session: Session, codes: List[str]) -> List[m.Zone]:
    """The zones with these codes; a 422 naming any that does not exist."""
    found = session.execute(select(m.Zone).where(m.Zone.code.in_(codes))).scalars().all()
    missing = sorted(set(codes) - {zone.code for zone in found})
    if missing:
        raise HTTPException(status_code=422, detail=f"Unknown zone codes: {', '.join(missing)}.")
    return list(found)


@router.post("/outages", status_code=202,
             summary="Report an unplanned outage: answered at once; its reporters are told first, everyone else in bulk")
async def post_outage(body: OutageIn, request: Request, key_id: int = Depends(api_key),
                      db: Database = Depends(database), config: Settings = Depends(settings), job: Jobs = Depends(jobs)):
    def create(session: Session):
        now = m.utcnow()
        outage = m.Outage(kind=m.OutageKind.unplanned, status=m.OutageStatus.active, cause=body.cause,
                          starts_at=body.starts_at or now, estimated_restoration_at=body.estimated_restoration_at)
        outage.areas = [m.OutageArea(zone_id=zone.id) for zone in zones_of(session, body.zones)]
        session.add(outage)
        session.flush()
        merged = grouping.merge_into(session, outage, now)  # their reporters are the first told, below
        answer = outage_json(outage, notifications.outage_started(session, outage, config, now))
        batch = fanout.open_batch(session, outage, now)  # everyone else: the fan-out job, right after the commit
        return 202, {**answer, "merged_suspected_outages": [suspected.id for suspected in merged],
                     "notice_batch": {"id": batch.id, "status": batch.status,
                                      "progress": f"/api/v1/notice-batches/{batch.id}"}}

    async def fan_out(result: dict) -> None:
        job.plan("fanout", m.utcnow(), result["notice_batch"]["id"])
        job.dispatch_soon()

    return await idempotent(request, key_id, db, create, after=fan_out)


@router.get("/notice-batches/{batch_id}", summary="How an outage's notices are going: queued, sent, delivered, failed")
async def notice_batch(batch_id: int = Path(..., ge=1, le=MAX_ID), key_id: int = Depends(api_key),
                       db: Database = Depends(database)):
    def read(session: Session):
        batch = session.get(m.NoticeBatch, batch_id)
        if batch is None:
            raise HTTPException(status_code=404, detail=f"No notice batch {batch_id}.")
        return fanout.progress(session, batch)

    return await db(read)


@router.get("/outages", summary="Unplanned outages in progress; those whose estimate passed owe a new one")
async def list_outages(estimate_expired: bool = Query(False, description="only those owing a new estimate"),
                       key_id: int = Depends(api_key), db: Database = Depends(database)):
    def read(session: Session):
        if estimate_expired:
            return [outage_json(o) for o in restoration.expired_estimates(session)]
        restoration.expired_estimates(session)  # marks what is owed before it is shown
        query = (select(m.Outage).where(m.Outage.kind == m.OutageKind.unplanned, m.Outage.status == m.OutageStatus.active)
                 .order_by(m.Outage.starts_at))
        return [outage_json(o) for o in session.execute(query).scalars()]

    return {"outages": await db(read)}


@router.get("/suspected-outages", summary="Faults several customers reported that the OMS has not confirmed yet")
async def list_suspected(key_id: int = Depends(api_key), db: Database = Depends(database)):
    def read(session: Session):
        return [grouping.as_json(session, suspected) for suspected in grouping.open_ones(session)]

    return {"suspected_outages": await db(read)}


@router.patch("/outages/{outage_id}", summary="A new estimated restoration time, or the restoration")
async def patch_outage(body: OutagePatch, outage_id: int = Path(..., ge=1, le=MAX_ID), key_id: int = Depends(api_key),
                       db: Database = Depends(database), config: Settings = Depends(settings), job: Jobs = Depends(jobs)):
    if body.estimated_restoration_at is None and body.status is None:
        raise HTTPException(status_code=422, detail="Give estimated_restoration_at or status.")

    def change(session: Session):
        outage = session.get(m.Outage, outage_id)
        if outage is None or outage.kind != m.OutageKind.unplanned:
            raise HTTPException(status_code=404, detail=f"No unplanned outage {outage_id}.")
        if outage.status != m.OutageStatus.active:
            raise HTTPException(status_code=409, detail=f"Outage {outage_id} is already {outage.status.value}.")
        queued = 0
        if body.estimated_restoration_at is not None and body.estimated_restoration_at != outage.estimated_restoration_at:
            restoration.new_estimate(outage, body.estimated_restoration_at)
            if body.status is None:  # what has not gone yet is rewritten; those told hear the new time
                queued = fanout.new_estimate(session, outage, config, m.utcnow())
        if body.status == "restored":
            outage.status, outage.restored_at = m.OutageStatus.restored, m.utcnow()
            fanout.power_back(session, outage)  # news of it not sent yet is stale now
        return outage_json(outage, queued), body.status == "restored"

    result, restored = await db(change)
    if restored:
        job.plan("restoration", m.utcnow() + dt.timedelta(minutes=config.restoration_delay_minutes), outage_id)
    job.dispatch_soon()
    return result
