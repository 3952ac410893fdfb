"""The one guard in front of every webhook: on, verified, parsed, seen once, handed over, answered.

An input channel says how to verify a request (a signature, a secret token), how to parse it into a
``Received`` (the provider's id of the message, its sender, and what to hand over), and what the
provider expects as an answer. ``guard`` does the rest in the same order for every channel: a channel
without credentials answers 503, an unverified request 403 (and nothing else happens), a malformed one
400; a message already seen (the provider's retry, also after a restart) is answered without a second
turn; the turn runs after the answer, so the provider never waits on the assistant.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional, Protocol

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import inbox
from channels.conversation import OnNewMessage, spawn


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


async def guard(hook: Webhook, request: Request, on_new_message: OnNewMessage,
                first_time: Callable[[str, str, str], Any] = inbox.first_time) -> HTTPResponse:
    """Runs one webhook request through the guard; ``first_time`` records a message id (False when seen)."""
    if not hook.configured:
        return response.text("channel not configured", status=503)
    if not hook.verify(request):
        return response.text(hook.refusal, status=403)
    try:
        received = await hook.parse(request)
    except Malformed as error:
        return response.text(str(error), status=400)
    if received is not None and await asyncio.to_thread(first_time, hook.channel, received.message_id, received.sender):
        spawn(received.hand_over(on_new_message))
    return hook.acknowledge()
