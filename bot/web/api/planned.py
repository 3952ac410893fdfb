"""Planned work: customers of its zones are told 48 hours and again 2 hours before it starts."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy.orm import Session

from bot.db import models as m
from bot.web.api.idempotency import idempotent
from bot.web.api.keys import api_key
from bot.web.api.outages import zones_of
from bot.web.api.payloads import PlannedOutageIn, outage_json
from bot.web.deps import Database, Jobs, database, jobs

router = APIRouter()


@router.post("/planned-outages", status_code=201, summary="Planned work; customers are told 48 h and 2 h before")
async def post_planned(body: PlannedOutageIn, request: Request, key_id: int = Depends(api_key),
                       db: Database = Depends(database), job: Jobs = Depends(jobs)):
    if job.scheduler is None:  # refused before anything is stored: the notices could not be planned
        raise HTTPException(status_code=503, detail="This process runs no scheduler (LUZ_SCHEDULER=off).")

    def create(session: Session):
        outage = m.Outage(kind=m.OutageKind.planned, status=m.OutageStatus.scheduled, cause=body.cause,
                          starts_at=body.starts_at, estimated_restoration_at=body.ends_at)
        outage.areas = [m.OutageArea(zone_id=zone.id) for zone in zones_of(session, body.zones)]
        session.add(outage)
        session.flush()
        return 201, outage_json(outage)

    async def plan_notices(result: dict) -> None:
        now = m.utcnow()
        for hours in (48, 2):
            when = body.starts_at - dt.timedelta(hours=hours)
            if when > now or (hours == 48 and body.starts_at - now > dt.timedelta(hours=2)):
                job.plan("planned", max(when, now), result["id"], hours)

    return await idempotent(request, key_id, db, create, after=plan_notices)
