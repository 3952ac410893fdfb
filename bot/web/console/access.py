"""Who may use the console, as route dependencies: the signed-in agent, a supervisor.

Nothing in the console is reachable signed out: pages (``page_agent``) send the browser to the
sign-in form, the console's JSON and form posts (``api_agent``) answer 401, and the dashboard
(``supervisor``) answers 403 to an agent. Every check also keeps the agent counted as online, and
refuses a session revoked since (signed out, password changed, agent disabled).
"""
from __future__ import annotations

import datetime as dt
from typing import Dict, Optional

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from bot import handoff as queue
from bot.db import models as m
from bot.web.console import auth
from bot.web.console.throttle import SignInThrottle
from bot.web.deps import Database, database


class SignedOut(Exception):
    """A page asked for by someone not signed in: sent to the sign-in form."""


def signed_out_handler(request: Request, _error: Exception) -> RedirectResponse:
    """Registered for ``SignedOut`` only: a page asked for without a session goes to the sign-in form."""
    return RedirectResponse("/console/login", status_code=303)


async def signed_in(request: Request, db: Database, active: bool = False) -> Optional[Dict]:
    """The session's agent (id, name, role, username, presence) if still active, else None; notes them as seen
    (``active``: as doing something too, which keeps an available agent from turning away, ``bot/assignment.py``)."""
    agent_id = auth.signed_in_id(request)
    if agent_id is None:
        return None

    def load(session: Session) -> Optional[Dict]:
        agent = session.get(m.Agent, agent_id)
        if agent is None or not agent.active or not auth.session_is_current(request, agent):
            return None
        now = m.utcnow()
        if agent.last_seen_at is None or now - agent.last_seen_at > dt.timedelta(seconds=20):
            queue.touch(session, agent, now)
        if active and (agent.last_active_at is None or now - agent.last_active_at > dt.timedelta(seconds=20)):
            agent.last_active_at = now
        return {"id": agent.id, "name": agent.full_name, "role": agent.role.value, "username": agent.username,
                "presence": agent.presence}

    return await db(load)


async def page_agent(request: Request, db: Database = Depends(database)) -> Dict:
    agent = await signed_in(request, db, active=True)
    if agent is None:
        raise SignedOut()
    return agent


async def api_agent(request: Request, db: Database = Depends(database)) -> Dict:
    agent = await signed_in(request, db, active=request.method == "POST")
    if agent is None:
        raise HTTPException(status_code=401, detail="Inicia sesión en la consola.")
    return agent


async def supervisor(agent: Dict = Depends(page_agent)) -> Dict:
    if agent["role"] != "supervisor":
        raise HTTPException(status_code=403, detail="Solo para supervisión.")
    return agent


async def api_supervisor(agent: Dict = Depends(api_agent)) -> Dict:
    """A supervisor calling the console's JSON or form posts (401 signed out, 403 for an agent)."""
    if agent["role"] != "supervisor":
        raise HTTPException(status_code=403, detail="Solo para supervisión.")
    return agent


def sign_in_throttle(request: Request) -> SignInThrottle:
    """The process's count of failed sign-ins (one per app: ``create_app`` makes it)."""
    return request.app.state.sign_in_throttle
