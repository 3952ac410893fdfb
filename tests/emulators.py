"""Local stand-ins for Twilio's Messages API and Telegram's Bot API.

They speak each provider's wire format, record what they receive, and run on
loopback in a thread, so the real ``twilio`` and ``python-telegram-bot``
clients can be pointed at them (Twilio ``api.base_url``, telegram ``base_url``).
"""
from __future__ import annotations

import contextlib
import itertools
import random
import socket
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, TypeVar

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def _ephemeral_range() -> range:
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports (replicas take port, port + 1, ...).

    Chosen below the kernel's ephemeral range, so an outgoing connection cannot take one of them
    between this choice and the server's bind (which made start-ups fail now and then)."""
    ephemeral = _ephemeral_range()
    candidates = [p for p in range(20000, 32000 - count) if p not in ephemeral and p + count - 1 not in ephemeral]
    for base in random.sample(candidates, 200):
        if all(_bindable(base + i) for i in range(count)):
            return base
    raise RuntimeError("no free ports")


def free_port() -> int:
    return free_ports(1)




@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port for the block: its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none", loop="asyncio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)

E = TypeVar("E", bound="Emulator")

class Emulator:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = FastAPI()
        self.received: List[Dict] = []
        self._lock = threading.Lock()
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     ws="none", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def record(self, item: Dict) -> None:
        with self._lock:
            self.received.append(item)

    def start(self: E) -> E:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)

    def wait_for(self, predicate, timeout: float = 60) -> List[Dict]:
        """The recorded requests that match, once at least one has arrived (or [] after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [item for item in self.received if predicate(item)]
            if found:
                return found
            time.sleep(0.2)
        return []

    def matching(self, predicate) -> List[Dict]:
        with self._lock:
            return [item for item in self.received if predicate(item)]

    def calls_to(self, phone: str) -> List[Dict]:
        """The calls placed to ``phone`` (Twilio emulator)."""
        with self._lock:
            return [call for call in getattr(self, "calls", []) if call["to"] == phone]


class TwilioEmulator(Emulator):
    """POST /2010-04-01/Accounts/{sid}/Messages.json and .../Calls.json, as Twilio answers them (201 + JSON).

    Messages are recorded in ``received``; calls apart, in ``calls`` (with the TwiML the call would play)."""

    def __init__(self) -> None:
        super().__init__()
        counter = itertools.count(1)
        call_counter = itertools.count(1)
        self.failures: Dict[str, List[int]] = {}  # "To" -> HTTP statuses to answer first (e.g. [500])
        self.calls: List[Dict] = []

        @self.app.post("/2010-04-01/Accounts/{account_sid}/Calls.json", status_code=201)
        async def create_call(account_sid: str, request: Request):
            form = await request.form()
            sid = f"CA{next(call_counter):032d}"
            call = {"sid": sid, "account_sid": account_sid, "to": form.get("To"), "from": form.get("From"),
                    "twiml": form.get("Twiml"), "url": form.get("Url"), "status_callback": form.get("StatusCallback"),
                    "status_callback_event": form.getlist("StatusCallbackEvent")}
            with self._lock:
                self.calls.append(call)
            return {"sid": sid, "account_sid": account_sid, "to": call["to"], "from": call["from"], "status": "queued",
                    "direction": "outbound-api", "api_version": "2010-04-01", "date_created": None,
                    "uri": f"/2010-04-01/Accounts/{account_sid}/Calls/{sid}.json"}

        @self.app.post("/2010-04-01/Accounts/{account_sid}/Messages.json", status_code=201)
        async def create_message(account_sid: str, request: Request):
            form = await request.form()
            planned = self.failures.get(str(form.get("To")))
            if planned:
                status = planned.pop(0)
                return JSONResponse({"code": 20500 if status >= 500 else 21211, "status": status,
                                     "message": "Internal error" if status >= 500 else "Invalid 'To' phone number",
                                     "more_info": "https://www.twilio.com/docs/errors"}, status_code=status)
            sid = f"SM{next(counter):032d}"
            self.record({"sid": sid, "account_sid": account_sid, "to": form.get("To"), "from": form.get("From"),
                         "body": form.get("Body") or "", "media_url": form.getlist("MediaUrl"),
                         "status_callback": form.get("StatusCallback"), "content_sid": form.get("ContentSid"),
                         "content_variables": form.get("ContentVariables")})
            return {"sid": sid, "account_sid": account_sid, "to": form.get("To"), "from": form.get("From"),
                    "body": form.get("Body"), "status": "queued", "num_media": str(len(form.getlist("MediaUrl"))),
                    "direction": "outbound-api", "api_version": "2010-04-01", "date_created": None,
                    "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"}


class WebhookReceiver(Emulator):
    """A subscriber's endpoint (an OMS) for Luz's outbound webhooks: records each POST's headers and body."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: List[int] = []  # HTTP statuses to answer first (e.g. [500, 500])

        @self.app.post("/hooks/oms")
        async def receive(request: Request):
            body = await request.body()
            self.record({"headers": {k.lower(): v for k, v in request.headers.items()}, "body": body})
            status = self.failures.pop(0) if self.failures else 200
            return JSONResponse({"ok": status < 300}, status_code=status)


class TelegramEmulator(Emulator):
    """POST /bot{token}/{method}: getMe, sendMessage, sendPhoto, sendDocument, answerCallbackQuery."""

    def __init__(self) -> None:
        super().__init__()
        counter = itertools.count(1)
        self.pending_updates: List[Dict] = []  # served by getUpdates

        @self.app.post("/bot{token}/{method}")
        async def call(token: str, method: str, request: Request):
            if request.headers.get("content-type", "").startswith("application/json"):
                data = await request.json()
            else:
                data = dict((await request.form()).items())
            self.record({"token": token, "method": method, "data": data})
            if method == "getMe":
                return {"ok": True, "result": {"id": 999, "is_bot": True, "first_name": "Luz", "username": "luz_bot",
                                               "can_join_groups": False, "can_read_all_group_messages": False,
                                               "supports_inline_queries": False}}
            if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook", "sendChatAction"):
                return {"ok": True, "result": True}
            if method == "getUpdates":
                offset = int(data.get("offset") or 0)
                return {"ok": True, "result": [u for u in self.pending_updates if u["update_id"] >= offset]}
            chat_id = int(data.get("chat_id", 0))
            return {"ok": True, "result": {"message_id": next(counter), "date": int(time.time()),
                                           "chat": {"id": chat_id, "type": "private"}, "text": data.get("text", "")}}
