"""Every socket the embedded product (`python -m bot run`, what `make run` starts) listens on is on loopback."""
from __future__ import annotations

import ipaddress

import pytest

from tests.security.forge import product_processes

pytestmark = pytest.mark.slow


def listening(product):
    sockets = []
    for process in product_processes(product):
        for connection in process.connections(kind="inet"):
            if connection.status == "LISTEN":
                sockets.append((process.pid, " ".join(process.cmdline()[1:4]), connection.laddr.ip, connection.laddr.port))
    return sockets


def test_every_listening_socket_of_the_embedded_product_is_on_loopback(product):
    sockets = listening(product)
    ports = {port for *_, port in sockets}
    env = product["env"]
    # the three servers are all seen, so an empty or partial listing cannot pass
    assert {int(env["RASA_PORT"]), int(env["ACTION_PORT"]), int(env["WEB_PORT"])} <= ports, sockets
    exposed = [s for s in sockets if not ipaddress.ip_address(s[2]).is_loopback]
    assert not exposed, exposed
