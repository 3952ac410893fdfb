"""The lock store's lease (issue 18): a turn longer than the lock's lifetime keeps its conversation locked.

Rasa locks a conversation for 60 s but waits up to 5 minutes for an action; without renewal a second
replica could take the conversation while the first is still in its turn. Against the local Redis (the
production profile's), with lifetimes of a fraction of a second and keys of the test's own.
"""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from rasa.core.lock_store import LockError

from bot.rasa_plugins.lock_store import AtomicRedisLockStore

LIFETIME = 0.6


def store(prefix: str) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(key_prefix=prefix)


@pytest.fixture()
def prefix():
    name = f"luztest-{uuid.uuid4().hex[:8]}"
    yield name
    cleanup = store(name)
    for key in cleanup.red.scan_iter(f"{name}:*"):
        cleanup.red.delete(key)


def test_a_turn_longer_than_the_lease_keeps_the_conversation_locked(prefix):
    first, second = store(prefix), store(prefix)  # two replicas
    events = []

    async def long_turn():
        async with first.lock("+573001234501", lock_lifetime=LIFETIME):
            events.append(("first in", time.monotonic()))
            await asyncio.sleep(LIFETIME * 4)  # an action four lifetimes long
            events.append(("first out", time.monotonic()))

    async def other_replica():
        await asyncio.sleep(LIFETIME * 1.5)  # well past the first lease's original expiry
        with pytest.raises(LockError):  # it waits one lifetime, and the lock is still held
            async with second.lock("+573001234501", lock_lifetime=LIFETIME):
                events.append(("second in too early", time.monotonic()))
        async with second.lock("+573001234501", lock_lifetime=LIFETIME * 5):
            events.append(("second in", time.monotonic()))

    async def run():
        await asyncio.gather(long_turn(), other_replica())

    asyncio.run(run())
    assert [name for name, _ in events] == ["first in", "first out", "second in"]
    assert not first.red.exists(f"{prefix}:lock:+573001234501")  # released by its holder


def test_a_holder_that_died_does_not_block_the_conversation_for_ever(prefix):
    crashed, survivor = store(prefix), store(prefix)
    crashed.red.set(f"{prefix}:lock:+573001234502", "token-of-a-dead-replica", px=int(LIFETIME * 1000))

    async def run() -> float:
        started = time.monotonic()
        async with survivor.lock("+573001234502", lock_lifetime=LIFETIME * 3):
            return time.monotonic() - started

    waited = asyncio.run(run())
    assert 0.3 < waited < LIFETIME * 3  # it waited for the lease to lapse, no longer


def test_a_lease_taken_by_another_is_not_renewed_or_released_by_the_old_holder(prefix):
    holder = store(prefix)
    key = f"{prefix}:lock:+573001234503"

    async def run():
        async with holder.lock("+573001234503", lock_lifetime=LIFETIME):
            holder.red.set(key, "someone-else", px=10_000)  # as if the lease had lapsed and another took it
            await asyncio.sleep(LIFETIME)  # a renewal comes and goes

    asyncio.run(run())
    assert holder.red.get(key) == b"someone-else"
    assert holder.red.pttl(key) > 8_000  # not shortened to our lifetime either
