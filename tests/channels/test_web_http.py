"""The website widget's channel over HTTP on the running product (the real Rasa server, its CORS layer, the model).

What a stranger on the internet can try: a page of another site, a forged session, an oversized message, a phone
claimed from the browser. The browser itself is in ``tests/console/test_widget_browser.py``.
"""
from __future__ import annotations

import json
import uuid
from typing import Dict, Optional

import httpx
import pytest

pytestmark = pytest.mark.slow
OTHER = "https://phishing.example"


def page_origin(product) -> str:
    return product["env"]["PUBLIC_BASE_URL"]  # the demo page's origin: allowed by default


def call(product, path: str, body: Optional[Dict] = None, origin: Optional[str] = None,
         content: Optional[bytes] = None, method: str = "POST") -> httpx.Response:
    """A call as the widget makes it: JSON sent as text/plain (no preflight), the session in the body."""
    return httpx.request(method, f"{product['base']}/webhooks/web{path}", timeout=60,
                         headers={"Origin": origin or page_origin(product), "Content-Type": "text/plain;charset=UTF-8"},
                         content=content if content is not None else json.dumps(body or {}).encode())


def session(product) -> str:
    response = call(product, "/session")
    assert response.status_code == 200, response.text
    return response.json()["token"]


def say(product, token: str, text: str, **extra) -> list:
    response = call(product, "/webhook", {"token": token, "id": uuid.uuid4().hex, "text": text, **extra})
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def test_only_the_configured_origins_get_cors_and_others_are_refused(product):
    allowed = call(product, "/session")
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == page_origin(product)
    token = allowed.json()["token"]
    for path, body in (("/session", {}), ("/messages", {"token": token}),
                       ("/webhook", {"token": token, "id": uuid.uuid4().hex, "text": "cuánto debo"})):
        refused = call(product, path, body, origin=OTHER)
        assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    preflight = call(product, "/webhook", origin=OTHER, method="OPTIONS", content=b"")
    assert preflight.headers.get("access-control-allow-origin") in (None, "")  # nobody's preflight is granted
    assert call(product, "/messages", {"token": token}).json()["messages"][-1]["author"] == "luz"  # nothing was said


def test_a_forged_session_is_refused(product):
    token = session(product)
    forged = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
    response = call(product, "/webhook", {"token": forged, "id": uuid.uuid4().hex, "text": "cuánto debo"})
    assert response.status_code == 401 and response.json()["error"] == "session_invalid"
    assert response.headers["access-control-allow-origin"] == page_origin(product)  # the widget reads why
    assert call(product, "/messages", {"token": "not-a-session"}).status_code == 401


def test_an_oversized_message_is_answered_politely(product):
    token = session(product)
    huge = call(product, "/webhook", content=json.dumps({"token": token, "id": "big-message-1", "text": "a" * 9000}).encode())
    assert huge.status_code == 413 and "resumes" in huge.json()["message"]
    long = say(product, token, "no entiendo mi factura " * 60)
    assert "resumes" in long[-1]["text"]


def test_a_phone_claimed_by_the_browser_identifies_nobody(product):
    token = session(product)
    claim = {"phone": "+573001234501", "sender": "+573001234501", "metadata": {"phone": "+573001234501"}}
    answer = say(product, token, "cuánto debo", **claim)
    assert "número de cuenta" in answer[-1]["text"] and "$" not in answer[-1]["text"]  # not Ana's balance
    answer = say(product, token, "100200301", **claim)
    assert "últimos 4 dígitos" in answer[-1]["text"]
    answer = say(product, token, "1234")
    assert "saldo" in answer[-1]["text"].lower() and "$" in answer[-1]["text"]
