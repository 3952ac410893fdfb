"""How the console renders: its Jinja2 templates, their labels and filters, and server-sent events.

Pages are server-rendered; the queue and the open conversation stay live through server-sent
events fed from the database, so several web service replicas serve them alike.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Optional
from zoneinfo import ZoneInfo

import yaml
from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from bot import handoff as queue
from bot.db.models import utcnow
from bot.settings import Settings
from bot.web.console import auth

HERE = Path(__file__).resolve().parent
CANNED = yaml.safe_load((HERE / "canned.yml").read_text(encoding="utf-8"))
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "sms": "SMS", "telegram": "Telegram", "web": "Sitio web", "voice": "Teléfono",
                  "rest": "API REST (pruebas)"}
STATUS_LABELS = {"queued": "En espera", "assigned": "En atención", "closed": "Cerrada", "left": "El cliente volvió a Luz",
                 "diverted": "Derivada"}


def console_templates(settings: Settings) -> Jinja2Templates:
    """The templates with the labels every page uses and ``|local`` (a moment in the utility's time zone)."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(channel_labels=CHANNEL_LABELS, status_labels=STATUS_LABELS, time_zone=settings.timezone,
                                 priority_labels=queue.PRIORITY_LABELS, reason_labels=queue.REASON_LABELS)
    zone = ZoneInfo(settings.timezone)
    templates.env.filters["local"] = lambda when: when.astimezone(zone).strftime("%d/%m %H:%M") if when else ""
    templates.env.filters["local_input"] = lambda when: when.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if when else ""
    return templates


def render(request: Request, name: str, context: Dict[str, Any], status_code: int = 200) -> Response:
    """A page, with the session's CSRF token for its forms."""
    templates: Jinja2Templates = request.app.state.console_templates
    return templates.TemplateResponse(name, {"request": request, "csrf": auth.csrf_token(request),
                                             "desk_since": utcnow().isoformat(), **context}, status_code=status_code)


def wants_json(request: Request) -> bool:
    """A script (the queue page's buttons) rather than a plain form post: answer JSON, not a redirect."""
    return "application/json" in request.headers.get("accept", "")


SIGNED_OUT_EVENT = "event: signed-out\ndata: {}\n\n"


def event_stream(request: Request, produce: Callable[[], Awaitable[Optional[Dict]]], interval: float = 1.0,
                 still_signed_in: Optional[Callable[[], Awaitable[bool]]] = None, recheck_every: int = 5) -> Response:
    """Server-sent events: ``produce()`` every ``interval`` seconds, sent when it changed; a keep-alive otherwise.
    ``still_signed_in()`` is asked every ``recheck_every`` rounds: once the session is revoked (signed out, new
    password, agent disabled) the stream says ``signed-out`` and ends."""
    async def stream() -> AsyncIterator[str]:
        last, quiet, rounds = None, 0, 0
        while not await request.is_disconnected():
            rounds += 1
            if still_signed_in is not None and rounds % recheck_every == 0 and not await still_signed_in():
                yield SIGNED_OUT_EVENT
                return
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
