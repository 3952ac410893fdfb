"""When power comes back, as a customer may be told it: never a past time stated as a promise.

An estimate from the OMS can pass with the power still out. Then the
customer hears that it passed, that the crew is still working and by when a
new one will be given, and the outage is marked as owing an update
(``estimate_expired_at``) so supervisors see it and the OMS is asked for one.
"""
from __future__ import annotations

import datetime as dt
from typing import List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock, events
from bot.db import models as m
from bot.formatting import moment, time_of_day

UPDATE_WITHIN = dt.timedelta(hours=1)  # how soon an expired estimate is replaced, as promised to customers


def estimate_sentence(outage: m.Outage, timezone: str, now: Optional[dt.datetime] = None) -> str:
    """``Estimamos que la energía vuelva hoy a las 5:00 p. m.``, or why there is no such time to give."""
    now = now or clock.now()
    eta = outage.estimated_restoration_at
    today = now.astimezone(ZoneInfo(timezone)).date()
    if eta is None:
        return "Aún no tenemos una hora estimada de regreso."
    if eta > now:
        return f"Estimamos que la energía vuelva {moment(eta, timezone, today)}".rstrip(".") + "."
    update_by = time_of_day((now + UPDATE_WITHIN).astimezone(ZoneInfo(timezone)))
    return (f"La hora estimada de regreso ({moment(eta, timezone, today)}) ya pasó y la cuadrilla sigue trabajando. "
            f"Pedimos una nueva hora al centro de control: la tendremos antes de las {update_by}".rstrip(".") + ".")


def note_if_expired(session: Session, outage: m.Outage, now: Optional[dt.datetime] = None) -> bool:
    """Marks an active outage whose estimate has passed as owing an update (once); True when it is."""
    now = now or clock.now()
    eta = outage.estimated_restoration_at
    expired = outage.status == m.OutageStatus.active and eta is not None and eta <= now
    if expired and outage.estimate_expired_at is None:
        outage.estimate_expired_at = now
        events.record(session, "estimate_expired", value=outage.id, category="outage", at=now)
    return expired


def expired_estimates(session: Session, now: Optional[dt.datetime] = None) -> List[m.Outage]:
    """Active outages whose estimate has passed, each marked as owing an update: the supervisors' list."""
    now = now or clock.now()
    query = (select(m.Outage).where(m.Outage.status == m.OutageStatus.active,
                                    m.Outage.estimated_restoration_at <= now)
             .order_by(m.Outage.estimated_restoration_at))
    outages = list(session.execute(query).scalars())
    for outage in outages:
        note_if_expired(session, outage, now)
    return outages


def new_estimate(outage: m.Outage, eta: Optional[dt.datetime]) -> None:
    """The OMS gave a new time: the outage owes nothing any more."""
    outage.estimated_restoration_at = eta
    outage.estimate_expired_at = None
