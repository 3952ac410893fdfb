"""Ticket numbers and regulatory deadlines."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

PREFIXES = {"complaint": "RC", "outage": "AV", "hazard": "EM", "quality": "CS", "request": "SL"}


def ticket_number(kind: str, row_id: int) -> str:
    """``RC-0000123``: a prefix that tells the kind, then the row's id."""
    return f"{PREFIXES[kind]}-{row_id:07d}"


@lru_cache(maxsize=64)
def _holidays(country: str, first_year: int, last_year: int) -> holidays.HolidayBase:
    """A country's public holidays for some years: made once (building them is slow), then only read."""
    return holidays.country_holidays(country, years=range(first_year, last_year))


def business_days_after(start: dt.date, days: int, country: str = "CO") -> dt.date:
    """The day ``days`` business days after ``start``: Monday to Friday, and not a public holiday of
    ``country`` (ISO code; Colombia moves many holidays to Mondays, the `holidays` package knows which)."""
    closed = _holidays(country, start.year, start.year + 2 + days // 200)
    current, left = start, days
    while left > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5 and current not in closed:
            left -= 1
    return current
