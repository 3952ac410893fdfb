"""Questions the assistant asks the records database, answered as plain values.

Functions take an open ``Session`` and return small dataclasses, so actions
never hold ORM objects across an ``await`` and tests read like the journey.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, List, Optional, Tuple

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from bot.db import models as m
from bot.text import fold


@dataclass(frozen=True)
class AccountRef:
    """What may be said about a supply before its owner is verified: nothing private."""

    account_number: str
    masked_address: str


@dataclass(frozen=True)
class Balance:
    account_number: str
    status: m.AccountStatus
    amount_due: Decimal
    unpaid_bills: int
    overdue_bills: int
    next_due_date: Optional[dt.date]
    latest_period: Optional[dt.date]
    latest_total: Optional[Decimal]
    latest_due_date: Optional[dt.date]
    latest_paid_on: Optional[dt.date]
    overdue_amount: Decimal = Decimal("0")  # of bills whose due date has passed on the day asked


def customer_ids_for_phone(session: Session, phone: str) -> List[int]:
    rows = session.execute(select(m.Phone.customer_id).where(m.Phone.number == phone)).scalars()
    return sorted(set(rows))


def accounts_for_phone(session: Session, phone: str) -> List[m.Account]:
    """Active or suspended supplies of every customer who registered this phone."""
    query = (
        select(m.Account)
        .join(m.Phone, m.Phone.customer_id == m.Account.customer_id)
        .where(m.Phone.number == phone, m.Account.status != m.AccountStatus.retired)
        .order_by(m.Account.account_number)
    )
    return list(session.execute(query).scalars().unique())


def account_by_number(session: Session, account_number: str) -> Optional[m.Account]:
    query = select(m.Account).where(m.Account.account_number == account_number)
    return session.execute(query).scalar_one_or_none()


def verified_account(session: Session, account_number: Optional[str]) -> m.Account:
    """The account a conversation was verified for; it exists, so its absence is a fault, not an answer."""
    account = account_by_number(session, account_number) if account_number else None
    if account is None:
        raise LookupError(f"the verified account {account_number!r} is not in the records")
    return account


def phone_owns_account(session: Session, phone: Optional[str], account: m.Account) -> bool:
    if not phone:
        return False
    return account.customer_id in customer_ids_for_phone(session, phone)


def holder_id_ends_with(session: Session, account: m.Account, last_digits: str) -> bool:
    national_id = session.get(m.Customer, account.customer_id).national_id
    return len(last_digits) == 4 and national_id.endswith(last_digits)


def second_factor_failures(session: Session, account_number: str, sender: str, since: dt.datetime) -> Tuple[int, int]:
    """Wrong second-factor answers since ``since``: for this account number (from anyone), and from this sender."""
    def count(*where: Any) -> int:
        return int(session.execute(select(func.count()).select_from(m.SecondFactorFailure)
                                   .where(m.SecondFactorFailure.at >= since, *where)).scalar_one())

    return count(m.SecondFactorFailure.account_number == account_number), count(m.SecondFactorFailure.sender == sender)


def record_second_factor_failure(session: Session, account_number: str, account: Optional[m.Account], sender: str) -> None:
    session.add(m.SecondFactorFailure(account_number=account_number[:20], account_id=account.id if account else None,
                                      sender=sender[:80]))
    session.flush()


def lock_key(*parts: str) -> int:
    """A PostgreSQL advisory lock key (a signed 64-bit integer) for these words."""
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big", signed=True)


def hold_second_factor(session: Session, account_number: str, sender: str) -> None:
    """Serialises second-factor checks of one sender and of one account number until the transaction ends,
    so counting the failures and recording one is a single step: parallel guesses cannot pass the limit.

    PostgreSQL: transaction advisory locks, the sender's first and then the number's (one order, no deadlock),
    and the account's row ``FOR UPDATE`` when it exists. SQLite has one writer: a write at the start takes it,
    so the counts read afterwards are the latest and nobody else writes until this transaction ends.
    """
    if session.get_bind().dialect.name == "postgresql":
        for key in (lock_key("second-factor-sender", sender[:80]), lock_key("second-factor-account", account_number)):
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        session.execute(select(m.Account.id).where(m.Account.account_number == account_number).with_for_update())
    else:
        session.execute(update(m.SecondFactorFailure).where(m.SecondFactorFailure.id == -1)
                        .values(sender=m.SecondFactorFailure.sender))


def second_factor_attempt(session: Session, account_number: str, sender: str, digits: str, since: dt.datetime,
                          per_account: int, per_sender: int) -> str:
    """One answer to "the last 4 digits of the holder's id", checked and counted in one step (the caller's
    transaction): "right", "wrong", or "locked" (too many wrong answers for the number or from the sender,
    this one included). An account number that does not exist is a wrong answer like any other."""
    hold_second_factor(session, account_number, sender)
    account = account_by_number(session, account_number)
    for_number, from_sender = second_factor_failures(session, account_number, sender, since)
    if for_number >= per_account or from_sender >= per_sender:
        return "locked"
    if account is not None and holder_id_ends_with(session, account, digits):
        return "right"
    record_second_factor_failure(session, account_number, account, sender)
    return "locked" if for_number + 1 >= per_account or from_sender + 1 >= per_sender else "wrong"


def balance(session: Session, account: m.Account, today: dt.date) -> Balance:
    bills = list(
        session.execute(
            select(m.Bill).where(m.Bill.account_id == account.id).order_by(m.Bill.period.desc()).limit(24)
        ).scalars()
    )
    unpaid = [b for b in bills if b.status != m.BillStatus.paid]
    overdue = [b for b in unpaid if b.due_date < today]  # from the dates on ``today``, not the stored status
    latest = bills[0] if bills else None
    return Balance(
        account_number=account.account_number,
        status=account.status,
        amount_due=sum((b.total for b in unpaid), Decimal("0")),
        unpaid_bills=len(unpaid),
        overdue_bills=len(overdue),
        next_due_date=min((b.due_date for b in unpaid if b.due_date >= today), default=None),
        overdue_amount=sum((b.total for b in overdue), Decimal("0")),
        latest_period=latest.period if latest else None,
        latest_total=latest.total if latest else None,
        latest_due_date=latest.due_date if latest else None,
        latest_paid_on=latest.paid_on if latest else None,
    )


def payment_reference(bill: m.Bill) -> str:
    """What the payment portal and the banks take to apply a payment to this bill."""
    return f"{bill.account.account_number}-{bill.period:%Y%m}"


def bills(session: Session, account: m.Account, months: int) -> List[m.Bill]:
    """The latest ``months`` bills, oldest first."""
    rows = session.execute(
        select(m.Bill).where(m.Bill.account_id == account.id).order_by(m.Bill.period.desc()).limit(months)
    ).scalars()
    return list(reversed(list(rows)))


consumption = bills


def active_outage_in(session: Session, zone_id: int) -> Optional[m.Outage]:
    """An unplanned outage in progress on any part of the zone."""
    query = (select(m.Outage).join(m.OutageArea)
             .where(m.Outage.status == m.OutageStatus.active, m.OutageArea.zone_id == zone_id)
             .order_by(m.Outage.starts_at.desc()))
    return session.execute(query).scalars().first()


def active_outage_for(session: Session, account: m.Account) -> Optional[m.Outage]:
    """An unplanned outage in progress on the supply's zone (or its feeder)."""
    query = (
        select(m.Outage)
        .join(m.OutageArea)
        .where(
            m.Outage.status == m.OutageStatus.active,
            m.OutageArea.zone_id == account.zone_id,
            (m.OutageArea.feeder_id.is_(None)) | (m.OutageArea.feeder_id == account.feeder_id),
        )
        .order_by(m.Outage.starts_at.desc())
    )
    return session.execute(query).scalars().first()


