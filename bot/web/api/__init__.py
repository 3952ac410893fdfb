"""The integration API: how outage management, billing and the CRM talk to the assistant.

JSON over HTTP under ``/api/v1``, an ``X-API-Key`` (only its SHA-256 is stored: ``keys``), an
OpenAPI document at ``/api/openapi.json``, clear 422s (``payloads``), and ``Idempotency-Key`` on
POST: a repeat gets the first answer and causes nothing new (``idempotency``). One module per
resource: ``outages``, ``planned``, ``payments``, ``customers``, ``complaints``, ``kpis``, ``webhooks``.
"""
from __future__ import annotations

from fastapi import APIRouter

from bot.web.api import complaints, customers, kpis, outages, payments, planned, webhooks
from bot.web.api.keys import create_key, key_hash, new_key

__all__ = ["create_key", "key_hash", "new_key", "router"]

router = APIRouter(prefix="/api/v1", tags=["integración"])
for _resource in (outages, planned, payments, customers, complaints, kpis, webhooks):
    router.include_router(_resource.router)
