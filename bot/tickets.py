"""Ticket numbers and regulatory deadlines."""
from __future__ import annotations

import datetime as dt

PREFIXES = {"complaint": "RC", "outage": "AV", "hazard": "EM", "quality": "CS", "request": "SL"}


def ticket_number(kind: str, row_id: int) -> str:
    """``RC-0000123``: a prefix that tells the kind, then the row's id."""
    return f"{PREFIXES[kind]}-{row_id:07d}"


def business_days_after(start: dt.date, days: int) -> dt.date:
    """The day ``days`` business days (Monday to Friday) after ``start``."""
    current, left = start, days
    while left > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current