def planned_outages_for(session: Session, account: m.Account, start: dt.datetime, end: dt.datetime) -> List[m.Outage]:
    return planned_outages_in(session, account.zone_id, start, end)


def planned_outages_in(session: Session, zone_id: int, start: dt.datetime, end: dt.datetime) -> List[m.Outage]:
    """Planned work on the zone between ``start`` and ``end``: work under way at ``start`` included, work
    already over excluded (its end passed, even when the OMS has not closed it yet)."""
    query = (
        select(m.Outage)
        .join(m.OutageArea)
        .where(
            m.Outage.kind == m.OutageKind.planned,
            m.Outage.status.in_([m.OutageStatus.scheduled, m.OutageStatus.active]),
            m.Outage.starts_at < end,
            func.coalesce(m.Outage.estimated_restoration_at, m.Outage.starts_at) > start,
            m.OutageArea.zone_id == zone_id,
        )
        .order_by(m.Outage.starts_at)
    )
    return list(session.execute(query).scalars().unique())


def zone_named(session: Session, folded_text: str) -> Optional[m.Zone]:
    """The zone whose name a message mentions ("hay cortes en chapinero?"), given the folded text
    (lower case, no accents)."""
    zones = session.execute(select(m.Zone)).scalars().all()
    return next((z for z in sorted(zones, key=lambda z: -len(z.name))
                 if re.search(rf"\b{re.escape(fold(z.name))}\b", folded_text)), None)


