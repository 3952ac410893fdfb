"""Service KPIs for reporting systems: the same figures as the supervisors' dashboard, as JSON."""
from __future__ import annotations

import datetime as dt
from typing import Literal, Optional

from fastapi import APIRouter, Depends, HTTPException, Query

from bot import kpis
from bot.settings import Settings
from bot.web.api.keys import api_key
from bot.web.deps import Database, database, settings

router = APIRouter()


@router.get("/kpis", summary="Service KPIs for a date range (local days, both included), optionally one channel")
async def get_kpis(
    since: dt.date = Query(..., alias="from"), until: dt.date = Query(..., alias="to"),
    channel: Optional[Literal["whatsapp", "sms", "telegram", "web", "rest"]] = None,
    every: Literal["day", "week", "month"] = "day", key_id: int = Depends(api_key),
    db: Database = Depends(database), config: Settings = Depends(settings),
):
    if since > until:
        raise HTTPException(status_code=422, detail="'from' is after 'to'.")
    if (until - since).days > 366:
        raise HTTPException(status_code=422, detail="The range is limited to 366 days.")
    return await db(lambda session: kpis.compute(session, since, until, config.timezone, channel, every))
