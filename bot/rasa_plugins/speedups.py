"""Two per-call costs of Rasa 3.6 that profiling under load found (py-spy, docs/benchmarks.md):

- every action server response was checked with ``jsonschema.validate``, which first validates the
  *schema itself* against the JSON Schema 2020-12 meta-schema, on every call: two thirds of the Rasa
  server's CPU. Here the schema is checked once and each response is still validated, with the same
  error message when it is wrong.
- every call to the action server built a new HTTP client session and a new connection. Here each
  endpoint keeps one session whose connections are reused; one idle for 2 s is not used again, since
  the action server (Sanic: 5 s) or nginx (75 s) may be closing it. When the action server stops, the
  event loop sees its connections close; a request sent in that very instant fails its turn (Rasa's
  apology and the offer of a person), as it would without the reuse.

Importing this module changes nothing: ``install()`` patches Rasa, once per process however often it is
called. The Rasa server calls it by building our tracker store (``SQLTrackerStore.__init__`` in
``bot/rasa_plugins/tracker_store.py``, what endpoints.yml names), before it serves any message.
"""
from __future__ import annotations

import asyncio
import weakref
from typing import Any, Dict, Hashable, Optional, Tuple

import aiohttp
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

_validator: Optional[Any] = None  # the response schema's validator, its schema checked once by install()


def install() -> None:
    """Puts both speed-ups into Rasa's classes; calling it again does nothing."""
    global _validator
    if _validator is not None:
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    _validator = validator_class(schema)
    RemoteAction._validate_action_result = _validate_action_result
    EndpointConfig.session = _session


def installed() -> bool:
    return _validator is not None


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    if _validator is None:  # only install() puts this method on RemoteAction, after setting the validator
        raise RuntimeError("the action-response check ran before speedups.install()")
    try:
        _validator.validate(result)
        return True
    except ValidationError as e:
        e.message += (
            f". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


IDLE_CONNECTION_SECONDS = 2.0
# per event loop (a session belongs to the loop that made it), then per endpoint
_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[Tuple[Hashable, ...], aiohttp.ClientSession]] = (
    weakref.WeakKeyDictionary())


class _KeptSession:
    """``async with endpoint.session() as session`` that leaves the shared session open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def _session(self: EndpointConfig) -> _KeptSession:
    """One client session per endpoint and event loop."""
    sessions = _sessions.setdefault(asyncio.get_running_loop(), {})
    key = (self.url, tuple(sorted(self.headers.items())), tuple(sorted(self.basic_auth.items())))
    session = sessions.get(key)
    if session is None or session.closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = sessions[key] = aiohttp.ClientSession(
            headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS))
    return _KeptSession(session)


async def close_sessions() -> None:
    """Closes this event loop's sessions (at shutdown; Rasa's own code never closes them)."""
    for session in _sessions.pop(asyncio.get_running_loop(), {}).values():
        await session.close()
