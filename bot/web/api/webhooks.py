"""Outbound webhook deliveries (bot/webhooks.py): what was sent to whom, how it went, and a replay."""
from __future__ import annotations

from typing import Literal, Optional

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import webhooks
from bot.db import models as m
from bot.web.api.keys import api_key
from bot.web.api.payloads import MAX_ID
from bot.web.deps import Database, database

router = APIRouter()


@router.get("/webhooks/deliveries", summary="Webhook deliveries, newest first; filter by status (queued, delivered, failed)")
async def list_deliveries(status: Optional[Literal["queued", "delivered", "failed"]] = Query(None),
                          limit: int = Query(50, ge=1, le=500), key_id: int = Depends(api_key),
                          db: Database = Depends(database)):
    def read(session: Session):
        query = select(m.WebhookDelivery).order_by(m.WebhookDelivery.id.desc()).limit(limit)
        if status:
            query = query.where(m.WebhookDelivery.status == status)
        return [webhooks.delivery_json(delivery) for delivery in session.execute(query).scalars()]

    return {"deliveries": await db(read)}


@router.post("/webhooks/deliveries/{delivery_id}/replay", status_code=202,
             summary="Send a delivery's event again to its subscriber (a new delivery, due now)")
async def replay_delivery(delivery_id: int = Path(..., ge=1, le=MAX_ID), key_id: int = Depends(api_key),
                          db: Database = Depends(database)):
    def again(session: Session):
        delivery = webhooks.replay(session, delivery_id, m.utcnow())
        if delivery is None:
            raise HTTPException(status_code=404, detail=f"No webhook delivery {delivery_id}.")
        return webhooks.delivery_json(delivery)

    return await db(again)
