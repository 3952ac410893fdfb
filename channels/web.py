"""The website widget's channel on the Rasa server: ``/webhooks/web/``, called by ``widget.js`` from a page.

It is public, called from browsers on other sites, so before anything it checks, in this order:

- **origin**: a browser's call from a page outside ``LUZ_WIDGET_ORIGINS`` is refused (403, no CORS headers, so
  the browser hides any answer from that page) before anything happens; allowed origins get their CORS headers;
- **size**: a body over ``MAX_BODY`` bytes is refused with a polite answer (413); a text over 1,000 characters is
  answered like on every channel ("¿me lo resumes?");
- **session**: ``POST /session`` issues a random, signed visitor session (``channels/visitors.py``), at most
  ``SESSIONS_PER_MINUTE`` per client address; every other call carries it (``"token"`` in the body, or
  ``Authorization: Bearer``), and a forged, altered, expired or unknown one is refused (401), so the widget starts
  a new one;
- **rate**: a visitor's messages pass the sender rate and the cap of turns in flight of every channel
  (``channels/bounds.py`` through ``channels/conversation.py``); polls are bounded per visitor too (429).

``POST /webhook`` takes ``{"token", "id": <the widget's id for the message>, "text", "label": <a button's title>,
"after": <the last message shown>}`` — nothing else is read: no sender, no phone, no metadata — runs the turn
(each id once, so a retried request is not a second turn; kept in the durable inbox while it runs, so a turn lost
with its process is run again by another) and answers with the messages after ``after``.
``POST /messages`` (``{"token", "after"}``) is the poll that brings an agent's replies after a handoff;
``POST /end`` (``{"token"}``) forgets the session when the visitor ends the conversation (a shared computer).

The widget sends JSON as ``text/plain`` with the token in the body: "simple" cross-origin requests, which need
no CORS preflight. That spares a round trip per poll, and Rasa's own CORS layer (sanic-cors, which answers every
preflight itself) never stands between the widget and this channel.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import logging
import re
from typing import Any, Dict, Optional, Tuple

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import Settings, get_settings
from channels import inbox, visitors
from channels.bounds import ALLOW, SenderRate
from channels.conversation import MAX_TEXT, TOO_LONG, Inbound, OnNewMessage, handle_turn
from channels.guard import Received, run_kept, watch_orphans
from channels.providers import provider_for
from channels.providers.web import WebProvider

log = logging.getLogger(__name__)
# sanic-cors (Rasa's CORS layer) leaves a response alone whose request carries this flag (sanic_cors.core); imported
# by value because importing sanic_cors warns (distutils).
SANIC_CORS_EVALUATED = "_sanic_cors_e"
MAX_BODY = 8192  # bytes of one call's JSON: a 1,000-character message in any script (3 bytes a character) fits
SESSIONS_PER_MINUTE = 10  # new visitor sessions per client address
POLLS_PER_MINUTE = 90  # the widget polls every few seconds; more is not a widget
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,48}")
WELCOME = ("¡Hola! Soy Luz, la asistente virtual de Energía del Valle. Puedo decirte cuánto debes, enviarte una "
           "copia de tu factura, registrar un corte de luz o comunicarte con una persona. ¿En qué te ayudo?")
WELCOME_BUTTONS = [("Consultar mi saldo", "/check_balance"), ("Copia de mi factura", "/request_bill_copy"),
                   ("Reportar que no tengo luz", "/report_outage"), ("Hablar con una persona", "/request_agent")]
SESSION_ENDED = "Tu sesión de chat terminó. Abre el chat de nuevo para seguir."
TOO_BIG = {"error": "too_large", "message": TOO_LONG}


def client_address(request: Request) -> str:
    """Who is calling: the address nginx saw (``X-Forwarded-For``'s last entry) when the call comes through the
    local proxy, the peer's address otherwise (a header from anyone else is not believed); an IPv6 one by its /64."""
    peer = request.ip or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        behind_proxy = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        behind_proxy = False
    address = forwarded.split(",")[-1].strip()[:60] if behind_proxy and forwarded else peer
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    # an IPv6 client holds a whole /64: counted as one address, as the console's sign-in throttle does
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address) if parsed.version == 6 else address


