"""Rasa's HTTP API is off: no caller, even on loopback, reads a tracker or posts a message as anyone."""
from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.slow

CARLOS = "+573001234502"


def test_the_http_api_answers_nothing_but_the_health_check(product):
    base = product["base"]
    assert httpx.get(f"{base}/", timeout=30).status_code == 200  # the health check needs no token
    assert httpx.get(f"{base}/conversations/{CARLOS}/tracker", timeout=30).status_code == 404
    posted = httpx.post(f"{base}/conversations/{CARLOS}/messages", json={"text": "cuánto debo", "sender": "user"},
                        timeout=30)
    assert posted.status_code == 404
    executed = httpx.post(f"{base}/conversations/{CARLOS}/execute", json={"name": "action_run_journey"}, timeout=30)
    assert executed.status_code == 404
    assert httpx.post(f"{base}/model/parse", json={"text": "cuánto debo"}, timeout=30).status_code == 404
    assert httpx.get(f"{base}/status", timeout=30).status_code == 404
