"""What the assistant writes to the records: reports, complaints, requests, payments.

Each function adds rows to an open session and returns the ticket the
customer is told. Ticket numbers come from the row id, so they are unique
on every backend without a separate sequence.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Dict, Optional
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot import events
from bot.db import models as m
from bot.tickets import business_days_after, ticket_number

HAZARD_PRIORITY = 1
OUTAGE_PRIORITY = 2
QUALITY_PRIORITY = 3


def report_problem(
    session: Session, *, kind: str, channel: str, account: Optional[m.Account] = None, phone: Optional[str] = None,
    address: Optional[str] = None, description: Optional[str] = None, outage: Optional[m.Outage] = None,
    latitude: Optional[Decimal] = None, longitude: Optional[Decimal] = None, ticketed: bool = True,
) -> m.OutageReport:
    """An outage, power-quality or hazard report; hazards go first in every queue. ``ticketed=False``: a
    report counted toward a fault already known (bot/grouping.py), with no ticket of its own."""
    priority = {"hazard": HAZARD_PRIORITY, "no_power": OUTAGE_PRIORITY}.get(kind, QUALITY_PRIORITY)
    if kind == "no_power" and account is not None and account.customer.electro_dependent:
        priority = min(priority, HAZARD_PRIORITY + 1)
    report = m.OutageReport(
        kind=kind, priority=priority, account_id=account.id if account else None,
        outage_id=outage.id if outage else None, phone=phone, channel=channel,
        address=address or (account.address if account else None), description=description,
        latitude=latitude, longitude=longitude,
    )
    session.add(report)
    session.flush()
    if not ticketed:
        return report
    prefix = {"hazard": "hazard", "no_power": "outage"}.get(kind, "quality")
    report.ticket = ticket_number(prefix, report.id)
    events.record(session, "ticket_created", channel=channel, ticket=report.ticket, category=kind)
    return report


def file_complaint(
    session: Session, *, account: m.Account, category: str, description: str, channel: str,
    deadline_days: int, timezone: str, country: str = "CO", now: Optional[dt.datetime] = None,
) -> m.Complaint:
    """A complaint with its regulatory deadline: ``deadline_days`` business days (the country's public
    holidays excluded), end of day, local time."""
    now = now or m.utcnow()
    tz = ZoneInfo(timezone)
    due_day = business_days_after(now.astimezone(tz).date(), deadline_days, country)
    due = dt.datetime.combine(due_day, dt.time(23, 59), tz).astimezone(dt.timezone.utc)
    complaint = m.Complaint(
        account_id=account.id, category=category, channel=channel, description=description[:2000],
        status=m.TicketStatus.received, filed_at=now, due_at=due,
    )
    complaint.history.append(m.ComplaintEvent(at=now, status=m.TicketStatus.received, note="Reclamo recibido por Luz"))
    session.add(complaint)
    session.flush()
    complaint.ticket = ticket_number("complaint", complaint.id)
    events.record(session, "ticket_created", at=now, channel=channel, ticket=complaint.ticket,
                  category=f"complaint:{category}")
    return complaint


def request_service(
    session: Session, *, kind: str, channel: str, account: Optional[m.Account] = None,
    customer_id: Optional[int] = None, details: Optional[Dict[str, Any]] = None,
) -> m.ServiceRequest:
    request = m.ServiceRequest(
        kind=kind, channel=channel, account_id=account.id if account else None,
        customer_id=customer_id or (account.customer_id if account else None), details=details or {},
    )
    session.add(request)
    session.flush()
    request.ticket = ticket_number("request", request.id)
    events.record(session, "ticket_created", channel=channel, ticket=request.ticket, category=kind)
    return request


def record_reported_payment(
    session: Session, *, account: m.Account, amount: Decimal, place: str, channel: str,
) -> m.Payment:
    """A payment the customer says they made; applied only after reconciliation with the bank."""
    payment = m.Payment(
        account_id=account.id, amount=amount, paid_at=m.utcnow(), method=place[:40],
        status=m.PaymentStatus.reported, reported_channel=channel,
    )
    session.add(payment)
    session.flush()
    payment.reference = f"REP-{payment.id:07d}"
    return payment
