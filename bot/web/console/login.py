"""Signing in and out of the console.

The form carries a CSRF token from the first visit; wrong passwords are counted per user name
(``throttle``) and answered 429 once too many; signing out stops the agent counting as online and
revokes every session of theirs.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from bot import assignment
from bot import handoff as queue
from bot.db import models as m
from bot.web.console import auth
from bot.web.console.access import sign_in_throttle
from bot.web.console.pages import render
from bot.web.console.throttle import SignInThrottle
from bot.web.deps import Database, database

router = APIRouter(prefix="/console")


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request):
    if "csrf" not in request.session:
        request.session["csrf"] = auth.secrets.token_urlsafe(24)
    return render(request, "login.html", {"error": None})


@router.post("/login", dependencies=[Depends(auth.check_csrf)])
async def login(request: Request, username: str = Form(""), password: str = Form(""),
                throttle: SignInThrottle = Depends(sign_in_throttle), db: Database = Depends(database)):
    address = request.client.host if request.client else None  # the client's, through the proxy (throttle.py)
    wait = throttle.wait_seconds(username, address)
    if wait:
        minutes = max(1, round(wait / 60))
        error = f"Demasiados intentos fallidos. Intenta de nuevo en {minutes} min o pide ayuda a un supervisor."
        return render(request, "login.html", {"error": error}, status_code=429)

    def check(session: Session):
        agent = auth.authenticate(session, username, password)
        if agent is not None:
            queue.touch(session, agent)
            if agent.presence == assignment.OFFLINE:  # signed in, not yet receiving: they choose «Disponible»
                assignment.set_presence(session, agent, assignment.AWAY, m.utcnow())
        return agent

    agent = await db(check)
    if agent is None:
        throttle.failed(username, address)
        return render(request, "login.html", {"error": "Usuario o contraseña incorrectos."}, status_code=401)
    throttle.succeeded(username, address)
    auth.sign_in(request, agent)
    return RedirectResponse("/console", status_code=303)


@router.post("/logout", dependencies=[Depends(auth.check_csrf)])
async def logout(request: Request, db: Database = Depends(database)):
    agent_id = auth.signed_in_id(request)
    if agent_id is not None:
        def offline(session: Session) -> None:
            agent = session.get(m.Agent, agent_id)
            if agent is not None and auth.session_is_current(request, agent):
                agent.last_seen_at = None  # no longer counted as attending the queue
                assignment.set_presence(session, agent, assignment.OFFLINE, m.utcnow(),
                                        f"{agent.full_name} cerró sesión: la conversación vuelve a la fila.")
                auth.revoke_sessions(agent)  # a copy of the cookie (another tab, a stolen one) stops working too

        await db(offline)
    request.session.clear()
    return RedirectResponse("/console/login", status_code=303)
