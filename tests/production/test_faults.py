"""The production profile under faults, against the real local PostgreSQL, Redis and RabbitMQ.

Two Rasa replicas and two action servers behind nginx (`python -m bot run --profile production`):
a burst of one conversation spread over both replicas keeps its order; a replica killed under load
loses no message; with the action servers down the customer gets an apology and a person, and the
next message works once they are back; a database restart is survived without restarting Luz.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid

import httpx
import psutil
import psycopg2
import pytest
from sqlalchemy import text

from bot.db.engine import create_engine
from tests.channels.test_twilio import message
from tests.conftest import PROJECT_ROOT
from tests.emulators import free_port, free_ports
from tests.product import MODEL, SMS_FROM, TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM

pytestmark = pytest.mark.slow
ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
PUBLIC = "https://luz.energiadelvalle.example"  # PUBLIC_BASE_URL: what Twilio signs


def retire_demo_people(url: str) -> None:
    """What an operator does to a database seeded with demo data before production runs on it."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE agents SET active = false"))
        connection.execute(text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP"))
    engine.dispose()


def _admin(sql: str) -> None:
    engine = create_engine(ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


@pytest.fixture(scope="module")
def production(tmp_path_factory, twilio_api):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    tmp = tmp_path_factory.mktemp("prod")
    name = f"luz_prod_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    rasa, action, web, public, proxy = free_ports(2), free_ports(2), free_port(), free_port(), free_port()
    env = {
        **os.environ, "DATABASE_URL": url, "TRACKER_STORE_URL": url, "PYTHONPATH": str(PROJECT_ROOT),
        "RASA_PORT": str(rasa), "ACTION_PORT": str(action), "WEB_PORT": str(web), "LUZ_PUBLIC_PORT": str(public),
        "LUZ_ACTION_PROXY_PORT": str(proxy),
        "REDIS_URL": "redis://127.0.0.1:6379/7", "LUZ_EVENTS_QUEUE": f"luz_events_{name}", "LUZ_RUN_DIR": str(tmp / "run"),
        "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "TWILIO_SMS_FROM": SMS_FROM, "TWILIO_API_BASE_URL": twilio_api.url,
        # The profile refuses to start without long secrets of its own and a public https address; Twilio signs
        # the https address while the tests reach nginx on its port (as a TLS-terminating proxy would).
        "LUZ_ACTION_SECRET": secrets.token_urlsafe(32), "LUZ_SIGNING_SECRET": secrets.token_urlsafe(32),
        "LUZ_SESSION_SECRET": secrets.token_urlsafe(32), "PUBLIC_BASE_URL": PUBLIC,
        # A message whose replica dies is run again by another once its lease is over: short here, so the
        # killed replica's messages are answered well within the test's wait.
        "LUZ_INBOX_LEASE_SECONDS": "8", "LUZ_INBOX_RETRY_SECONDS": "2",
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("LUZ_RASA_CREDENTIALS", None)  # the profile's own credentials.yml: no REST channel
    env.pop("LUZ_CLOCK_OFFSET", None)  # production runs on the real time (it refuses a moved clock)
    subprocess.run([sys.executable, "-m", "bot", "db", "setup", "--demo", "--customers", "200"], env=env, check=True,
                   cwd=PROJECT_ROOT, capture_output=True)
    retire_demo_people(url)  # the demo customers stay; production refuses the demo agents and API key
    log = open(tmp / "product.log", "a")  # noqa: SIM115 - the product writes to it for its whole run
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--profile", "production"], env=env, cwd=PROJECT_ROOT,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{public}"
    deadline = time.monotonic() + 420
    ready = False
    while time.monotonic() < deadline and process.poll() is None and not ready:
        try:
            ready = all(httpx.get(u, timeout=2).status_code == 200 for u in (
                f"http://127.0.0.1:{rasa}/", f"http://127.0.0.1:{rasa + 1}/", f"{base}/health",
                f"http://127.0.0.1:{action}/health", f"http://127.0.0.1:{action + 1}/health"))
        except httpx.HTTPError:
            time.sleep(1)
    if not ready:
        process.kill()
        pytest.fail("the production profile did not start:\n" + (tmp / "product.log").read_text()[-3000:])
    yield {"base": base, "url": url, "rasa_ports": [rasa, rasa + 1], "action_ports": [action, action + 1],
           "process": process, "queue": env["LUZ_EVENTS_QUEUE"], "run_dir": tmp / "run"}
    process.send_signal(signal.SIGINT)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    log.close()
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    subprocess.run(["rabbitmqctl", "delete_queue", env["LUZ_EVENTS_QUEUE"]], capture_output=True)


def children_on_port(port: int):
    return [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] and "--port" in p.info["cmdline"]
            and p.info["cmdline"][p.info["cmdline"].index("--port") + 1] == str(port)]


def wait_healthy(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not come back")


def tracker_events(url: str, sender: str):
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                                  {"s": sender}).all()
    engine.dispose()
    return [(kind, json.loads(data)) for kind, data in rows]


def kpi_intents(url: str, conversation: str, expected: int, timeout: float = 30):
    """The intents the KPI consumer recorded for a conversation, once `expected` have arrived (or the time is
    up), read again a moment later so that a late duplicate would be seen."""
    engine = create_engine(url)
    deadline, settled = time.monotonic() + timeout, False
    while True:
        with engine.connect() as connection:
            intents = connection.execute(text("SELECT intent FROM interaction_events WHERE conversation_id = :c "
                                              "AND kind = 'intent'"), {"c": conversation}).scalars().all()
        if settled or time.monotonic() > deadline:
            engine.dispose()
            return intents
        settled = len(intents) >= expected
        time.sleep(1.0 if settled else 0.2)


WEBHOOK = "/webhooks/whatsapp/webhook"


def signed(form: dict) -> dict:
    """Twilio's signature of the public address and the form: what the channel checks."""
    from twilio.request_validator import RequestValidator

    return {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + WEBHOOK, form)}


def upstreams(production) -> list:
    """The replica nginx sent each webhook to (its log; no header names an internal port)."""
    log = production["run_dir"] / "upstream.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line.split()[-1] for line in lines if WEBHOOK in line]


def settled_turns(url: str, sender: str, count: int, timeout: float = 180):
    """The tracker's events once ``count`` customer messages each have an answer (or the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        events = tracker_events(url, sender)
        kinds = [kind for kind, _ in events if kind in ("user", "bot")]
        if (kinds.count("user") >= count and kinds[-1] == "bot") or time.monotonic() > deadline:
            time.sleep(1)
            return tracker_events(url, sender)
        time.sleep(0.5)


async def _say_all(base: str, phone: str, texts):
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        forms = [message(phone, t) for t in texts]
        return await asyncio.gather(*[client.post(WEBHOOK, data=form, headers=signed(form)) for form in forms])


def test_a_burst_of_one_conversation_over_two_replicas_keeps_order_and_loses_nothing(production):
    sender = "+573001234501"
    texts = [f"hola {n}" if n % 2 else "cuánto debo" for n in range(10)]
    before = len(upstreams(production))
    responses = asyncio.run(_say_all(production["base"], sender, texts))
    assert all(r.status_code == 200 for r in responses), [(r.status_code, r.text[:100]) for r in responses]
    assert not any(name.lower() == "x-upstream" for r in responses for name in r.headers)
    served = {address.rsplit(":", 1)[-1] for address in upstreams(production)[before:]}
    assert served == {str(port) for port in production["rasa_ports"]}  # both replicas took part
    settled_turns(production["url"], sender, len(texts))
    events = tracker_events(production["url"], sender)
    users = [data["text"] for kind, data in events if kind == "user"]
    assert sorted(users) == sorted(texts)  # every message, once
    kinds = [kind for kind, _ in events if kind in ("user", "bot")]
    # Turns never interleave: after each customer message comes its answer, before the next message.
    assert all(kinds[i + 1] == "bot" for i, kind in enumerate(kinds[:-1]) if kind == "user")
    # Every message also reaches the KPIs, through RabbitMQ and the consumer, once.
    assert sorted(kpi_intents(production["url"], sender, expected=len(texts))) == sorted(
        data["parse_data"]["intent"]["name"] for kind, data in events if kind == "user")


OUTSIDE_TEST_ADDRESS = "192.0.2.10"  # TEST-NET-1 (RFC 5737): documentation only, never routed


def _outside_address() -> str:
    """An address of this machine other than loopback: how a caller from the network reaches it.

    A machine with none (a CI sandbox) gets one on a dummy interface of its own, so the check runs
    everywhere instead of skipping itself."""
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family.name == "AF_INET" and not address.address.startswith("127."):
                return address.address
    for command in (["ip", "link", "add", "luz-outside", "type", "dummy"],
                    ["ip", "addr", "add", f"{OUTSIDE_TEST_ADDRESS}/32", "dev", "luz-outside"],
                    ["ip", "link", "set", "luz-outside", "up"]):
        subprocess.run(command, capture_output=True)
    if OUTSIDE_TEST_ADDRESS not in {a.address for addresses in psutil.net_if_addrs().values() for a in addresses}:
        pytest.fail("no address besides loopback, and a dummy interface could not be made (needs root and iproute2)")
    return OUTSIDE_TEST_ADDRESS


def test_from_the_network_only_the_channels_are_reachable(production):
    """Rasa's REST channel takes the sender id as the customer's phone: from outside it would show anyone's bill."""
    outside = f"http://{_outside_address()}:{production['base'].rsplit(':', 1)[1]}"
    ask = {"sender": "+573001234501", "message": "cuánto debo"}
    assert httpx.post(f"{outside}/webhooks/rest/webhook", json=ask, timeout=30).status_code == 403
    assert httpx.get(f"{outside}/webhooks/whatsapp/", timeout=30).status_code == 200
    for port in production["rasa_ports"]:  # the replicas themselves listen on loopback only
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://{_outside_address()}:{port}/status", timeout=5)
    # Nor from loopback: production runs no REST channel at all (it refuses a credentials file with one).
    assert httpx.post(f"{production['base']}/webhooks/rest/webhook", json=ask, timeout=60).status_code == 404


def test_the_public_port_sends_hsts_and_a_csp_and_names_nothing_internal(production):
    for path in ("/console/login", "/webhooks/whatsapp/", "/files/bills/forged.pdf", "/status"):
        response = httpx.get(production["base"] + path, timeout=30)
        headers = {name.lower(): value for name, value in response.headers.items()}
        assert headers["strict-transport-security"].startswith("max-age=31536000"), (path, headers)
        assert "default-src 'self'" in headers["content-security-policy"], (path, headers)
        assert headers.get("server", "nginx") == "nginx", (path, headers)  # no version, not uvicorn or sanic
        assert "x-upstream" not in headers and not any(
            str(port) in value for value in headers.values() for port in production["rasa_ports"] + production["action_ports"]
        ), (path, headers)


def whatsapp(production, twilio_api, phone: str, body: str, timeout: float = 90) -> str:
    """A customer's signed WhatsApp message; what Luz answered them (through the Twilio emulator)."""
    address = f"whatsapp:{phone}"
    form = message(phone, body)
    before = len(twilio_api.matching(lambda r: r["to"] == address))
    assert httpx.post(production["base"] + WEBHOOK, data=form, headers=signed(form), timeout=60).status_code == 200
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(twilio_api.matching(lambda r: r["to"] == address)) == before:
        time.sleep(0.2)
    time.sleep(1)
    return "\n".join(r["body"] for r in twilio_api.matching(lambda r: r["to"] == address)[before:])


def test_a_replica_killed_under_load_loses_no_message(production, twilio_api):
    """Eight customers at once; the replica is killed while it holds accepted, unanswered messages. To make sure
    it holds some, the action servers are paused (SIGSTOP) for the moment of the kill: the turns wait for them
    in the Rasa processes, as a slow action would. Every message must get its one answer, the killed replica's
    from the other one once their leases run out."""
    victim = children_on_port(production["rasa_ports"][0])
    actions = [process for port in production["action_ports"] for process in children_on_port(port)]
    assert victim and actions
    question = "¿hay cortes programados en Chapinero esta semana? (cliente {n}, {turn})"  # answered by the actions

    async def load():
        async def customer(n):
            replies = []
            for turn in range(4):
                text = question.format(n=n, turn=turn) if turn == 1 else f"hola, soy el cliente {n} ({turn})"
                replies.append(await asyncio.to_thread(whatsapp, production, twilio_api, f"+57310444{n:04d}", text, 120))
            return replies

        async def kill_while_it_holds_messages():
            """Pause the actions, kill the replica once it holds an unanswered message, resume the actions."""
            await asyncio.sleep(0.5)
            for process in actions:
                process.suspend()
            try:
                pids, deadline, holding = {process.pid for process in victim}, time.monotonic() + 30, False
                while time.monotonic() < deadline and not holding:
                    await asyncio.sleep(0.05)
                    # called here, not in a worker thread: those are all taken by customers waiting for answers
                    holding = bool(pids & set(unanswered_holders(production)))
                for process in victim:
                    process.kill()
                return holding
            finally:
                for process in actions:
                    process.resume()

        results = await asyncio.gather(*[customer(n) for n in range(8)], kill_while_it_holds_messages())
        return [reply for batch in results[:-1] for reply in batch], results[-1]

    try:
        replies, killed_holding_one = asyncio.run(load())
    finally:
        wait_healthy(f"http://127.0.0.1:{production['rasa_ports'][0]}/", timeout=240)  # the supervisor restarted it
    assert killed_holding_one, "the replica never held an unanswered message: the kill proved nothing"
    assert len(replies) == 32
    assert all(replies) and not any("Lo siento" in reply for reply in replies), replies
    with psycopg2.connect(production["url"].replace("postgresql+psycopg2", "postgresql")) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*), count(done_at), count(*) FILTER (WHERE attempts > 1) FROM inbound_messages "
                       "WHERE sender LIKE '+57310444%%'")
        accepted, answered, run_again = cursor.fetchone()
    print(f"accepted {accepted}, answered {answered}, run again after the kill {run_again}")
    assert accepted == answered == 32 and run_again >= 1


