"""Bounds on the turns one Rasa process takes: how many at once, and how fast one sender may write.

``TurnGate`` counts the turns being processed (``LUZ_MAX_TURNS_IN_FLIGHT``); a turn beyond the cap is not
processed but answered "busy" (``channels/conversation.py``), so a burst cannot pile up turns, memory and
action-server calls until everything times out. ``SenderRate`` lets one sender through at most ``limit``
messages per sliding minute (``LUZ_SENDER_RATE``): the first message beyond gets one polite answer, the
rest nothing until the window has room again. It remembers at most ``max_senders`` senders, the least
recently seen dropped first, so a flood of made-up sender ids cannot grow it without bound.

Both live in the process's memory and the event loop (one thread), so they need no lock; with several
replicas each has its own, which is the point: each protects its own process.
"""
from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable, Deque

ALLOW, WARN, SILENT = "allow", "warn", "silent"


class TurnGate:
    """At most ``limit`` turns in flight; ``enter`` says whether one more may start (then ``leave`` when done)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.in_flight = max(1, limit), 0

    def enter(self) -> bool:
        if self.in_flight >= self.limit:
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)


@dataclass
class _Window:
    times: Deque[float] = field(default_factory=deque)
    warned: bool = False


class SenderRate:
    """At most ``limit`` messages per ``window`` seconds per sender, remembering at most ``max_senders`` senders."""

    def __init__(self, limit: int, window: float = 60.0, max_senders: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.max_senders, self._clock = max(1, limit), window, max_senders, clock
        self._senders: OrderedDict[str, _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._senders)

    def check(self, sender: str) -> str:
        """Counts one message: ALLOW (take the turn), WARN (the first one over: answer politely) or SILENT."""
        now = self._clock()
        seen = self._senders.pop(sender, None) or _Window()
        self._senders[sender] = seen  # the most recently seen last
        while len(self._senders) > self.max_senders:
            self._senders.popitem(last=False)
        while seen.times and now - seen.times[0] >= self.window:
            seen.times.popleft()
        if len(seen.times) < self.limit:
            seen.times.append(now)
            seen.warned = False
            return ALLOW
        if seen.warned:
            return SILENT
        seen.warned = True
        return WARN
