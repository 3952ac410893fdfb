"""How figures read to a Spanish-speaking customer: ``$ 84.350``, ``15 de diciembre``."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional, Union

from babel.dates import format_date, format_time

from bot import clock

Number = Union[Decimal, int, float]


def money(amount: Number) -> str:
    """Pesos without cents and with a dot for thousands: ``$ 84.350``."""
    value = Decimal(str(amount)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}$ {abs(int(value)):,}".replace(",", ".")


def decimal_es(amount: Number, places: int = 1) -> str:
    """``5,4``: a decimal comma, as Spanish readers expect."""
    return f"{Decimal(str(amount)):.{places}f}".replace(".", ",")


def kwh(amount: Number) -> str:
    value = Decimal(str(amount)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return f"{int(value):,} kWh".replace(",", ".")


def day(date: dt.date, today: Optional[dt.date] = None) -> str:
    """``15 de diciembre``, with the year only when it is not the current one."""
    today = today or clock.today()
    pattern = "d 'de' MMMM" if date.year == today.year else "d 'de' MMMM 'de' y"
    return format_date(date, pattern, locale="es")


def month(period: dt.date) -> str:
    """``noviembre de 2026``."""
    return format_date(period, "MMMM 'de' y", locale="es")


def short_month(period: dt.date) -> str:
    """``nov 26`` for charts and tables."""
    return format_date(period, "MMM yy", locale="es").replace(".", "")


def time_of_day(moment: dt.datetime) -> str:
    """``3:30 p. m.``, in the moment's own timezone."""
    return format_time(moment, "h:mm a", locale="es")


HONORIFICS = {"sr", "sra", "srta", "dr", "dra", "lic", "licda", "ing", "don", "dona", "doña", "prof", "mtro", "mtra"}


def first_name(full_name: str) -> str:
    """The name to greet someone by: the first word that is not a title (``Sra. Ana Gómez`` -> ``Ana``)."""
    words = full_name.split()
    return next((w for w in words if w.rstrip(".").lower() not in HONORIFICS), words[0] if words else "")


def mask_name(full_name: str) -> str:
    """``Ana María Gómez`` -> ``Ana M. G.``: enough to recognise, not to expose."""
    parts = [w for w in full_name.split() if w.rstrip(".").lower() not in HONORIFICS] or full_name.split()
    if not parts:
        return ""
    return " ".join([parts[0]] + [p[0] + "." for p in parts[1:]])


def mask_phone(phone: str) -> str:
    """``+573001234501`` -> ``***4501``: the customer recognises it, a shoulder-reader learns nothing."""
    return f"***{phone[-4:]}" if len(phone) > 4 else phone


def mask_address(address: str) -> str:
    """Keeps the street, hides the house number: ``Calle 45 # 12-30`` -> ``Calle 45 # ***``."""
    if "#" in address:
        street, _, _number = address.partition("#")
        return f"{street.strip()} # ***"
    words = address.split()
    return " ".join(words[:2] + ["***"]) if len(words) > 2 else address


def moment(when: dt.datetime, timezone: str, today: Optional[dt.date] = None) -> str:
    """``hoy a las 5:30 p. m.``, ``mañana a las 8:00 a. m.``, ``ayer a las ...``, ``el jueves 3 de diciembre a las ...``
    (local time; "today" is the utility's day, so midnight and the year end fall where customers expect)."""
    from zoneinfo import ZoneInfo

    local = when.astimezone(ZoneInfo(timezone))
    today = today or clock.today()
    hour = time_of_day(local)
    if local.date() == today:
        return f"hoy a las {hour}"
    if local.date() == today + dt.timedelta(days=1):
        return f"mañana a las {hour}"
    if local.date() == today - dt.timedelta(days=1):
        return f"ayer a las {hour}"
    weekday = format_date(local.date(), "EEEE", locale="es")
    return f"el {weekday} {day(local.date(), today)} a las {hour}"