class WebInput(InputChannel):
    channel = "web"

    def __init__(self, provider: WebProvider, settings: Settings) -> None:
        self.provider, self.settings = provider, settings
        self.origins = frozenset(settings.widget_origins)
        self.sessions = visitors.VisitorSessions(str(settings.signing_secret), settings.widget_session_hours)
        self.new_sessions = SenderRate(SESSIONS_PER_MINUTE)
        self.polls = SenderRate(POLLS_PER_MINUTE)

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> WebInput:
        settings = get_settings()
        provider = provider_for("web", settings)
        if not isinstance(provider, WebProvider):
            raise TypeError("web is not sent through the web provider")
        log.info("website widget channel on: pages of %s may use it", ", ".join(sorted(settings.widget_origins)) or "no origin")
        return cls(provider, settings)

    # What every call passes -----------------------------------------------------------------------------------

    def origin_allowed(self, request: Request) -> bool:
        """A call without ``Origin`` is no page's (a server, a test): only browsers are held to the list."""
        origin = request.headers.get("Origin")
        return origin is None or origin.lower() in self.origins

    def answer(self, request: Request, body: Dict[str, Any], status: int = 200) -> HTTPResponse:
        """JSON with the CORS headers of an allowed page's origin (and only those: Rasa's CORS layer is told they
        are set), never cached."""
        context = getattr(request, "ctx", None)
        if context is not None:
            setattr(context, SANIC_CORS_EVALUATED, "1")
        headers = {"Cache-Control": "no-store", "Vary": "Origin"}
        origin = request.headers.get("Origin")
        if origin and origin.lower() in self.origins:
            headers.update({"Access-Control-Allow-Origin": origin, "Access-Control-Max-Age": "600",
                            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                            "Access-Control-Allow-Headers": "Authorization, Content-Type"})
        return response.json(body, status=status, headers=headers)

    def refused_origin(self, request: Request) -> HTTPResponse:
        log.warning("website widget: a page of %s is not among LUZ_WIDGET_ORIGINS", request.headers.get("Origin"))
        return response.json({"error": "origin"}, status=403, headers={"Vary": "Origin"})

    async def visitor(self, request: Request, body: Optional[Dict[str, Any]]) -> Tuple[Optional[str], Optional[HTTPResponse]]:
        """The visitor the call's session names (the body's ``token``, or ``Authorization: Bearer``), or the refusal."""
        scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
        token = bearer.strip() if scheme.lower() == "bearer" else (body or {}).get("token")
        try:
            if not isinstance(token, str) or not token:
                raise visitors.SessionInvalid("no session")
            visitor = self.sessions.visitor_of(token)
        except visitors.SessionExpired:
            return None, self.answer(request, {"error": "session_expired", "message": SESSION_ENDED}, 401)
        except visitors.SessionInvalid:
            return None, self.answer(request, {"error": "session_invalid", "message": SESSION_ENDED}, 401)
        if not await asyncio.to_thread(visitors.known, visitor):
            return None, self.answer(request, {"error": "session_invalid", "message": SESSION_ENDED}, 401)
        return visitor, None

    # The calls ------------------------------------------------------------------------------------------------

    async def open_session(self, request: Request) -> HTTPResponse:
        if self.new_sessions.check(f"ip:{client_address(request)}") != ALLOW:
            return self.answer(request, {"error": "too_many_sessions"}, 429)
        visitor, token = self.sessions.issue()
        await asyncio.to_thread(visitors.open_visitor, visitor, request.headers.get("Origin"))
        await asyncio.to_thread(visitors.add, visitor, "luz", WELCOME, None, WELCOME_BUTTONS)
        return self.answer(request, {"token": token, "expires_in": self.sessions.max_age})

    async def message(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        body = _json_object(request.body)
        visitor, refusal = await self.visitor(request, body)
        if visitor is None:
            return refusal  # type: ignore[return-value]
        if body is None:
            return self.answer(request, {"error": "expected a JSON object with token, id and text"}, 400)
        message_id, text, after = body.get("id"), body.get("text"), _cursor(body.get("after"))
        if not isinstance(message_id, str) or not MESSAGE_ID.fullmatch(message_id) or not isinstance(text, str):
            return self.answer(request, {"error": "id (8-48 letters, digits, - or _) and text are needed"}, 400)
        label = body.get("label") if isinstance(body.get("label"), str) else None
        kept = {"visitor": visitor, "id": message_id, "text": text}
        accepted = await asyncio.to_thread(inbox.accept, self.channel, f"{visitor}:{message_id}", visitor, kept,
                                           dt.timedelta(seconds=get_settings().inbox_lease_seconds))
        if accepted is not None:  # a retried request (nginx on another replica) is not a second turn
            shown = (label or text).strip()
            if shown:  # what the visitor wrote (or the button they pressed), as they will see it after a reload
                await asyncio.to_thread(visitors.add, visitor, "visitor", shown[:MAX_TEXT] + ("…" if len(shown) > MAX_TEXT else ""))
            received = await self.replay(kept)
            await run_kept(accepted, received.hand_over(on_new_message))
        return await self.shown(request, visitor, after)

    async def end(self, request: Request) -> HTTPResponse:
        """«Terminar»: on a shared computer the next person must not find the conversation (nor an identified
        account) in the tab, so the session is forgotten here and the widget starts afresh."""
        visitor, refusal = await self.visitor(request, _json_object(request.body))
        if visitor is None:
            return refusal  # type: ignore[return-value]
        await asyncio.to_thread(visitors.end, visitor)
        return self.answer(request, {"ended": True})

    async def shown(self, request: Request, visitor: str, after: int) -> HTTPResponse:
        """The messages after ``after``, and ``person``: whether a person has the conversation or it waits for one."""
        messages, person = await asyncio.to_thread(visitors.shown_after, visitor, after)
        return self.answer(request, {"messages": messages, "person": person})

    # The durable inbox (channels/guard.py): a turn lost with its process is run again by another one, and its
    # answer reaches the widget by the poll like any other.

    def payload(self, request: Request) -> Dict[str, Any]:
        """Not read from the request: ``message`` keeps the visitor (from the verified session), the id and the text."""
        raise NotImplementedError("the web channel keeps its messages itself")

    async def replay(self, kept: Dict[str, Any]) -> Received:
        inbound = Inbound(self.channel, str(kept["visitor"]), str(kept["text"]), {"channel": self.channel})
        return Received(str(kept["id"]), inbound.sender_id,
                        lambda on_new_message: handle_turn(inbound, on_new_message, self.provider))

    async def poll(self, request: Request) -> HTTPResponse:
        body = _json_object(request.body) if request.method == "POST" else {"after": request.args.get("after")}
        visitor, refusal = await self.visitor(request, body)
        if visitor is None:
            return refusal  # type: ignore[return-value]
        if self.polls.check(visitor) != ALLOW:
            return self.answer(request, {"error": "too_many_polls"}, 429)
        after = _cursor((body or {}).get("after"))
        return await self.shown(request, visitor, after)

    async def route(self, call: str, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """One call (``session``, ``message``, ``poll``, ``end``) after the origin check; a preflight gets its headers only."""
        if not self.origin_allowed(request):
            return self.refused_origin(request)
        if request.method == "OPTIONS":  # a preflight (only where Rasa's CORS layer does not answer it first)
            return self.answer(request, {})
        if len(request.body or b"") > MAX_BODY:
            return self.answer(request, TOO_BIG, 413)
        if call == "session":
            return await self.open_session(request)
        if call == "message":
            return await self.message(request, on_new_message)
        if call == "end":
            return await self.end(request)
        return await self.poll(request)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint("web_webhook", __name__)

        watch_orphans(hook, self, on_new_message)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok"})

        @hook.route("/session", methods=["POST", "OPTIONS"])
        async def session(request: Request):
            return await self.route("session", request, on_new_message)

        @hook.route("/webhook", methods=["POST", "OPTIONS"])
        async def receive(request: Request):
            return await self.route("message", request, on_new_message)

        @hook.route("/messages", methods=["GET", "POST", "OPTIONS"])
        async def messages(request: Request):
            return await self.route("poll", request, on_new_message)

        @hook.route("/end", methods=["POST", "OPTIONS"])
        async def end(request: Request):
            return await self.route("end", request, on_new_message)

        return hook


def _json_object(body: Optional[bytes]) -> Optional[Dict[str, Any]]:
    try:
        parsed = json.loads(body or b"")
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _cursor(value: Any) -> int:
    """The id of the last message the widget showed (0: from the start)."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0
