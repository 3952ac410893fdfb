"""Who is using the console: hashed passwords, the signed session cookie, CSRF tokens.

Passwords are hashed with scrypt (standard library, memory-hard) and a random
salt per agent. The session is Starlette's signed cookie (``LUZ_SESSION_SECRET``)
holding the agent's id, their session epoch and a CSRF token; every state-changing
request must echo that token, in a form field or the ``X-CSRF-Token`` header. A
cookie whose epoch is not the agent's current one (they signed out, or their
password changed) is refused on every request.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Optional

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import models as m

_N, _R, _P = 2 ** 14, 8, 1
CSRF_HEADER = "X-CSRF-Token"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate, base64.b64decode(digest))


_DUMMY_HASH = hash_password(secrets.token_urlsafe(12))


def authenticate(session: Session, username: str, password: str) -> Optional[m.Agent]:
    """The active agent with these credentials; unknown names cost the same time as wrong passwords."""
    agent = session.execute(select(m.Agent).where(m.Agent.username == username.strip().lower())).scalar_one_or_none()
    if agent is None or not agent.active:
        verify_password(password, _DUMMY_HASH)
        return None
    return agent if verify_password(password, agent.password_hash) else None


def create_agent(session: Session, username: str, full_name: str, password: str,
                 role: m.AgentRole = m.AgentRole.agent) -> m.Agent:
    if len(password) < 8:
        raise ValueError("la contraseña debe tener al menos 8 caracteres")
    agent = m.Agent(username=username.strip().lower(), full_name=full_name.strip(), role=role,
                    password_hash=hash_password(password))
    session.add(agent)
    session.flush()
    return agent


def sign_in(request: Request, agent: m.Agent) -> None:
    request.session.clear()
    request.session.update({"agent_id": agent.id, "epoch": agent.session_epoch, "csrf": secrets.token_urlsafe(24)})


def signed_in_id(request: Request) -> Optional[int]:
    return request.session.get("agent_id")


def session_is_current(request: Request, agent: m.Agent) -> bool:
    """Whether the cookie was issued since the agent last signed out or changed password (``revoke_sessions``)."""
    return request.session.get("epoch") == agent.session_epoch


def revoke_sessions(agent: m.Agent) -> None:
    """Every session the agent has stops working at its next request (streams included): sign-out, new password."""
    agent.session_epoch = (agent.session_epoch or 0) + 1


def change_password(agent: m.Agent, password: str) -> None:
    if len(password) < 8:
        raise ValueError("la contraseña debe tener al menos 8 caracteres")
    agent.password_hash = hash_password(password)
    revoke_sessions(agent)


def csrf_token(request: Request) -> str:
    return request.session.get("csrf", "")


async def check_csrf(request: Request) -> None:
    """Refuses a state-changing request that does not carry the session's token."""
    expected = csrf_token(request)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        field = (await request.form()).get("csrf")
        given = field if isinstance(field, str) else None  # a file posted as the token is no token
    if not expected or not given or not hmac.compare_digest(str(given), expected):
        raise HTTPException(status_code=403, detail="Solicitud no válida: recarga la página e inténtalo de nuevo.")
