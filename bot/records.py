"""Questions the assistant asks the records database, answered as plain values.

Functions take an open ``Session`` and return small dataclasses, so actions
never hold ORM objects across an ``await`` and tests read like the journey.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import models as m


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


def phone_owns_account(session: Session, phone: Optional[str], account: m.Account) -> bool:
    if not phone:
        return False
    return account.customer_id in customer_ids_for_phone(session, phone)


def holder_id_ends_with(session: Session, account: m.Account, last_digits: str) -> bool:
    national_id = session.get(m.Customer, account.customer_id).national_id
    return len(last_digits) == 4 and national_id.endswith(last_digits)


def balance(session: Session, account: m.Account, today: dt.date) -> Balance:
    bills = list(
        session.execute(
            select(m.Bill).where(m.Bill.account_id == account.id).order_by(m.Bill.period.desc()).limit(24)
        ).scalars()
    )
    unpaid = [b for b in bills if b.status != m.BillStatus.paid]
    latest = bills[0] if bills else None
    return Balance(
        account_number=account.account_number,
        status=account.status,
        amount_due=sum((b.total for b in unpaid), Decimal("0")),
        unpaid_bills=len(unpaid),
        overdue_bills=sum(1 for b in unpaid if b.due_date < today),
        next_due_date=min((b.due_date for b in unpaid if b.due_date >= today), default=None),
        latest_period=latest.period if latest else None,
        latest_total=latest.total if latest else None,
        latest_due_date=latest.due_date if latest else None,
        latest_paid_on=latest.paid_on if latest else None,
    )
