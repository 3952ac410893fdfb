"""The one guard in front of every webhook: on, verified, parsed, kept, handed over, answered.

An input channel says how to verify a request (a signature, a secret token), how to parse it into a
``Received`` (the provider's id of the message, its sender, and what to hand over), and what the
provider expects as an answer. ``guard`` does the rest in the same order for every channel: a channel
without credentials answers 503, an unverified request 403 (and nothing else happens), a malformed one
400; a message already seen (the provider's retry, also after a restart) is answered without a second
turn; the turn runs after the answer, so the provider never waits on the assistant.

The provider is answered before the turn runs and will not send the message again, so a channel whose
requests can be read again (``Replayable``) has its message kept in the inbox with a lease, renewed while
the turn runs and closed when it is answered. If the process dies in between, the lease runs out and
``watch_orphans`` (every Rasa process runs it) claims the message and runs its turn again: an accepted
message is answered at least once, and a turn still running is never taken from its process.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional, Protocol, runtime_checkable

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import events
from bot.settings import get_settings
from channels import inbox
from channels.conversation import OnNewMessage, spawn

log = logging.getLogger(__name__)
MAX_RUNS = 3  # a message whose turn killed its process this many times is given up (a poison message), recorded


class Malformed(Exception):
    """The request was verified but cannot be read (answered 400 with this message)."""


@dataclass
class Received:
    message_id: str  # the provider's id: each is handed over once
    sender: str  # recorded with the id
    hand_over: Callable[[OnNewMessage], Awaitable[None]]  # the turn, run after the webhook has answered


class Webhook(Protocol):
    channel: str
    refusal: str  # the 403's text

    @property
    def configured(self) -> bool: ...

    def verify(self, request: Request) -> bool: ...

    async def parse(self, request: Request) -> Optional[Received]: ...

    def acknowledge(self) -> HTTPResponse: ...


@runtime_checkable
class Replayable(Protocol):
    """A channel whose verified requests can be read again, so their turns survive the death of a process."""

    channel: str

    def payload(self, request: Request) -> Dict[str, Any]:
        """What is kept of the request (JSON-able) to run its turn again."""

    async def replay(self, payload: Dict[str, Any]) -> Optional[Received]:
        """The message again, from what ``payload`` kept."""


Accept = Callable[[str, str, str, Optional[Dict[str, Any]], dt.timedelta], Optional[int]]


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=get_settings().inbox_lease_seconds)


async def guard(hook: Webhook, request: Request, on_new_message: OnNewMessage, accept: Accept = inbox.accept) -> HTTPResponse:
    """Runs one webhook request through the guard; ``accept`` keeps a message (None when already seen)."""
    if not hook.configured:
        return response.text("channel not configured", status=503)
    if not hook.verify(request):
        return response.text(hook.refusal, status=403)
    try:
        received = await hook.parse(request)
    except Malformed as error:
        return response.text(str(error), status=400)
    if received is not None:
        payload = hook.payload(request) if isinstance(hook, Replayable) else None
        kept = await asyncio.to_thread(accept, hook.channel, received.message_id, received.sender, payload, _lease())
        if kept is not None:
            spawn(run_kept(kept, received.hand_over(on_new_message)) if payload is not None
                  else received.hand_over(on_new_message))
    return hook.acknowledge()


async def run_kept(message_id: int, turn: Awaitable[None]) -> None:
    """Runs a kept message's turn, renewing its lease meanwhile; the message is closed when it ends."""
    lease = _lease()

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            await asyncio.to_thread(inbox.renew, message_id, lease)

    renewing = asyncio.get_running_loop().create_task(renew())
    try:
        await turn
    finally:
        renewing.cancel()
        await asyncio.to_thread(inbox.done, message_id)


async def recover_once(hook: Replayable, on_new_message: OnNewMessage) -> int:
    """Claims the channel's messages whose turn was lost with its process and runs them again; how many."""
    orphans, given_up = await asyncio.to_thread(inbox.claim_orphans, hook.channel, _lease(), MAX_RUNS)
    for message_id in given_up:
        log.error("message %s on %s given up: its turn was lost %s times", message_id, hook.channel, MAX_RUNS)
        await asyncio.to_thread(events.record_now, get_settings().database_url, "inbound_given_up", channel=hook.channel)
    for message_id, payload in orphans:
        log.warning("message %s on %s was not answered by the process that took it: running it again",
                    message_id, hook.channel)
        received = await hook.replay(payload)
        if received is None:
            await asyncio.to_thread(inbox.done, message_id)
            continue
        spawn(run_kept(message_id, received.hand_over(on_new_message)))
    return len(orphans)


def watch_orphans(blueprint: Blueprint, hook: Replayable, on_new_message: OnNewMessage) -> None:
    """While the server runs, looks for the channel's lost turns every ``LUZ_INBOX_RETRY_SECONDS``."""
    tasks: Dict[str, asyncio.Task] = {}

    async def watch() -> None:
        while True:
            await asyncio.sleep(get_settings().inbox_retry_seconds)
            try:
                await recover_once(hook, on_new_message)
            except Exception:  # noqa: BLE001 - the database may be away for a moment: look again later
                log.exception("looking for lost turns on %s failed", hook.channel)

    @blueprint.listener("after_server_start")
    async def start(_app, loop) -> None:
        tasks["watch"] = loop.create_task(watch())

    @blueprint.listener("before_server_stop")
    async def stop(_app, _loop) -> None:
        if "watch" in tasks:
            tasks["watch"].cancel()