def unanswered_holders(production) -> list:
    """The processes (pids) holding a message they have not answered yet."""
    with psycopg2.connect(production["url"].replace("postgresql+psycopg2", "postgresql")) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT claimed_by FROM inbound_messages WHERE done_at IS NULL AND claimed_by IS NOT NULL")
        return [int(holder.rsplit(":", 1)[1]) for (holder,) in cursor.fetchall()]


def test_with_the_action_servers_down_the_customer_gets_an_apology_then_service_resumes(production, twilio_api):
    phone = "+573001234502"

    def send(body: str):
        return whatsapp(production, twilio_api, phone, body)

    for port in production["action_ports"]:
        for process in children_on_port(port):
            process.kill()
    apology = send("cuánto debo?")
    assert "Lo siento, tuve un problema" in apology and "asesor" in apology
    for port in production["action_ports"]:
        wait_healthy(f"http://127.0.0.1:{port}/health")
    resumed = send("cuánto debo?")
    assert "cuenta 100200302" in resumed and "Lo siento" not in resumed  # Carlos's real answer again


def test_a_database_restart_is_survived_without_restarting_luz(production, twilio_api):
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split()
    assert clusters, "no local PostgreSQL cluster to restart (.ci/run starts one)"
    version = clusters[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True)
    for _ in range(60):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            break
        time.sleep(0.5)
    sender = "+573001234504"
    answers = []
    for _ in range(3):  # the first turn after a restart may meet a dead pooled connection; no more than that
        reply = whatsapp(production, twilio_api, sender, "cuánto debo")
        answers.append("saldo" in reply and "Lo siento" not in reply)
        if answers[-1]:
            break
    assert answers[-1] and len(answers) <= 2
    assert production["process"].poll() is None  # Luz itself was never restarted


def test_only_the_public_port_of_nginx_listens_beyond_loopback(production):
    """`make run-prod`: every socket of every process is on loopback but nginx's public port."""
    from tests.security.forge import product_processes

    sockets = [(process.name(), c.laddr.ip, c.laddr.port) for process in product_processes(production)
               for c in process.connections(kind="inet") if c.status == "LISTEN"]
    public = int(production["base"].rsplit(":", 1)[1])
    ports = {port for *_, port in sockets}
    # every server is seen, so an empty or partial listing cannot pass
    assert {*production["rasa_ports"], *production["action_ports"], public} <= ports, sockets
    exposed = {(name, port) for name, ip, port in sockets if not ipaddress.ip_address(ip).is_loopback}
    assert exposed and all(name == "nginx" and port == public for name, port in exposed), sockets
