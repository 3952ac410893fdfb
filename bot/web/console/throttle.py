"""Sign-in throttling: too many wrong passwords for one user name, or from one client address, and it waits.

Per user name (``limit`` failures in ``window``): guessing one agent's password is slow from anywhere. Per
client address (``address_limit``, higher): one address trying many names is slowed too, without locking
out an office whose agents share one public address (behind nginx the address is the client's, taken from
``X-Forwarded-For`` by uvicorn, which trusts it only from the proxy on loopback; an IPv6 address counts by
its /64, which one machine usually holds whole). A correct password clears its name's count, not its
address's, so one valid account cannot launder another name's guesses.

Bounded memory: at most ``max_keys`` names and ``max_keys`` addresses are remembered, and at most the
last ``limit`` failures of each; a lookup remembers nothing, and the least recently failed is forgotten
first (the expired ones, if any). Kept in the web service's memory (one web replica runs the console); a
restart forgets the counts, which only lets an attacker start again at the same slow pace.
"""
from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict, deque
from typing import Callable, Deque, Optional


class _Failures:
    """Failure times per key, at most ``max_keys`` keys, least recently failed first."""

    def __init__(self, limit: int, window: float, max_keys: int, clock: Callable[[], float]) -> None:
        self.limit, self.window, self.max_keys, self._clock = limit, window, max_keys, clock
        self._keys: OrderedDict[str, Deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def _expire(self, failures: Deque[float]) -> Deque[float]:
        now = self._clock()
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def wait_seconds(self, key: str) -> float:
        failures = self._keys.get(key)
        if failures is None or len(self._expire(failures)) < self.limit:
            return 0.0
        return self.window - (self._clock() - failures[-self.limit])

    def failed(self, key: str) -> None:
        failures = self._expire(self._keys.pop(key) if key in self._keys else deque())
        failures.append(self._clock())
        while len(failures) > self.limit:  # only the last `limit` matter: memory per key is bounded too
            failures.popleft()
        self._keys[key] = failures  # the most recently failed last: the first ones have expired, if any has
        while len(self._keys) > self.max_keys:
            self._keys.popitem(last=False)

    def clear(self, key: str) -> None:
        self._keys.pop(key, None)


def address_key(address: Optional[str]) -> Optional[str]:
    """The key an address counts under: itself, or its /64 for IPv6; None when unknown."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class SignInThrottle:
    """At most ``limit`` failures per user name and ``address_limit`` per client address within ``window`` seconds;
    beyond either, refuse until the oldest counted failure expires."""

    def __init__(self, limit: int = 5, window: float = 900.0, clock: Callable[[], float] = time.monotonic,
                 address_limit: int = 20, max_keys: int = 10_000) -> None:
        self.limit, self.window, self.address_limit = limit, window, address_limit
        self.names = _Failures(limit, window, max_keys, clock)
        self.addresses = _Failures(address_limit, window, max_keys, clock)

    @staticmethod
    def _name(username: str) -> str:
        return username.strip().lower()[:150]

    def wait_seconds(self, username: str, address: Optional[str] = None) -> float:
        """0 when this name may try now from this address, else how long until it may."""
        key = address_key(address)
        return max(self.names.wait_seconds(self._name(username)),
                   self.addresses.wait_seconds(key) if key else 0.0)

    def failed(self, username: str, address: Optional[str] = None) -> None:
        self.names.failed(self._name(username))
        key = address_key(address)
        if key:
            self.addresses.failed(key)

    def succeeded(self, username: str, address: Optional[str] = None) -> None:
        self.names.clear(self._name(username))
