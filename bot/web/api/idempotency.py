"""``Idempotency-Key`` on POST: the first request with a key runs, a repeat gets its stored answer.

The key is claimed, the work done and its answer stored in one transaction: either all of it is committed
or none (a first request that fails frees its key, so the caller can try again), and a repeat never finds
the work done without its answer. A repeat with a different body is refused (422); one arriving while the
first still runs waits for it (the key's unique index) and then gets its answer.
"""
from __future__ import annotations

import hashlib
from typing import Awaitable, Callable, Optional, Tuple

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db import models as m
from bot.web.deps import Database


class KeyTaken(Exception):
    """The Idempotency-Key was claimed by an earlier request."""


Work = Callable[[Session], Tuple[int, dict]]


async def idempotent(request: Request, key_id: int, db: Database, work: Work,
                     after: Optional[Callable[[dict], Awaitable[None]]] = None) -> JSONResponse:
    """Runs ``work(session)`` once per Idempotency-Key, in the transaction that claims the key and stores
    the answer; a repeat gets the stored answer. ``after(body)`` runs once the work is committed (nudging
    the scheduler, planning jobs), not on a repeat."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        status, body = await db(work)
        if after is not None:
            await after(body)
        return JSONResponse(body, status_code=status)
    if len(key) > 120:
        raise HTTPException(status_code=422, detail="Idempotency-Key is longer than 120 characters.")
    fingerprint = hashlib.sha256(request.method.encode() + request.url.path.encode() + await request.body()).hexdigest()

    def claim_work_store(session: Session) -> Tuple[int, dict]:
        row = m.IdempotentRequest(api_key_id=key_id, key=key, fingerprint=fingerprint)
        session.add(row)
        try:
            session.flush()  # a key already used (or in use: this waits for it) is refused here
        except IntegrityError as error:
            raise KeyTaken() from error
        status, body = work(session)
        row.status_code, row.response = status, body
        return status, body

    try:
        status, body = await db(claim_work_store)
    except KeyTaken:
        previous = await db(lambda s: s.execute(select(m.IdempotentRequest).where(
            m.IdempotentRequest.api_key_id == key_id, m.IdempotentRequest.key == key)).scalar_one())
        if previous.fingerprint != fingerprint:
            raise HTTPException(status_code=422, detail="This Idempotency-Key was used with a different request.") from None
        if previous.status_code is None:  # rows written before claim, work and answer became one transaction
            raise HTTPException(status_code=409, detail="The first request with this Idempotency-Key is still running.") from None
        return JSONResponse(previous.response, status_code=previous.status_code, headers={"Idempotent-Replayed": "true"})
    if after is not None:
        await after(body)
    return JSONResponse(body, status_code=status)
