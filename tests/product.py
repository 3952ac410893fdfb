"""The whole product as a customer meets it: `python -m bot run`, then HTTP.

One product per test session (the supervisor, the action server, the Rasa server
on the trained model and the web service) against a fresh seeded database, with
its channels pointed at the local Twilio and Telegram emulators.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PROJECT_ROOT
from tests.emulators import free_port

MODEL = PROJECT_ROOT / "models" / "luz.tar.gz"
TWILIO_SID, TWILIO_TOKEN = "AC" + "1" * 32, "test-auth-token"
TELEGRAM_TOKEN, TELEGRAM_SECRET = "123456:TEST-TOKEN", "test-secret-token"
WHATSAPP_FROM, SMS_FROM = "whatsapp:+14155238886", "+15005550006"
VOICE_FROM = "+15005550007"  # Luz's phone line (calls placed to customers come from it)


def start_product(env: dict, tmp: Path) -> subprocess.Popen:
    """`python -m bot run` in its own process group, returned once both servers answer."""
    with open(tmp / "product.log", "a") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=PROJECT_ROOT,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{env['RASA_PORT']}"
    deadline = time.monotonic() + 240
    health = [f"{base}/", f"http://127.0.0.1:{env['ACTION_PORT']}/health", f"{env['PUBLIC_BASE_URL']}/health"]
    while time.monotonic() < deadline:
        try:
            if all(httpx.get(url, timeout=2).status_code == 200 for url in health):
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(1)
    stop_product(process)
    pytest.fail("the product did not start:\n" + (tmp / "product.log").read_text()[-3000:])


def stop_product(process: subprocess.Popen) -> int:
    """Ctrl-C, as an operator would; returns the exit code."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail("the product did not stop on Ctrl-C")


def product_environment(tmp: Path, twilio_url: str, telegram_url: str) -> dict:
    action_port, web_port = free_port(), free_port()
    return {
        **os.environ,
        "WEB_PORT": str(web_port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "DATABASE_URL": f"sqlite:///{tmp / 'records.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{tmp / 'tracker.db'}",
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(action_port),
        "PYTHONPATH": str(PROJECT_ROOT),
        "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM, "TWILIO_SMS_FROM": SMS_FROM, "TWILIO_API_BASE_URL": twilio_url,
        "TWILIO_VOICE_FROM": VOICE_FROM,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": telegram_url,
        "LUZ_AGENT_HOURS": "00:00-24:00", "LUZ_AGENT_DAYS": "1-7",  # people attend whenever the tests run
        "LUZ_SENDER_RATE": "600",  # the tests write from the demo phones faster than any customer
    }


