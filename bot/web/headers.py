"""Security headers on every answer of the web service, in every profile (production's nginx adds its own too).

The console and the widget's demo page run no inline script, so the Content-Security-Policy allows scripts from
this origin only; pages may not be framed; the widget's channel (another origin in development: the Rasa server's
own port) is the one other place a page may connect to.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Tuple
from urllib.parse import urlsplit

from bot.settings import Settings

Scope = Dict[str, Any]
Receive = Callable[[], Awaitable[Dict[str, Any]]]
Send = Callable[[Dict[str, Any]], Awaitable[None]]


def policy(settings: Settings) -> str:
    connect = "'self'"
    if settings.widget_api_url:
        api = urlsplit(settings.widget_api_url)
        own = urlsplit(settings.public_base_url)
        if (api.scheme, api.netloc) != (own.scheme, own.netloc):
            connect += f" {api.scheme}://{api.netloc}"
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            f"connect-src {connect}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class SecurityHeaders:
    """Pure ASGI (streams, such as the console's live updates, pass untouched): adds the headers at the start."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], settings: Settings) -> None:
        self.app = app
        self.headers: List[Tuple[bytes, bytes]] = [
            (b"content-security-policy", policy(settings).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in self.headers if name not in present]
            await send(message)

        await self.app(scope, receive, with_headers)
