"""Sign-in throttling: after too many wrong passwords for one user name, that name waits.

Keyed by user name, not by address: behind nginx every agent shares the proxy's address, and an
office's agents share one public address, so blocking an address would lock out colleagues. Kept in
the web service's memory (one web replica runs the console); a restart forgets the count, which only
ever lets an attacker start again at the same slow pace.
"""
from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Callable, Deque, Dict


class SignInThrottle:
    """At most `limit` failures per user name within `window` seconds; then refuse until the oldest expires."""

    def __init__(self, limit: int = 5, window: float = 900.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: Dict[str, Deque[float]] = defaultdict(deque)

    def _recent(self, username: str) -> Deque[float]:
        failures = self._failures[username.strip().lower()]
        while failures and self._clock() - failures[0] >= self.window:
            failures.popleft()
        return failures

    def wait_seconds(self, username: str) -> float:
        """0 when this name may try now, else how long until it may."""
        failures = self._recent(username)
        if len(failures) < self.limit:
            return 0.0
        return self.window - (self._clock() - failures[0])

    def failed(self, username: str) -> None:
        self._recent(username).append(self._clock())

    def succeeded(self, username: str) -> None:
        self._failures.pop(username.strip().lower(), None)
