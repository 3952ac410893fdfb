"""A message accepted is answered even when the process that took it dies (channels/guard.py, channels/inbox.py).

The webhook is answered before the turn runs and the provider will not send the message again, so the
message is kept with a lease; these tests leave a message as a killed process leaves it (kept, leased, never
answered) and show another process answering it once, a turn still running left alone, and a message that
keeps killing its process given up and recorded. The killed Rasa replica of tests/production/test_faults.py
shows the same with real processes.
"""
from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from channels import inbox
from channels.conversation import _RUNNING
from channels.guard import MAX_RUNS, guard, recover_once
from tests.channels.test_guard import message, twilio_request, whatsapp


def row(database_url, provider_id):
    with session_scope(engine_for(database_url)) as session:
        found = session.execute(select(m.InboundMessage).where(m.InboundMessage.provider_id == provider_id)).scalar_one()
        session.expunge(found)
        return found


def left_by_a_dead_process(form, lease=dt.timedelta(0)) -> int:
    """What a process that accepted the message and died before answering leaves behind."""
    return inbox.accept("whatsapp", form["MessageSid"], form["From"].removeprefix("whatsapp:"), dict(form), lease)


async def settle():
    await asyncio.gather(*list(_RUNNING))


def test_a_message_is_kept_until_its_turn_has_answered(use_database):
    turns = []
    form = message("+573105552001", "cuánto debo")

    async def go():
        answer = await guard(whatsapp(turns), twilio_request(form), on_new_message=None)
        assert answer.status == 200
        assert row(use_database, form["MessageSid"]).done_at is None  # the turn has not run yet
        await settle()

    asyncio.run(go())
    kept = row(use_database, form["MessageSid"])
    assert [t.text for t in turns] == ["cuánto debo"]
    assert kept.outcome == "answered" and kept.done_at is not None and kept.payload["Body"] == "cuánto debo"


def test_a_message_whose_process_died_is_answered_once_by_another(use_database):
    turns = []
    form = message("+573105552002", "no tengo luz")
    left_by_a_dead_process(form)
    channel = whatsapp(turns)

    async def go():
        first = await recover_once(channel, on_new_message=None)
        await settle()
        second = await recover_once(channel, on_new_message=None)
        await settle()
        return first, second

    assert asyncio.run(go()) == (1, 0)
    assert [(t.sender_id, t.text) for t in turns] == [("+573105552002", "no tengo luz")]
    kept = row(use_database, form["MessageSid"])
    assert kept.outcome == "answered" and kept.attempts == 2
    # the provider's retry of the same message, after all that, is still not a second turn
    asyncio.run(guard(channel, twilio_request(form), on_new_message=None))
    assert len(turns) == 1


def test_a_turn_still_running_elsewhere_is_left_alone(use_database):
    turns = []
    form = message("+573105552003", "hola")
    left_by_a_dead_process(form, lease=dt.timedelta(seconds=30))  # its process is alive and renewing
    assert asyncio.run(recover_once(whatsapp(turns), on_new_message=None)) == 0
    assert turns == [] and row(use_database, form["MessageSid"]).done_at is None


def test_a_message_that_keeps_killing_its_process_is_given_up_and_recorded(use_database):
    turns = []
    form = message("+573105552004", "💣")
    message_id = left_by_a_dead_process(form)
    with session_scope(engine_for(use_database)) as session:
        session.get(m.InboundMessage, message_id).attempts = MAX_RUNS
    asyncio.run(recover_once(whatsapp(turns), on_new_message=None))
    assert turns == [] and row(use_database, form["MessageSid"]).outcome == "given_up"
    with session_scope(engine_for(use_database)) as session:
        assert session.execute(select(m.InteractionEvent).where(m.InteractionEvent.kind == "inbound_given_up")).first()
