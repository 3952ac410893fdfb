"""The website widget's channel: signed visitor sessions, origins, sizes, rates, and what a visitor may not claim.

The channel's calls run on stand-in requests (what Sanic hands a route) and a stand-in assistant; the real Sanic
server, CORS and the browser are exercised in ``tests/console/test_widget_browser.py``.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import uuid
from types import SimpleNamespace
from typing import Dict, List, Optional

import pytest
from itsdangerous import URLSafeTimedSerializer

from bot import clock, handoff
from bot.db import models as m
from bot.db.engine import session_scope
from bot.phones import to_e164
from bot.settings import Settings, get_settings
from bot.web.console.auth import create_agent
from channels import inbox, visitors
from channels.conversation import _RUNNING, TOO_LONG, Bounds
from channels.conversation import bounds as turn_bounds
from channels.guard import recover_once
from channels.providers.web import WebProvider
from channels.web import MAX_BODY, SESSIONS_PER_MINUTE, WebInput

SITE = "https://www.energiadelvalle.example"
OTHER = "https://phishing.example"
_agents = itertools.count(1)


class Assistant:
    """Stands in for Rasa: answers with text and buttons, an image and a PDF; remembers what it was handed."""

    def __init__(self) -> None:
        self.handed: List = []

    async def __call__(self, message) -> None:
        self.handed.append(message)
        out = message.output_channel
        await out.send_text_with_buttons(message.sender_id, "¿Qué quieres hacer?",
                                         [{"title": "Ver opciones", "payload": "/help"}])
        await out.send_image_url(message.sender_id, "https://luz.example/files/charts/abc.png")
        await out.send_attachment(message.sender_id, "https://luz.example/files/bills/xyz.pdf")


def request(method: str = "POST", body: Optional[Dict] = None, raw: Optional[bytes] = None, token: Optional[str] = None,
            origin: Optional[str] = SITE, ip: str = "203.0.113.7", args: Optional[Dict] = None, **headers: str):
    sent = {key.replace("_", "-"): value for key, value in headers.items()}
    if origin is not None:
        sent["Origin"] = origin
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return SimpleNamespace(method=method, headers=sent, ip=ip, args=args or {},
                           body=raw if raw is not None else (json.dumps(body).encode() if body is not None else b""))


def answer_of(response) -> Dict:
    return json.loads(response.body)


@pytest.fixture()
def channel(use_database) -> WebInput:
    turn_bounds(Bounds.from_settings(Settings.from_environ({"DATABASE_URL": use_database})))  # fresh rates per test
    return WebInput(WebProvider(), Settings.from_environ({"DATABASE_URL": use_database, "LUZ_WIDGET_ORIGINS": SITE}))


def run(channel: WebInput, call: str, req, assistant=None):
    return asyncio.run(channel.route(call, req, assistant or Assistant()))


def new_session(channel: WebInput) -> str:
    response = run(channel, "session", request())
    assert response.status == 200, response.body
    return answer_of(response)["token"]


def say(channel: WebInput, token: str, text: str, assistant=None, after: int = 0, **extra):
    body = {"id": uuid.uuid4().hex, "text": text, "after": after, **extra}  # ``id=...`` among ``extra`` replaces it
    return run(channel, "message", request(body=body, token=token), assistant)


def test_a_visitor_gets_a_signed_random_session_and_a_welcome_with_options(channel):
    response = run(channel, "session", request())
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    token = answer_of(response)["token"]
    visitor = channel.sessions.visitor_of(token)
    assert visitor.startswith("web:") and len(visitor) <= 40 and to_e164(visitor) is None  # names no phone
    assert channel.sessions.visitor_of(new_session(channel)) != visitor  # every session is a new conversation
    polled = answer_of(run(channel, "poll", request("GET", token=token)))
    shown = polled["messages"]
    assert shown[0]["author"] == "luz" and "Soy Luz" in shown[0]["text"] and polled["person"] is False
    assert {"title": "Consultar mi saldo", "payload": "/check_balance"} in shown[0]["buttons"]


def test_a_message_takes_a_turn_and_the_answer_comes_back_with_buttons_an_image_and_a_pdf(channel):
    token = new_session(channel)
    welcome = answer_of(run(channel, "poll", request("GET", token=token)))["messages"][-1]["id"]
    assistant = Assistant()
    response = say(channel, token, "/help", assistant, after=welcome, label="Ver el menú")
    assert response.status == 200
    shown = answer_of(response)["messages"]
    assert [m["author"] for m in shown] == ["visitor", "luz", "luz", "luz"]
    assert shown[0]["text"] == "Ver el menú"  # the button's title, as the visitor saw it
    assert shown[1]["text"] == "¿Qué quieres hacer?" and shown[1]["buttons"] == [{"title": "Ver opciones", "payload": "/help"}]
    assert shown[2]["image"].endswith("abc.png") and shown[2]["document"] is None
    assert shown[3]["document"].endswith("xyz.pdf") and shown[3]["image"] is None
    handed = assistant.handed[0]
    assert handed.text == "/help" and handed.input_channel == "web" and handed.sender_id.startswith("web:")
    # a reload shows the whole conversation again, in order
    history = answer_of(run(channel, "poll", request("GET", token=token, args={"after": "0"})))["messages"]
    assert [m["id"] for m in history] == sorted(m["id"] for m in history) and len(history) == 5


def test_the_widget_sends_its_session_in_a_plain_text_body_so_browsers_need_no_preflight(channel):
    token = new_session(channel)
    sent = request(raw=json.dumps({"token": token, "id": "plain-0001", "text": "hola"}).encode(),
                   Content_Type="text/plain;charset=UTF-8")
    assert run(channel, "message", sent).status == 200
    polled = run(channel, "poll", request(raw=json.dumps({"token": token, "after": 0}).encode()))
    assert polled.status == 200 and [m["author"] for m in answer_of(polled)["messages"]][:2] == ["luz", "visitor"]


def test_the_same_message_sent_twice_is_one_turn(channel):
    token = new_session(channel)
    assistant = Assistant()
    body = {"id": "retry-0001", "text": "hola", "after": 0}
    first = run(channel, "message", request(body=body, token=token), assistant)
    again = run(channel, "message", request(body=body, token=token), assistant)
    assert first.status == again.status == 200 and len(assistant.handed) == 1
    assert answer_of(first)["messages"] == answer_of(again)["messages"]


def test_a_forged_altered_foreign_or_missing_session_is_refused(channel):
    token = new_session(channel)
    other_secret = URLSafeTimedSerializer("another-secret", salt=visitors.SALT).dumps({"v": "web:made-up-visitor"})
    assistant = Assistant()
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), other_secret, "web:anything", ""):
        response = say(channel, bad, "cuánto debo", assistant)
        assert response.status == 401 and answer_of(response)["error"] == "session_invalid"
    assert run(channel, "poll", request("GET")).status == 401  # no Authorization at all
    assert assistant.handed == []


def test_an_expired_session_is_refused_and_one_the_server_never_opened_too(channel):
    with clock.travel_to(clock.now()) as travel:
        token = new_session(channel)
        travel.advance(dt.timedelta(hours=11, minutes=59))
        assert say(channel, token, "hola").status == 200
        travel.advance(dt.timedelta(minutes=2))
        response = say(channel, token, "hola")
    assert response.status == 401 and answer_of(response)["error"] == "session_expired"
    assert "terminó" in answer_of(response)["message"]
    signed_but_unknown = channel.sessions._serializer.dumps({"v": "web:never-opened-here"})
    assert say(channel, signed_but_unknown, "hola").status == 401


def test_an_oversized_body_is_refused_politely_and_a_long_text_gets_the_usual_answer(channel):
    token = new_session(channel)
    assistant = Assistant()
    huge = request(raw=json.dumps({"id": "big-00001", "text": "a" * (MAX_BODY + 10)}).encode(), token=token)
    response = run(channel, "message", huge, assistant)
    assert response.status == 413 and answer_of(response)["message"] == TOO_LONG
    assert response.headers["Access-Control-Allow-Origin"] == SITE  # the page can read the polite answer
    long = say(channel, token, "factura " * 150, assistant)  # 1,200 characters: within the body, over the text
    assert long.status == 200 and answer_of(long)["messages"][-1]["text"] == TOO_LONG
    assert assistant.handed == []


def test_pages_of_other_origins_are_refused_without_cors_headers(channel):
    token = new_session(channel)
    assistant = Assistant()
    for call, req in (("session", request(origin=OTHER)), ("poll", request("GET", token=token, origin=OTHER)),
                      ("message", request(body={"id": "x" * 8, "text": "hola"}, token=token, origin=OTHER)),
                      ("message", request("OPTIONS", origin=OTHER))):
        response = run(channel, call, req, assistant)
        assert response.status == 403 and "Access-Control-Allow-Origin" not in response.headers
    assert assistant.handed == []
    preflight = run(channel, "message", request("OPTIONS"))
    assert preflight.status == 200 and preflight.headers["Access-Control-Allow-Origin"] == SITE
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_a_browser_cannot_claim_a_phone_or_a_sender(channel):
    token = new_session(channel)
    visitor = channel.sessions.visitor_of(token)
    assistant = Assistant()
    claimed = {"phone": "+573001234501", "phone_proof": "0" * 64, "sender": "+573001234501",
               "metadata": {"phone": "+573001234501"}, "input_channel": "whatsapp"}
    assert say(channel, token, "cuánto debo", assistant, **claimed).status == 200
    handed = assistant.handed[0]
    assert handed.sender_id == visitor and handed.input_channel == "web"
    assert handed.metadata == {"channel": "web"}  # nothing of the body but the text reaches the assistant


def test_new_sessions_and_polls_are_rate_limited(channel):
    for _ in range(SESSIONS_PER_MINUTE):
        assert run(channel, "session", request(ip="198.51.100.9")).status == 200
    assert run(channel, "session", request(ip="198.51.100.9")).status == 429
    assert run(channel, "session", request(ip="198.51.100.10")).status == 200  # another address is not held
    # behind nginx (a loopback peer) the address is the one nginx saw, not one a client wrote first
    via_proxy = request(ip="127.0.0.1", X_Forwarded_For="10.9.9.9, 198.51.100.9")
    assert run(channel, "session", via_proxy).status == 429
    for suffix in range(SESSIONS_PER_MINUTE):  # one IPv6 client rotating addresses within its /64 is one client
        assert run(channel, "session", request(ip=f"2001:db8:1:2::{suffix + 1:x}")).status == 200
    assert run(channel, "session", request(ip="2001:db8:1:2:ffff::9")).status == 429
    token = new_session(channel)
    statuses = [run(channel, "poll", request("GET", token=token)).status for _ in range(channel.polls.limit + 1)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}


def test_a_visitor_writing_too_fast_is_told_once(channel):
    turn_bounds(Bounds.from_settings(Settings.from_environ({"LUZ_SENDER_RATE": "2"})))
    token = new_session(channel)
    assistant = Assistant()
    texts = [answer_of(say(channel, token, f"mensaje {n}", assistant))["messages"] for n in range(4)]
    assert len(assistant.handed) == 2
    assert "muchos mensajes tuyos seguidos" in texts[2][-1]["text"]
    assert texts[3][-1]["author"] == "visitor"  # nothing more until the minute has room


def test_an_agents_reply_reaches_the_widget_with_the_agents_name(channel, engine, monkeypatch):
    monkeypatch.setenv("LUZ_AGENT_HOURS", "00:00-24:00")
    monkeypatch.setenv("LUZ_AGENT_DAYS", "1-7")
    get_settings.cache_clear()
    token = new_session(channel)
    visitor = channel.sessions.visitor_of(token)
    with session_scope(engine) as session:
        agent = create_agent(session, f"web{next(_agents)}", "Camila Rojas", "clave-segura-1")
        handoff.touch(session, agent)
        placement = handoff.request(session, conversation_id=visitor, channel="web", reason="requested",
                                    settings=get_settings())
        assert handoff.take(session, placement.handoff.id, agent)
        last = session.query(m.WebMessage).filter_by(visitor_id=visitor).count()
    provider = WebProvider()
    delivered = asyncio.run(provider.send(visitor, {"text": "Camila: Hola, ya reviso tu caso."}))
    assert delivered.ok
    polled = answer_of(run(channel, "poll", request("GET", token=token, args={"after": "0"})))
    assert polled["person"] is True  # a person has it: the widget polls often
    shown = polled["messages"][last:]
    assert shown == [{**shown[0], "author": "agent", "name": "Camila", "text": "Hola, ya reviso tu caso."}]
    # the agent's view of the channel: a visitor is deliverable, an address that is no visitor is not
    assert not asyncio.run(provider.send("+573001234501", {"text": "hola"})).ok
    assert not asyncio.run(provider.send("web:never-opened", {"text": "hola"})).ok


def test_a_turn_lost_with_its_process_is_run_again_and_its_answer_reaches_the_widget(channel):
    token = new_session(channel)
    visitor = channel.sessions.visitor_of(token)
    kept = {"visitor": visitor, "id": "lost-turn-01", "text": "hola"}
    # kept by a process that died before answering: its lease is over
    inbox.accept("web", f"{visitor}:lost-turn-01", visitor, kept, dt.timedelta(seconds=-1))
    assistant = Assistant()

    async def recover() -> int:
        found = await recover_once(channel, assistant)
        await asyncio.gather(*_RUNNING)
        return found

    assert asyncio.run(recover()) == 1
    assert [message.text for message in assistant.handed] == ["hola"]
    shown = answer_of(run(channel, "poll", request("GET", token=token)))["messages"]
    assert shown[-1]["document"].endswith("xyz.pdf")
    assert say(channel, token, "hola", assistant, id="lost-turn-01").status == 200 and len(assistant.handed) == 1


def test_visitors_and_what_their_widget_showed_are_forgotten_a_day_after_their_session_ends(channel, engine):
    from bot.jobs import tasks

    with clock.travel_to(clock.now()) as travel:
        old = new_session(channel)
        assert say(channel, old, "hola").status == 200
        gone = channel.sessions.visitor_of(old)
        travel.advance(dt.timedelta(hours=12 + 23))
        fresh = new_session(channel)
        asyncio.run(tasks.forget_web_visitors())
        with session_scope(engine) as session:
            assert session.get(m.WebVisitor, gone) is not None  # within a day of its end: kept
        travel.advance(dt.timedelta(hours=2))
        assert asyncio.run(tasks.forget_web_visitors()) >= 1
        assert run(channel, "poll", request("GET", token=fresh)).status == 200  # a visitor seen since is kept
    with session_scope(engine) as session:
        assert session.get(m.WebVisitor, gone) is None
        assert session.query(m.WebMessage).filter_by(visitor_id=gone).count() == 0


def test_a_visitor_who_ends_the_conversation_leaves_nothing_behind(channel, engine):
    token = new_session(channel)
    visitor = channel.sessions.visitor_of(token)
    assert say(channel, token, "hola").status == 200
    ended = run(channel, "end", request(raw=json.dumps({"token": token}).encode()))
    assert ended.status == 200 and answer_of(ended) == {"ended": True}
    assert run(channel, "poll", request("GET", token=token)).status == 401  # the next person at the computer
    with session_scope(engine) as session:
        assert session.get(m.WebVisitor, visitor) is None
        assert session.query(m.WebMessage).filter_by(visitor_id=visitor).count() == 0
