"""A Redis lock store whose lock is one atomic command, for Rasa replicas sharing conversations.

Rasa's own RedisLockStore issues tickets with a read-modify-write of one JSON
value; two replicas taking a ticket for the same conversation at the same
moment can both believe they are first, process two turns at once and lose
an event when both save the tracker (seen in tests/production). Here the lock
is ``SET key token NX PX lifetime`` and is released only by its holder (a
compare-and-delete script), so one turn per conversation runs at a time,
whichever replica takes it.

The lock is a lease: it expires ``lock_lifetime`` seconds (Rasa's 60 s) after it was last renewed, so a
replica that dies holding it does not block the conversation for ever. A turn may last longer than that:
Rasa waits up to 5 minutes for an action (``DEFAULT_REQUEST_TIMEOUT``). So while the turn runs, the holder
renews its lease every third of the lifetime (compare-and-extend: only while the key still holds its
token); a lease that expired anyway is logged, never taken back from whoever holds it now.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Optional

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
EXTEND = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
POLL_SECONDS = 0.02

log = logging.getLogger(__name__)


class AtomicRedisLockStore(LockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, host: str = "127.0.0.1", port: int = 6379,
                 db: int = 1, password: Optional[str] = None, key_prefix: str = "luz") -> None:
        options = endpoint_config.kwargs if endpoint_config else {}
        self.red = redis.StrictRedis(
            host=(endpoint_config.url if endpoint_config and endpoint_config.url else host),
            port=int(options.get("port", port)), db=int(options.get("db", db)),
            password=options.get("password", password) or None, socket_timeout=10)
        self.prefix = f"{options.get('key_prefix', key_prefix)}:lock:"
        self._release = self.red.register_script(RELEASE)
        self._extend = self.red.register_script(EXTEND)
        super().__init__()

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncGenerator[TicketLock, None]:
        key, token = self.prefix + conversation_id, uuid.uuid4().hex
        deadline = time.monotonic() + lock_lifetime
        while not await asyncio.to_thread(self.red.set, key, token, nx=True, px=int(lock_lifetime * 1000)):
            if time.monotonic() > deadline:
                raise LockError(f"Could not lock conversation '{conversation_id}' within {lock_lifetime} s.")
            await asyncio.sleep(POLL_SECONDS)
        renewal = asyncio.create_task(self._renew(conversation_id, key, token, lock_lifetime))
        try:
            yield TicketLock(conversation_id)
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            await asyncio.to_thread(self._release, keys=[key], args=[token])

    async def _renew(self, conversation_id: str, key: str, token: str, lock_lifetime: float) -> None:
        """Extends the lease every third of its lifetime while this holder keeps it."""
        lifetime_ms = int(lock_lifetime * 1000)
        while True:
            await asyncio.sleep(lock_lifetime / 3)
            try:
                kept = await asyncio.to_thread(self._extend, keys=[key], args=[token, lifetime_ms])
            except redis.RedisError:  # tried again at the next third; two misses in a row still leave time
                log.warning("could not renew the lock of %s", conversation_id, exc_info=True)
                continue
            if not kept:
                log.error("the lock of %s expired while its turn ran; another turn may have started", conversation_id)
                return

    # The ticket interface of Rasa's base class is not used by this store.
    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return None

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(self.prefix + conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        pass
