"""``Idempotency-Key`` on POST: the first request with a key runs, a repeat gets its stored answer.

A repeat with a different body is refused (422), one arriving while the first still runs gets 409,
and a first request that fails frees its key so the caller can try again.
"""
from __future__ import annotations

import hashlib
from typing import Awaitable, Callable, Tuple

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db import models as m
from bot.web.deps import Database


async def idempotent(request: Request, key_id: int, db: Database,
                     work: Callable[[], Awaitable[Tuple[int, dict]]]) -> JSONResponse:
    """Runs ``work`` once per Idempotency-Key; a repeat gets the stored answer."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        status, body = await work()
        return JSONResponse(body, status_code=status)
    if len(key) > 120:
        raise HTTPException(status_code=422, detail="Idempotency-Key is longer than 120 characters.")
    fingerprint = hashlib.sha256(request.method.encode() + request.url.path.encode() + await request.body()).hexdigest()

    def claim(session: Session):
        session.add(m.IdempotentRequest(api_key_id=key_id, key=key, fingerprint=fingerprint))
        session.flush()

    try:
        await db(claim)
    except IntegrityError:
        previous = await db(lambda s: s.execute(select(m.IdempotentRequest).where(
            m.IdempotentRequest.api_key_id == key_id, m.IdempotentRequest.key == key)).scalar_one())
        if previous.fingerprint != fingerprint:
            raise HTTPException(status_code=422, detail="This Idempotency-Key was used with a different request.") from None
        if previous.status_code is None:
            raise HTTPException(status_code=409, detail="The first request with this Idempotency-Key is still running.") from None
        return JSONResponse(previous.response, status_code=previous.status_code, headers={"Idempotent-Replayed": "true"})
    try:
        status, body = await work()
    except BaseException:
        await db(lambda s: s.query(m.IdempotentRequest).filter_by(api_key_id=key_id, key=key).delete())
        raise

    def store(session: Session):
        row = session.execute(select(m.IdempotentRequest).where(
            m.IdempotentRequest.api_key_id == key_id, m.IdempotentRequest.key == key)).scalar_one()
        row.status_code, row.response = status, body

    await db(store)
    return JSONResponse(body, status_code=status)
