"""Rasa's speed-ups are installed by an explicit call, never by an import, and keep Rasa's behaviour: action
server responses are still checked, and calls to an endpoint reuse a connection without ever failing on one
the server has closed."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import psutil
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.rasa_plugins import speedups
from tests.conftest import PROJECT_ROOT
from tests.emulators import free_port


@pytest.fixture(autouse=True)
def installed():
    speedups.install()


def test_importing_patches_nothing_and_building_the_tracker_store_installs_them_once():
    code = (
        "from rasa.core.actions.action import RemoteAction\n"
        "from rasa.utils.endpoints import EndpointConfig\n"
        "from bot.rasa_plugins import speedups\n"
        "from bot.rasa_plugins.tracker_store import SQLTrackerStore\n"
        "original = EndpointConfig.session\n"
        "assert not speedups.installed() and RemoteAction._validate_action_result is not speedups._validate_action_result\n"
        "SQLTrackerStore(domain=None, host='sqlite://')\n"
        "assert speedups.installed() and EndpointConfig.session is speedups._session is not original\n"
        "validator = speedups._validator\n"
        "speedups.install()\n"
        "assert speedups._validator is validator and RemoteAction._validate_action_result is speedups._validate_action_result\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_good_responses_pass_and_bad_ones_are_refused_with_rasas_message():
    action = RemoteAction("action_start_journey", EndpointConfig("http://127.0.0.1:1/webhook"))
    good = {"events": [{"event": "slot", "name": "journey", "value": "check_balance"}], "responses": [{"text": "hola"}]}
    assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def _start_action_server(port: int, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'luz.db'}"}
    server = subprocess.Popen([sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    pytest.fail("the action server did not start")


def _connections_to(port: int) -> set:
    """This process's open connections to the port, by their local port."""
    return {c.laddr.port for c in psutil.Process().net_connections(kind="tcp")
            if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED}


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(30)


async def _ask(endpoint: EndpointConfig) -> None:
    """A call as Rasa makes it: a POST with a body (GET /health, used before, was now and then answered
    on a second connection when the whole suite ran; Rasa never sends a GET there). An action nobody
    wrote keeps the test free of a database; the server's answer proves the call arrived."""
    with pytest.raises(ClientResponseError, match="404, Not Found.*No registered action found for name.*action_nobody_wrote"):
        await endpoint.request(json={"next_action": "action_nobody_wrote"})


async def test_calls_to_the_action_server_share_a_connection_and_survive_its_restart(tmp_path):
    port = free_port()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    server = _start_action_server(port, tmp_path)
    try:
        for _ in range(3):
            await _ask(endpoint)
        first = _connections_to(port)
        assert len(first) == 1  # one connection, kept open and reused

        # The action server restarts while Rasa's event loop goes on (as it does in the server), so the
        # loop sees the old connection close and does not send the next request on it.
        await asyncio.to_thread(_stop, server)
        server = await asyncio.to_thread(_start_action_server, port, tmp_path)
        await _ask(endpoint)
        second = _connections_to(port)
        assert len(second) == 1 and second != first

        # Idle longer than 2 s: not used again (the server may be about to close it), a new one is opened.
        await asyncio.sleep(speedups.IDLE_CONNECTION_SECONDS + 0.5)
        await _ask(endpoint)
        assert second.isdisjoint(_connections_to(port)) and len(_connections_to(port)) == 1
    finally:
        _stop(server)
        await speedups.close_sessions()
