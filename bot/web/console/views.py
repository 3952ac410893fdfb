"""The agent console: sign in, the live queue, a conversation, reply, notes, transfer, close.

Pages are server-rendered (Jinja2); the queue and the open conversation stay
live through server-sent events fed from the database, so several web
service replicas serve them alike. Nothing here is reachable signed out:
pages redirect to the sign-in form, APIs answer 401.
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Optional, TypeVar

import yaml
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session
from zoneinfo import ZoneInfo

from bot import clock
from bot import handoff as queue
from bot import kpis, restoration
from bot.web import report
from bot import transcript
from bot.web.console import auth
from bot.web.console.customer_context import customer_context
from bot.web.console.throttle import SignInThrottle
from bot.web.kpi_charts import CHARTS
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.formatting import moment
from bot.settings import Settings
from channels import outbound

HERE = Path(__file__).resolve().parent
CANNED = yaml.safe_load((HERE / "canned.yml").read_text(encoding="utf-8"))
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "sms": "SMS", "telegram": "Telegram", "rest": "Web/API"}
STATUS_LABELS = {"queued": "En espera", "assigned": "En atención", "closed": "Cerrada", "left": "El cliente volvió a Luz",
                 "diverted": "Derivada"}
T = TypeVar("T")


class SignedOut(Exception):
    """A page asked for by someone not signed in: sent to the sign-in form."""


def console_router(settings: Settings) -> APIRouter:
    engine = engine_for(settings.database_url)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(channel_labels=CHANNEL_LABELS, status_labels=STATUS_LABELS, time_zone=settings.timezone,
                                 priority_labels=queue.PRIORITY_LABELS, reason_labels=queue.REASON_LABELS)
    zone = ZoneInfo(settings.timezone)
    templates.env.filters["local"] = lambda when: when.astimezone(zone).strftime("%d/%m %H:%M") if when else ""
    router = APIRouter(prefix="/console")
    throttle = SignInThrottle()

    def _in_session(work: Callable[[Session], T]) -> T:
        with session_scope(engine) as session:
            return work(session)

    async def db(work: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(_in_session, work)

    async def signed_in(request: Request) -> Optional[Dict]:
        agent_id = auth.signed_in_id(request)
        if agent_id is None:
            return None

        def load(session: Session) -> Optional[Dict]:
            agent = session.get(m.Agent, agent_id)
            if agent is None or not agent.active:
                return None
            now = m.utcnow()
            if agent.last_seen_at is None or now - agent.last_seen_at > dt.timedelta(seconds=20):
                queue.touch(session, agent, now)
            return {"id": agent.id, "name": agent.full_name, "role": agent.role.value, "username": agent.username}

        return await db(load)

    async def page_agent(request: Request) -> Dict:
        agent = await signed_in(request)
        if agent is None:
            raise SignedOut()
        return agent

    async def api_agent(request: Request) -> Dict:
        agent = await signed_in(request)
        if agent is None:
            raise HTTPException(status_code=401, detail="Inicia sesión en la consola.")
        return agent

    def render(request: Request, name: str, context: Dict[str, Any], status_code: int = 200) -> HTMLResponse:
        return templates.TemplateResponse(name, {"request": request, "csrf": auth.csrf_token(request), **context},
                                          status_code=status_code)

    # Sign in and out ---------------------------------------------------------------------------

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request):
        if "csrf" not in request.session:
            request.session["csrf"] = auth.secrets.token_urlsafe(24)
        return render(request, "login.html", {"error": None})

    @router.post("/login", dependencies=[Depends(auth.check_csrf)])
    async def login(request: Request, username: str = Form(""), password: str = Form("")):
        wait = throttle.wait_seconds(username)
        if wait:
            minutes = max(1, round(wait / 60))
            error = f"Demasiados intentos fallidos. Intenta de nuevo en {minutes} min o pide ayuda a un supervisor."
            return render(request, "login.html", {"error": error}, status_code=429)

        def check(session: Session):
            agent = auth.authenticate(session, username, password)
            if agent is not None:
                queue.touch(session, agent)
            return agent

        agent = await db(check)
        if agent is None:
            throttle.failed(username)
            return render(request, "login.html", {"error": "Usuario o contraseña incorrectos."}, status_code=401)
        throttle.succeeded(username)
        auth.sign_in(request, agent)
        return RedirectResponse("/console", status_code=303)

    @router.post("/logout", dependencies=[Depends(auth.check_csrf)])
    async def logout(request: Request):
        agent_id = auth.signed_in_id(request)
        if agent_id is not None:
            def offline(session: Session) -> None:
                agent = session.get(m.Agent, agent_id)
                if agent is not None:
                    agent.last_seen_at = None  # no longer counted as attending the queue

            await db(offline)
        request.session.clear()
        return RedirectResponse("/console/login", status_code=303)

    # The queue ---------------------------------------------------------------------------------

    def snapshot(agent: Dict) -> Callable[[Session], Dict]:
        def read(session: Session) -> Dict:
            assigned = session.execute(
                select(m.Handoff).where(m.Handoff.status == m.HandoffStatus.assigned).order_by(m.Handoff.taken_at)
            ).scalars().all()
            return {
                "waiting": [_row(h, position) for position, h in enumerate(queue.waiting(session), start=1)],
                "mine": [_row(h) for h in assigned if h.agent_id == agent["id"]],
                "others": [_row(h) for h in assigned if h.agent_id != agent["id"]],
                "online": queue.agents_online(session, m.utcnow()),
            }
        return read

    @router.get("", response_class=HTMLResponse)
    async def queue_page(request: Request, agent: Dict = Depends(page_agent)):
        return render(request, "queue.html", {"agent": agent, "snapshot": await db(snapshot(agent)),
                                              "notice": request.query_params.get("aviso")})

    @router.get("/api/queue")
    async def queue_json(agent: Dict = Depends(api_agent)):
        return await db(snapshot(agent))

    @router.get("/api/queue/stream")
    async def queue_stream(request: Request, agent: Dict = Depends(api_agent)):
        async def produce() -> Optional[Dict]:
            await signed_in(request)  # keeps the agent counted as online while the page is open
            return await db(snapshot(agent))

        return event_stream(request, produce)

    @router.post("/handoffs/{handoff_id}/take", dependencies=[Depends(auth.check_csrf)])
    async def take(handoff_id: int, request: Request, agent: Dict = Depends(api_agent)):
        def assign(session: Session) -> Optional[Dict]:
            me = session.get(m.Agent, agent["id"])
            if not queue.take(session, handoff_id, me):
                return None
            handoff = session.get(m.Handoff, handoff_id)
            session.refresh(handoff)
            greeting = queue.taken_text(me)
            queue.add_message(session, handoff, "system", f"{me.full_name} tomó la conversación.")
            return {"channel": handoff.channel, "conversation_id": handoff.conversation_id, "greeting": greeting}

        taken = await db(assign)
        if taken is None:
            if _wants_json(request):
                return JSONResponse({"detail": "Otra persona ya tomó esta conversación."}, status_code=409)
            return RedirectResponse("/console?aviso=tomada", status_code=303)
        await outbound.deliver(taken["channel"], taken["conversation_id"], [{"text": taken["greeting"]}])
        if _wants_json(request):
            return {"taken": handoff_id}
        return RedirectResponse(f"/console/handoffs/{handoff_id}", status_code=303)

    # One conversation --------------------------------------------------------------------------

    def load_handoff(session: Session, handoff_id: int) -> m.Handoff:
        handoff = session.get(m.Handoff, handoff_id)
        if handoff is None:
            raise HTTPException(status_code=404, detail="No existe esa conversación.")
        return handoff

    def owned(session: Session, handoff_id: int, agent: Dict) -> m.Handoff:
        """The handoff, if this agent may act on it: theirs and open (supervisors may act on any open one)."""
        handoff = load_handoff(session, handoff_id)
        if handoff.status != m.HandoffStatus.assigned:
            raise HTTPException(status_code=409, detail="Esta conversación ya no está en atención.")
        if handoff.agent_id != agent["id"] and agent["role"] != "supervisor":
            raise HTTPException(status_code=403, detail="Esta conversación la atiende otra persona.")
        return handoff

    @router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
    async def conversation_page(handoff_id: int, request: Request, agent: Dict = Depends(page_agent)):
        def read(session: Session) -> Dict:
            handoff = load_handoff(session, handoff_id)
            earlier = session.execute(select(m.Handoff).where(
                m.Handoff.conversation_id == handoff.conversation_id, m.Handoff.id <= handoff.id)
                .order_by(m.Handoff.id)).scalars().all()
            colleagues = session.execute(select(m.Agent).where(m.Agent.active.is_(True), m.Agent.id != agent["id"])
                                         .order_by(m.Agent.full_name)).scalars().all()
            return {
                "handoff": handoff, "agent_name": handoff.agent.full_name if handoff.agent else None,
                "people": transcript.handoff_lines(earlier),
                "context": customer_context(session, handoff, settings.timezone),
                "colleagues": [{"id": a.id, "name": a.full_name} for a in colleagues],
                "last_message_id": max((msg.id for msg in handoff.messages), default=0),
            }

        data = await db(read)
        lines = transcript.merged(
            await asyncio.to_thread(transcript.assistant_lines, settings.tracker_store_url, data["handoff"].conversation_id),
            data.pop("people"))
        understood = [line for line in lines if line.who == "customer" and line.intent][-5:]
        mine = data["handoff"].agent_id == agent["id"] or agent["role"] == "supervisor"
        return render(request, "conversation.html", {
            "agent": agent, "lines": lines, "understood": understood, "canned": CANNED, "can_act": mine,
            "deliverable": outbound.can_deliver(data["handoff"].channel), **data,
        })

    @router.get("/api/handoffs/{handoff_id}/messages")
    async def messages_json(handoff_id: int, after: int = 0, agent: Dict = Depends(api_agent)):
        return await db(lambda session: _messages_since(load_handoff(session, handoff_id), after))

    @router.get("/api/handoffs/{handoff_id}/stream")
    async def messages_stream(handoff_id: int, request: Request, after: int = 0, agent: Dict = Depends(api_agent)):
        await db(lambda session: load_handoff(session, handoff_id))
        cursor = {"after": after, "status": None}

        async def produce() -> Optional[Dict]:
            data = await db(lambda session: _messages_since(load_handoff(session, handoff_id), cursor["after"]))
            if not data["messages"] and data["status"] == cursor["status"]:
                return None
            if data["messages"]:
                cursor["after"] = data["messages"][-1]["id"]
            cursor["status"] = data["status"]
            return data

        return event_stream(request, produce)

    async def post_json(request: Request) -> Dict:
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(status_code=400, detail="El cuerpo debe ser JSON.")
        text = str(body.get("text", "")).strip() if isinstance(body, dict) else ""
        if not text:
            raise HTTPException(status_code=422, detail="Escribe un mensaje.")
        if len(text) > 1500:
            raise HTTPException(status_code=422, detail="El mensaje es muy largo (máximo 1.500 caracteres).")
        return {"text": text}

    @router.post("/api/handoffs/{handoff_id}/reply", dependencies=[Depends(auth.check_csrf)])
    async def reply(handoff_id: int, request: Request, agent: Dict = Depends(api_agent)):
        text = (await post_json(request))["text"]

        def record(session: Session) -> Dict:
            handoff = owned(session, handoff_id, agent)
            me = session.get(m.Agent, agent["id"])
            message = queue.add_message(session, handoff, "agent", text, me)
            return {"channel": handoff.channel, "conversation_id": handoff.conversation_id,
                    "body": queue.agent_text(me, text), "message": _message(message)}

        sent = await db(record)
        delivered = await outbound.deliver(sent["channel"], sent["conversation_id"], [{"text": sent["body"]}])
        return {**sent["message"], "delivered": delivered}

    @router.post("/api/handoffs/{handoff_id}/note", dependencies=[Depends(auth.check_csrf)])
    async def note(handoff_id: int, request: Request, agent: Dict = Depends(api_agent)):
        text = (await post_json(request))["text"]

        def record(session: Session) -> Dict:
            handoff = owned(session, handoff_id, agent)
            return _message(queue.add_message(session, handoff, "note", text, session.get(m.Agent, agent["id"])))

        return await db(record)

    @router.post("/handoffs/{handoff_id}/transfer", dependencies=[Depends(auth.check_csrf)])
    async def transfer(handoff_id: int, agent: Dict = Depends(api_agent), to_agent: int = Form(...)):
        def move(session: Session) -> None:
            handoff = owned(session, handoff_id, agent)
            target = session.get(m.Agent, to_agent)
            if target is None or not target.active:
                raise HTTPException(status_code=422, detail="Elige una persona activa.")
            queue.transfer(session, handoff, session.get(m.Agent, agent["id"]), target)

        await db(move)
        return RedirectResponse("/console?aviso=transferida", status_code=303)

    @router.post("/handoffs/{handoff_id}/close", dependencies=[Depends(auth.check_csrf)])
    async def close(handoff_id: int, agent: Dict = Depends(api_agent), resolution: str = Form("")):
        if not resolution.strip():
            raise HTTPException(status_code=422, detail="Escribe cómo se resolvió antes de cerrar.")

        def finish(session: Session) -> Dict:
            handoff = owned(session, handoff_id, agent)
            queue.close(session, handoff, session.get(m.Agent, agent["id"]), resolution)
            return {"channel": handoff.channel, "conversation_id": handoff.conversation_id}

        closed = await db(finish)
        await outbound.deliver(closed["channel"], closed["conversation_id"], [{
            "text": queue.SURVEY_TEXT,
            "buttons": [{"title": title, "payload": payload} for title, payload in queue.SURVEY_OPTIONS]}])
        return RedirectResponse("/console?aviso=cerrada", status_code=303)

    # Supervisors: service KPIs ------------------------------------------------------------------

    async def supervisor(request: Request) -> Dict:
        agent = await page_agent(request)
        if agent["role"] != "supervisor":
            raise HTTPException(status_code=403, detail="Solo para supervisión.")
        return agent

    async def figures_for(request: Request) -> tuple:
        filters, error = kpi_filters(request.query_params, settings.timezone)
        figures = await db(lambda session: kpis.compute(session, filters["start"], filters["end"], settings.timezone,
                                                        filters["channel"], filters["every"]))
        return figures, error

    @router.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request, agent: Dict = Depends(supervisor)):
        figures, error = await figures_for(request)
        expired = await db(lambda session: [expired_estimate_row(o, settings.timezone)
                                            for o in restoration.expired_estimates(session)])
        return render(request, "dashboard.html", {
            "agent": agent, "figures": figures, "sections": report.sections(figures), "error": error,
            "expired_estimates": expired,
            "channels": kpis.CHANNELS, "fmt": report.fmt, "query": request.url.query})

    @router.get("/dashboard.csv")
    async def dashboard_csv(request: Request, agent: Dict = Depends(supervisor)):
        figures, _ = await figures_for(request)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["sección", "indicador", "valor"])
        writer.writerows(kpis.flatten(figures))
        period = figures["period"]
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="indicadores-{period["from"]}-{period["to"]}.csv"'})

    @router.get("/dashboard/charts/{name}.png")
    async def dashboard_chart(name: str, request: Request, agent: Dict = Depends(supervisor)):
        if name not in CHARTS:
            raise HTTPException(status_code=404, detail="No existe ese gráfico.")
        figures, _ = await figures_for(request)
        return Response(await asyncio.to_thread(CHARTS[name], figures), media_type="image/png",
                        headers={"Cache-Control": "private, max-age=60"})

    return router


def expired_estimate_row(outage: m.Outage, timezone: str) -> Dict[str, str]:
    """An outage whose estimate passed with the power still out, as a supervisor reads it."""
    late = int((clock.now() - outage.estimated_restoration_at).total_seconds() // 60)
    zones = ", ".join(sorted({area.zone.name for area in outage.areas}))
    return {"id": str(outage.id), "zones": zones, "cause": outage.cause,
            "estimate": moment(outage.estimated_restoration_at, timezone), "late": f"{late // 60} h {late % 60:02d} min"}


def kpi_filters(params, timezone: str) -> tuple:
    """Dates (default: the last 30 days), channel and grouping from a query string; and what was wrong with it."""
    today = clock.today()
    filters = {"start": today - dt.timedelta(days=29), "end": today, "channel": None, "every": "day"}
    error = None
    try:
        if params.get("from"):
            filters["start"] = dt.date.fromisoformat(params["from"])
        if params.get("to"):
            filters["end"] = dt.date.fromisoformat(params["to"])
    except ValueError:
        error = "Fecha no válida: usa el formato AAAA-MM-DD."
    if filters["start"] > filters["end"]:
        error, filters["start"], filters["end"] = "La fecha inicial es posterior a la final.", filters["end"], filters["start"]
    if (filters["end"] - filters["start"]).days > 366:
        error, filters["start"] = "El rango máximo es de un año.", filters["end"] - dt.timedelta(days=366)
    if params.get("channel") in kpis.CHANNELS:
        filters["channel"] = params["channel"]
    if params.get("every") in ("day", "week", "month"):
        filters["every"] = params["every"]
    return filters, error


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _row(handoff: m.Handoff, position: int = 0) -> Dict:
    customer = handoff.customer.full_name if handoff.customer else None
    return {
        "id": handoff.id, "position": position, "priority": handoff.priority,
        "priority_label": queue.PRIORITY_LABELS[handoff.priority], "reason": queue.REASON_LABELS.get(handoff.reason, handoff.reason),
        "channel": CHANNEL_LABELS.get(handoff.channel, handoff.channel),
        "customer": customer or handoff.conversation_id, "summary": handoff.summary or "",
        "since": handoff.created_at.isoformat(), "taken_at": handoff.taken_at.isoformat() if handoff.taken_at else None,
        "agent": handoff.agent.full_name if handoff.agent else None,
    }


def _message(message: m.HandoffMessage) -> Dict:
    return {"id": message.id, "kind": message.kind, "body": message.body, "at": message.created_at.isoformat(),
            "author": message.agent.full_name if message.agent else None}


def _messages_since(handoff: m.Handoff, after: int) -> Dict:
    return {"status": handoff.status.value, "messages": [_message(msg) for msg in handoff.messages if msg.id > after]}


def event_stream(request: Request, produce: Callable[[], Awaitable[Optional[Dict]]], interval: float = 1.0) -> Response:
    """Server-sent events: ``produce()`` every ``interval`` seconds, sent when it changed; a keep-alive otherwise."""
    async def stream() -> AsyncIterator[str]:
        last, quiet = None, 0
        while not await request.is_disconnected():
            data = await produce()
            if data is not None and data != last:
                yield f"data: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
                last, quiet = data, 0
            else:
                quiet += 1
                if quiet % 15 == 0:
                    yield ": sigo aquí\n\n"
            await asyncio.sleep(interval)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def signed_out_handler(request: Request, _error: SignedOut) -> RedirectResponse:
    return RedirectResponse("/console/login", status_code=303)
