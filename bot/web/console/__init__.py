"""The agent console: sign in, the live queue, a conversation, reply, notes, transfer, close; and
the supervisors' dashboard.

Server-rendered pages (``pages``: Jinja2 templates in ``templates/``, ``static/``) kept live by
server-sent events; one module per concern: ``login``, ``queue``, ``conversation``, ``dashboard``, and the
agent desk (issue 20): ``presence`` (available / away, notifications, the next conversation), ``replies``
(WhatsApp templates, SMS, typing, documents), ``organise`` (labels, status, search), ``supervision``
(the supervisors' live view and reassignment).
``access`` holds who may enter (nothing is reachable signed out: pages redirect to the sign-in
form, the console's APIs answer 401), ``auth`` passwords, the session cookie and CSRF tokens,
``throttle`` sign-in throttling, ``customer_context`` what an agent sees of the customer.
"""
from __future__ import annotations

from fastapi import APIRouter

from bot.web.console import conversation, dashboard, login, organise, presence, queue, replies, supervision

router = APIRouter()
for _concern in (login, queue, conversation, dashboard, presence, organise, replies, supervision):
    router.include_router(_concern.router)
