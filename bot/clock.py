"""The product's one clock: every "now" and "today" is read here.

Records, actions, channels, jobs, the console, the API, KPIs and the seed ask
this module what time it is, so a test (or a demo) can put the whole product
at any instant. Instants are aware and in UTC; ``today()`` and
``local_now()`` are the utility's day and hour (``LUZ_TIMEZONE``).

In one process a test swaps the clock (``travel_to``). Processes started by
a test (Rasa, the action server, the web service) follow ``LUZ_CLOCK_OFFSET``:
seconds added to the real time, so they all tick together at the same
instant. Production refuses that variable (``bot.ops.production``).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import time
from typing import Iterator, Optional, Protocol
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


class Clock(Protocol):
    offset: dt.timedelta  # from the machine's time: how Rasa's own timestamps map onto this clock

    def now(self) -> dt.datetime:
        """The current instant, aware, in UTC."""


def _machine_now() -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time(), UTC)


class SystemClock:
    """The machine's time, shifted by ``offset`` (zero outside tests and demos)."""

    def __init__(self, offset: dt.timedelta = dt.timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> dt.datetime:
        return _machine_now() + self.offset


class FixedClock:
    """Stands still at one instant until moved: tests that need a precise hour."""

    def __init__(self, instant: dt.datetime) -> None:
        self.instant = _aware(instant)
        self.offset = self.instant - _machine_now()

    def now(self) -> dt.datetime:
        return self.instant

    def advance(self, delta: dt.timedelta) -> None:
        self.instant += delta


def _aware(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None:
        raise ValueError("a clock instant needs its time zone")
    return instant.astimezone(UTC)


def _from_settings() -> Clock:
    from bot.settings import get_settings

    return SystemClock(dt.timedelta(seconds=get_settings().clock_offset_seconds))


_clock: Optional[Clock] = None


def current() -> Clock:
    global _clock
    if _clock is None:
        _clock = _from_settings()
    return _clock


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return current().now()


def from_timestamp(seconds: float) -> dt.datetime:
    """A Unix timestamp written by the machine's clock (Rasa's events) on this clock's timeline."""
    return dt.datetime.fromtimestamp(seconds, UTC) + current().offset


def to_machine(instant: dt.datetime) -> dt.datetime:
    """``instant`` on the machine's timeline: for APScheduler, which only knows the machine's time."""
    return _aware(instant) - current().offset


def zone() -> ZoneInfo:
    from bot.settings import get_settings

    return ZoneInfo(get_settings().timezone)


def local_now() -> dt.datetime:
    """The current instant in the utility's time zone."""
    return now().astimezone(zone())


def today() -> dt.date:
    """The utility's calendar day (not UTC's, not the machine's)."""
    return local_now().date()


def local(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(zone())


def set_clock(clock: Optional[Clock]) -> None:
    """Use ``clock`` from now on in this process (``None``: back to the settings' one)."""
    global _clock
    _clock = clock


@contextlib.contextmanager
def travel_to(instant: dt.datetime) -> Iterator[FixedClock]:
    """Put this process at ``instant`` for the block; the yielded clock can be moved on."""
    previous = _clock
    clock = FixedClock(instant)
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


def offset_to(instant: dt.datetime) -> float:
    """The ``LUZ_CLOCK_OFFSET`` that puts child processes at ``instant`` now."""
    return (_aware(instant) - _machine_now()).total_seconds()
