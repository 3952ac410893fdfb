"""A Redis lock store whose lock is one atomic command, for Rasa replicas sharing conversations.

Rasa's own RedisLockStore issues tickets with a read-modify-write of one JSON
value; two replicas taking a ticket for the same conversation at the same
moment can both believe they are first, process two turns at once and lose
an event when both save the tracker (seen in tests/production). Here the lock
is ``SET key token NX PX lifetime`` and is released only by its holder (a
compare-and-delete script), so one turn per conversation runs at a time,
whichever replica takes it.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Optional

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
POLL_SECONDS = 0.02


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
        try:
            yield TicketLock(conversation_id)
        finally:
            await asyncio.to_thread(self._release, keys=[key], args=[token])

    # The ticket interface of Rasa's base class is not used by this store.
    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return None

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(self.prefix + conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        pass
