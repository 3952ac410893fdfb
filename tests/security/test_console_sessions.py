"""Attacks on the console's sessions, against a real web service (uvicorn, its own database, no demo data).

A session cookie forged with a known secret, a cookie signed with the links' secret, a link signed with the
cookies' secret, a session copied before its agent signed out or changed password (also an open live stream),
and what `db setup` leaves in a new database.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import time
from typing import Dict

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from bot.settings import DEV_SESSION_SECRET, Settings
from bot.web.app import create_app
from tests.conftest import PROJECT_ROOT
from tests.emulators import free_port

PASSWORD = "una-clave-larga-de-prueba"


def bot(env: Dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], env={**env, **extra}, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, check=True)


def forged_cookie(secret: str, session: Dict) -> str:
    """What Starlette's SessionMiddleware would set: the session as base64 JSON, signed with ``secret``."""
    return TimestampSigner(secret).sign(base64.b64encode(json.dumps(session).encode())).decode()


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The web service alone, as production runs it (its own secrets), on a database made by `db setup`."""
    tmp = tmp_path_factory.mktemp("sessions")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DATABASE_URL": f"sqlite:///{tmp / 'luz.db'}",
           "WEB_PORT": str(port), "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "LUZ_SCHEDULER": "off",
           "LUZ_SIGNING_SECRET": secrets.token_urlsafe(32), "LUZ_SESSION_SECRET": secrets.token_urlsafe(32)}
    bot(env, "db", "setup")
    for name, role in (("laura", "supervisor"), ("tomas", "agent")):
        bot(env, "agent", "add", name, "--name", name.title(), "--role", role, LUZ_AGENT_PASSWORD=PASSWORD)
    log = open(tmp / "web.log", "w")  # noqa: SIM115 - the service writes to it for its whole run
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "bot.web.app:create_app", "--factory", "--host",
                                "127.0.0.1", "--port", str(port), "--ws", "wsproto", "--timeout-graceful-shutdown", "2"],
                               env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        log.close()
        pytest.fail("the web service did not start:\n" + (tmp / "web.log").read_text()[-3000:])
    yield {"base": base, "env": env, "db": tmp / "luz.db"}
    process.terminate()
    process.wait(30)
    log.close()


def sign_in(base: str, username: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=httpx.Timeout(10))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/login").text).group(1)
    response = client.post("/console/login", data={"username": username, "password": password, "csrf": token})
    assert response.status_code == 303, response.text
    client.csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/console").text).group(1)  # type: ignore[attr-defined]
    return client


def copy_of(client: httpx.Client) -> httpx.Client:
    """Another holder of the same cookie: another tab, or whoever stole it."""
    return httpx.Client(base_url=str(client.base_url), cookies={"luz_console": client.cookies["luz_console"]},
                        timeout=httpx.Timeout(10))


def agent_id(web, username: str) -> int:
    with sqlite3.connect(web["db"]) as connection:
        return connection.execute("SELECT id FROM agents WHERE username = ?", (username,)).fetchone()[0]


def test_db_setup_without_demo_creates_no_agent_and_no_api_key(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'plain.db'}"}
    bot(env, "db", "setup")
    with sqlite3.connect(tmp_path / "plain.db") as connection:
        counts = [connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
                  for table in ("agents", "api_keys", "customers")]
    assert counts == [0, 0, 0]
    # The control: the explicit flag does seed the demo people and the demo key.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    bot(env, "db", "setup", "--demo", "--customers", "10")
    with sqlite3.connect(tmp_path / "demo.db") as connection:
        names = {row[0] for row in connection.execute("SELECT username FROM agents")}
        assert names == {"camila", "diego", "sofia"}
        assert connection.execute("SELECT count(*) FROM api_keys").fetchone()[0] == 1


def test_a_session_forged_with_the_development_secret_is_refused_by_a_service_with_its_own(web, tmp_path):
    """Whoever reads bot/settings.py knows the development secret: with it they are any supervisor."""
    forged = forged_cookie(DEV_SESSION_SECRET, {"agent_id": agent_id(web, "laura"), "epoch": 0, "csrf": "x"})

    # On a service left with the development default the forgery works (this is why production refuses it) ...
    dev = create_app(Settings(database_url=f"sqlite:///{web['db']}", scheduler=False))

    async def on_dev_service() -> int:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dev), base_url="http://luz.test",
                                     cookies={"luz_console": forged}) as client:
            return (await client.get("/console/dashboard")).status_code

    assert asyncio.run(on_dev_service()) == 200
    # ... and the production profile refuses to start with it (tests/security/test_production_refuses.py).
    with httpx.Client(base_url=web["base"], cookies={"luz_console": forged}, timeout=10) as attacker:
        assert attacker.get("/console/api/queue").status_code == 401
        page = attacker.get("/console/dashboard")
        assert page.status_code == 303 and page.headers["location"] == "/console/login"


def test_the_links_secret_signs_no_session_and_the_sessions_secret_signs_no_link(web):
    env, laura = web["env"], agent_id(web, "laura")
    session = {"agent_id": laura, "epoch": 0, "csrf": "x"}
    with httpx.Client(base_url=web["base"], timeout=10) as client:
        # A cookie signed with the links' secret (say, learnt from a leaked link signer) opens nothing ...
        client.cookies.set("luz_console", forged_cookie(env["LUZ_SIGNING_SECRET"], session))
        assert client.get("/console/api/queue").status_code == 401
        # ... the same cookie signed with the sessions' secret would (the control: the forgery is well made).
        client.cookies.set("luz_console", forged_cookie(env["LUZ_SESSION_SECRET"], session))
        assert client.get("/console/api/queue").status_code == 200

    class DayOldSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 2 * 24 * 3600

    def link(secret: str) -> str:
        token = URLSafeTimedSerializer(secret, salt="luz-files", signer=DayOldSigner).dumps({"k": "bills", "p": 1})
        return f"{web['base']}/files/bills/{token}.pdf"

    # A link is recognised only with the links' secret: an old one of ours is "expired" (410), one signed with
    # the sessions' secret is unknown (404), fresh or not.
    assert httpx.get(link(env["LUZ_SIGNING_SECRET"]), timeout=10).status_code == 410
    assert httpx.get(link(env["LUZ_SESSION_SECRET"]), timeout=10).status_code == 404
    fresh = URLSafeTimedSerializer(env["LUZ_SESSION_SECRET"], salt="luz-files").dumps({"k": "bills", "p": 1})
    assert httpx.get(f"{web['base']}/files/bills/{fresh}.pdf", timeout=10).status_code == 404


def revoke(web, how: str, client: httpx.Client, username: str) -> None:
    if how == "logout":
        assert client.post("/console/logout", data={"csrf": client.csrf}).status_code == 303  # type: ignore[attr-defined]
    else:
        bot(web["env"], "agent", "passwd", username, LUZ_AGENT_PASSWORD=PASSWORD)  # the same password, even


@pytest.mark.parametrize("how", ["logout", "passwd"])
def test_a_copied_session_dies_with_logout_or_a_new_password_even_an_open_stream(web, how):
    agent = sign_in(web["base"], "tomas")
    stolen = copy_of(agent)
    assert stolen.get("/console/api/queue").status_code == 200  # the copy works while the agent is signed in
    with stolen.stream("GET", "/console/api/queue/stream") as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        assert next(line for line in lines if line.startswith("data:"))  # the live queue is flowing
        revoke(web, how, agent, "tomas")
        started = time.monotonic()
        rest = list(lines)  # the server ends the stream (a read timeout would fail the test)
    assert "event: signed-out" in rest and time.monotonic() - started < 10, rest
    assert stolen.get("/console/api/queue").status_code == 401
    page = stolen.get("/console")
    assert page.status_code == 303 and page.headers["location"] == "/console/login"
    with stolen.stream("GET", "/console/api/queue/stream") as again:
        assert again.status_code == 401
    if how == "passwd":
        assert agent.get("/console/api/queue").status_code == 401  # the agent's own session too
    # The control: signing in again opens a new session that works.
    fresh = sign_in(web["base"], "tomas")
    assert fresh.get("/console/api/queue").status_code == 200
    for client in (agent, stolen, fresh):
        client.close()


def test_a_conversation_stream_ends_when_the_session_is_revoked(web):
    """The transcript's live stream re-checks the agent too (every few seconds)."""
    from bot.db import models as m
    from bot.db.engine import create_engine, session_scope

    engine = create_engine(f"sqlite:///{web['db']}")
    with session_scope(engine) as session:
        row = m.Handoff(conversation_id="+573009990001", channel="whatsapp", reason="requested", priority=2)
        session.add(row)
        session.flush()
        handoff = row.id
    engine.dispose()
    agent = sign_in(web["base"], "laura")
    stolen = copy_of(agent)
    with stolen.stream("GET", f"/console/api/handoffs/{handoff}/stream") as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        revoke(web, "logout", agent, "laura")
        rest = list(lines)
    assert "event: signed-out" in rest, rest
    agent.close()
    stolen.close()


