"""Sign-in throttling (issue 18): per name and per client address, with bounded memory.

The attacks go to the real console app (``bot.web.app.create_app`` over ASGI, each request from the client
address it names) on a migrated database with one agent of the test's own.
"""
from __future__ import annotations

import asyncio
import itertools
import re
from typing import List, Tuple

import httpx

from bot.db.engine import session_scope
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.console.auth import create_agent
from bot.web.console.throttle import SignInThrottle, address_key

_agents = itertools.count(1)
PASSWORD = "clave-segura-del-agente-1"


def agent(engine) -> str:
    name = f"throttled{next(_agents)}"
    with session_scope(engine) as session:
        create_agent(session, name, "Agente de Prueba", PASSWORD)
    return name


def attempts(database_url: str, tries: List[Tuple[str, str, str]]) -> List[int]:
    """Posts each (address, username, password) to the sign-in form from that address; the statuses."""
    app = create_app(Settings(database_url=database_url, scheduler=False))

    async def run() -> List[int]:
        statuses = []
        clients = {}
        try:
            for address, username, password in tries:
                if address not in clients:
                    clients[address] = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                                                         base_url="http://luz.test")
                client = clients[address]
                page = await client.get("/console/login")
                token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
                answer = await client.post("/console/login", data={"username": username, "password": password,
                                                                   "csrf": token})
                statuses.append(answer.status_code)
        finally:
            for client in clients.values():
                await client.aclose()
        return statuses

    return asyncio.run(run())


def test_one_address_trying_many_names_is_throttled(database_url, engine):
    name = agent(engine)
    guesses = [("203.0.113.7", f"agente{n}", "123456") for n in range(25)]
    statuses = attempts(database_url, [*guesses, ("203.0.113.7", name, PASSWORD), ("198.51.100.9", name, PASSWORD)])
    assert statuses[:20] == [401] * 20  # no name was tried twice: only the address counts
    assert statuses[20:25] == [429] * 5
    assert statuses[25] == 429  # even the right password waits from that address
    assert statuses[26] == 303  # the agent, from elsewhere, signs in


def test_one_name_tried_from_many_addresses_is_throttled(database_url, engine):
    name = agent(engine)
    statuses = attempts(database_url, [(f"198.51.100.{n}", name, "no-es") for n in range(1, 8)]
                        + [("192.0.2.200", name, PASSWORD)])
    assert statuses == [401] * 5 + [429] * 3


def test_an_ipv6_network_counts_as_one_address():
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    throttle = SignInThrottle(limit=5, address_limit=3, window=60, clock=lambda: 0.0)
    for n in range(3):
        throttle.failed(f"name{n}", f"2001:db8:1:2::{n + 1}")
    assert throttle.wait_seconds("otro", "2001:db8:1:2::abcd") == 60
    assert throttle.wait_seconds("otro", "2001:db8:1:3::1") == 0


def test_the_throttles_memory_stays_bounded_after_many_distinct_names():
    now = [0.0]
    throttle = SignInThrottle(limit=5, window=900, clock=lambda: now[0], max_keys=1000)
    for n in range(50_000):
        throttle.failed(f"nombre{n}", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
        throttle.wait_seconds(f"nunca-fallo{n}", f"172.16.{n // 256 % 256}.{n % 256}")  # a lookup remembers nothing
        now[0] += 0.001
    assert len(throttle.names) <= 1000 and len(throttle.addresses) <= 1000
    for _ in range(5):  # a name counted lately still waits
        throttle.failed("camila", "192.0.2.1")
    assert throttle.wait_seconds("camila") > 0
