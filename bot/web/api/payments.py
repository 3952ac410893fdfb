"""Payments from the billing system: applied to the oldest bills first; a suspended supply paid up
gets a reconnection request. The same reference is never applied twice (409), even posted at once with
different idempotency keys (a unique index on applied payments)."""
from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import cases, records
from bot.db import models as m
from bot.settings import Settings
from bot.web.api.idempotency import idempotent
from bot.web.api.keys import api_key
from bot.web.api.payloads import PaymentIn
from bot.web.deps import Database, database, settings

router = APIRouter()


@router.post("/payments", status_code=201, summary="Apply a payment; a suspended supply now paid gets a reconnection")
async def post_payment(body: PaymentIn, request: Request, key_id: int = Depends(api_key),
                       db: Database = Depends(database), config: Settings = Depends(settings)):
    def apply(session: Session):
        account = records.account_by_number(session, body.account_number)
        if account is None:
            raise HTTPException(status_code=404, detail=f"No account {body.account_number}.")
        duplicate = session.execute(select(m.Payment.id).where(
            m.Payment.account_id == account.id, m.Payment.reference == body.reference,
            m.Payment.status == m.PaymentStatus.applied)).first()
        if duplicate:
            raise already_applied(body.reference)
        return 201, apply_payment(session, account, body, config)

    return await idempotent(request, key_id, db, apply)


def already_applied(reference: str) -> HTTPException:
    return HTTPException(status_code=409, detail=f"Payment {reference} was already applied.")


def apply_payment(session: Session, account: m.Account, body: PaymentIn, settings: Settings) -> dict:
    """Records the payment, settles bills oldest first, and asks for reconnection when a suspended supply is paid up."""
    paid_at = body.paid_at or m.utcnow()
    payment = m.Payment(account_id=account.id, amount=body.amount, paid_at=paid_at, method=body.method,
                        reference=body.reference, status=m.PaymentStatus.applied)
    session.add(payment)
    try:
        # the same reference posted at the same time (another Idempotency-Key) waits here for the first
        # and is refused by the unique index once it is applied (uq_payments_applied_reference)
        session.flush()
    except IntegrityError as error:
        raise already_applied(body.reference) from error
    left = Decimal(body.amount)
    settled = []
    for bill in session.execute(select(m.Bill).where(m.Bill.account_id == account.id, m.Bill.status != m.BillStatus.paid)
                                .order_by(m.Bill.period)).scalars():
        if left < bill.total:
            break
        left -= bill.total
        bill.status, bill.paid_on = m.BillStatus.paid, paid_at.date()
        payment.bill_id = payment.bill_id or bill.id
        settled.append(bill.period.strftime("%Y-%m"))
    session.flush()
    reconnection = None
    remaining = session.execute(select(m.Bill.id).where(m.Bill.account_id == account.id,
                                                        m.Bill.status != m.BillStatus.paid)).first()
    if account.status == m.AccountStatus.suspended and remaining is None:
        existing = records.open_requests(session, account, "reconnection")
        reconnection = (existing[0] if existing else cases.request_service(
            session, kind="reconnection", channel="api", account=account,
            details={"reason": "pago aplicado", "payment": body.reference})).ticket
    return {"account_number": account.account_number, "reference": body.reference, "amount": str(body.amount),
            "bills_settled": settled, "unapplied_amount": str(left), "reconnection_ticket": reconnection}