def test_an_agent_sees_the_national_id_masked(web):
    """Its last 4 digits are the customer's second factor: whoever reads the console must not learn them."""
    from bot.db import models as m
    from bot.db.engine import create_engine, session_scope

    engine = create_engine(f"sqlite:///{web['db']}")
    with session_scope(engine) as session:
        customer = m.Customer(national_id="43871234", full_name="Ana Lucía Restrepo")
        session.add(customer)
        session.flush()
        row = m.Handoff(conversation_id="tg:999", channel="telegram", reason="requested", priority=2,
                        customer_id=customer.id)
        session.add(row)
        session.flush()
        handoff = row.id
    engine.dispose()
    agent = sign_in(web["base"], "laura")
    page = agent.get(f"/console/handoffs/{handoff}")
    assert page.status_code == 200 and "Ana Lucía Restrepo" in page.text  # the control: the customer is shown
    assert "43******" in page.text and "1234" not in page.text
    agent.close()


def test_the_session_cookie_is_secure_when_the_public_address_is_https(tmp_path):
    def cookie(public: str) -> str:
        app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'luz.db'}", scheduler=False,
                                  public_base_url=public))

        async def login_page() -> str:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://luz.test") as client:
                return (await client.get("/console/login")).headers["set-cookie"].lower()

        return asyncio.run(login_page())

    secure, development = cookie("https://luz.energiadelvalle.example"), cookie("http://localhost:8000")
    assert "secure" in secure and "httponly" in secure and "samesite=strict" in secure
    assert "secure" not in development  # `make run` on http://localhost: the browser must still send it back
