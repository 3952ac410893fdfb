"""The action server (rasa-sdk 3.6) closed to everyone but Rasa: ``python -m bot action-server``.

rasa-sdk 3.6 has no authentication of its own and listens on every interface. This is its Sanic app
with a request middleware that refuses (401) any call without ``LUZ_ACTION_SECRET`` in the
``X-Luz-Action-Secret`` header, except ``/health``; it listens on loopback unless told otherwise
(``--host 0.0.0.0`` in a container, where a NetworkPolicy lets only Rasa pods in) and does not start
without a secret.
"""
from __future__ import annotations

import logging
import sys

from sanic import Sanic, response
from sanic.request import Request

from bot import internal_auth
from bot.settings import LUZ_ACTION_SECRET

log = logging.getLogger("luz.action_server")
OPEN_PATHS = frozenset({"/health"})


def create_app(secret: str, actions: str = "actions") -> Sanic:
    from rasa_sdk.endpoint import create_app as sdk_app

    if not secret:
        raise ValueError("the action server needs a secret")
    app = sdk_app(actions, cors_origins=None)  # nothing calls it from a browser

    async def require_secret(request: Request):
        if request.path in OPEN_PATHS:
            return None
        if not internal_auth.accepts(secret, request.headers.get(internal_auth.HEADER)):
            log.warning("refused a call to %s without the action secret from %s", request.path, request.ip)
            return response.json({"error": "unauthorized"}, status=401)
        return None

    app.register_middleware(require_secret, "request")
    return app


def run(port: int, host: str, secret: str) -> int:
    from rasa_sdk import utils

    if not secret:
        print(f"The action server does not start without {LUZ_ACTION_SECRET}: set it to a long random "
              "value (the same for Rasa).", file=sys.stderr)
        return 2
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.update_sanic_log_level()
    app = create_app(secret)
    log.info("action server on http://%s:%s (calls need the action secret)", host, port)
    app.run(host, port, workers=utils.number_of_sanic_workers())
    return 0
