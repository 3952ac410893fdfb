"""Rasa's speed-ups keep its behaviour: action server responses are still checked, and calls to an
endpoint reuse a connection without ever failing on one the server has closed."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

import bot.rasa_speedups
from tests.emulators import free_port


def test_good_responses_pass_and_bad_ones_are_refused_with_rasas_message():
    action = RemoteAction("action_start_journey", EndpointConfig("http://127.0.0.1:1/webhook"))
    good = {"events": [{"event": "slot", "name": "journey", "value": "check_balance"}], "responses": [{"text": "hola"}]}
    assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


async def _serve(port: int, peers: list) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername")[1])
        return web.json_response({"echo": (await request.json())["n"]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_calls_to_an_endpoint_share_a_connection_and_survive_its_restart():
    port, peers = free_port(), []
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    runner = await _serve(port, peers)
    assert [await endpoint.request(json={"n": n}) for n in range(3)] == [{"echo": 0}, {"echo": 1}, {"echo": 2}]
    assert len(set(peers)) == 1  # one connection, reused

    await runner.cleanup()  # the action server restarts: its connections are gone
    runner = await _serve(port, peers)
    assert await endpoint.request(json={"n": 3}) == {"echo": 3}

    await asyncio.sleep(bot.rasa_speedups.IDLE_CONNECTION_SECONDS + 0.5)  # idle: dropped before the server would
    assert await endpoint.request(json={"n": 4}) == {"echo": 4}
    assert len(set(peers)) == 3
    await runner.cleanup()
    await bot.rasa_speedups.close_sessions()
