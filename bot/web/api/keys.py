"""API keys: made by ``python -m bot apikey create``, shown once, stored only as their SHA-256.

``api_key`` is the dependency every integration route declares: it answers 401 for a missing,
unknown or revoked key, notes when the key was last used, and gives the route the key's id.
"""
from __future__ import annotations

import hashlib
import secrets
from typing import Optional

from fastapi import Depends, Header, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import models as m
from bot.web.deps import Database, database


def new_key() -> str:
    return "luz_" + secrets.token_urlsafe(30)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, key: Optional[str] = None) -> str:
    """Stores a new key's hash and returns the key itself (shown once)."""
    key = key or new_key()
    session.add(m.ApiKey(name=name, key_hash=key_hash(key), prefix=key[:12]))
    session.flush()
    return key


async def api_key(x_api_key: Optional[str] = Header(None, description="the key given by `python -m bot apikey create`"),
                  db: Database = Depends(database)) -> int:
    if not x_api_key:
        raise HTTPException(status_code=401, detail="Missing X-API-Key header.")

    def check(session: Session) -> Optional[int]:
        row = session.execute(select(m.ApiKey).where(m.ApiKey.key_hash == key_hash(x_api_key))).scalar_one_or_none()
        if row is None or row.revoked_at is not None:
            return None
        row.last_used_at = m.utcnow()
        return row.id

    key_id = await db(check)
    if key_id is None:
        raise HTTPException(status_code=401, detail="Invalid or revoked API key.")
    return key_id