def open_reports(session: Session, account: m.Account) -> List[m.OutageReport]:
    query = (
        select(m.OutageReport)
        .where(m.OutageReport.account_id == account.id,
               m.OutageReport.status.in_([m.TicketStatus.received, m.TicketStatus.in_progress]))
        .order_by(m.OutageReport.created_at.desc())
    )
    return list(session.execute(query).scalars())


def complaint_by_ticket(session: Session, ticket: str) -> Optional[m.Complaint]:
    return session.execute(select(m.Complaint).where(m.Complaint.ticket == ticket)).scalar_one_or_none()


def complaints_of(session: Session, account: m.Account, open_only: bool = True) -> List[m.Complaint]:
    query = select(m.Complaint).where(m.Complaint.account_id == account.id)
    if open_only:
        query = query.where(m.Complaint.status.in_([m.TicketStatus.received, m.TicketStatus.in_progress]))
    return list(session.execute(query.order_by(m.Complaint.filed_at.desc()).limit(5)).scalars())


def current_tariffs(session: Session, on: dt.date) -> List[m.Tariff]:
    query = select(m.Tariff).where(
        m.Tariff.valid_from <= on, (m.Tariff.valid_to.is_(None)) | (m.Tariff.valid_to >= on)
    ).order_by(m.Tariff.code)
    return list(session.execute(query).scalars())


def last_reading(session: Session, account: m.Account, measured_only: bool = False) -> Optional[m.MeterReading]:
    """The latest reading; with ``measured_only``, the latest one somebody read off the meter (an estimate
    may be above the real figure, which is why a customer sends theirs)."""
    query = select(m.MeterReading).where(m.MeterReading.account_id == account.id)
    if measured_only:
        query = query.where(m.MeterReading.reading_type != m.ReadingType.estimated)
    return session.execute(query.order_by(m.MeterReading.read_at.desc())).scalars().first()


def reported_payments(session: Session, account: m.Account) -> List[m.Payment]:
    query = select(m.Payment).where(m.Payment.account_id == account.id, m.Payment.status == m.PaymentStatus.reported)
    return list(session.execute(query).scalars())


def open_requests_of_phone(session: Session, phone: str, kind: str) -> List[m.ServiceRequest]:
    """Open requests made without an account (a new connection) from this phone, newest first."""
    query = select(m.ServiceRequest).where(
        m.ServiceRequest.kind == kind, m.ServiceRequest.account_id.is_(None),
        m.ServiceRequest.status.in_([m.TicketStatus.received, m.TicketStatus.in_progress]),
    ).order_by(m.ServiceRequest.created_at.desc())
    return [r for r in session.execute(query).scalars() if (r.details or {}).get("phone") == phone]


def open_requests(session: Session, account: m.Account, kind: str) -> List[m.ServiceRequest]:
    query = select(m.ServiceRequest).where(
        m.ServiceRequest.account_id == account.id, m.ServiceRequest.kind == kind,
        m.ServiceRequest.status.in_([m.TicketStatus.received, m.TicketStatus.in_progress]),
    )
    return list(session.execute(query).scalars())
