"""The integration API: how outage management, billing and the CRM talk to the assistant.

JSON over HTTP under ``/api/v1``, an ``X-API-Key`` (only its SHA-256 is stored),
an OpenAPI document at ``/api/openapi.json``, clear 422s, and ``Idempotency-Key``
on POST: a repeat gets the first answer and causes nothing new.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from decimal import Decimal
from zoneinfo import ZoneInfo
from typing import Awaitable, Callable, List, Literal, Optional, Tuple, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, condecimal, constr, validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import cases, events, kpis, notifications, records, restoration
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.settings import Settings

T = TypeVar("T")
MAX_ID = 2 ** 31 - 1  # ids beyond what every database's integer holds are not ids
ZoneCode = constr(strip_whitespace=True, min_length=1, max_length=20)


# Keys ------------------------------------------------------------------------------------------

def new_key() -> str:
    return "luz_" + secrets.token_urlsafe(30)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, key: Optional[str] = None) -> str:
    """Stores a new key's hash and returns the key itself (shown once)."""
    key = key or new_key()
    session.add(m.ApiKey(name=name, key_hash=key_hash(key), prefix=key[:12]))
    session.flush()
    return key


# Bodies ----------------------------------------------------------------------------------------

def _aware(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    if value is not None and value.tzinfo is None:
        raise ValueError("include the time zone, e.g. 2026-11-28T15:00:00-05:00")
    return value


class OutageIn(BaseModel):
    cause: constr(strip_whitespace=True, min_length=3, max_length=200) = Field(..., example="Falla en el circuito")
    zones: List[ZoneCode] = Field(..., min_items=1, max_items=50, example=["ZN-04"])
    starts_at: Optional[dt.datetime] = Field(None, description="defaults to now")
    estimated_restoration_at: Optional[dt.datetime] = None

    _aware = validator("starts_at", "estimated_restoration_at", allow_reuse=True)(_aware)


class OutagePatch(BaseModel):
    estimated_restoration_at: Optional[dt.datetime] = None
    status: Optional[Literal["restored"]] = Field(None, description="'restored' ends the outage")

    _aware = validator("estimated_restoration_at", allow_reuse=True)(_aware)


class PlannedOutageIn(BaseModel):
    cause: constr(strip_whitespace=True, min_length=3, max_length=200) = Field(..., example="Mantenimiento de redes")
    zones: List[ZoneCode] = Field(..., min_items=1, max_items=50)
    starts_at: dt.datetime
    ends_at: dt.datetime

    _aware = validator("starts_at", "ends_at", allow_reuse=True)(_aware)

    @validator("ends_at")
    def _after_start(cls, ends_at, values):
        if "starts_at" in values and ends_at <= values["starts_at"]:
            raise ValueError("must be after starts_at")
        return ends_at


class PaymentIn(BaseModel):
    account_number: constr(regex=r"^\d{6,12}$")
    amount: condecimal(gt=Decimal("0"), max_digits=14, decimal_places=2)
    reference: constr(strip_whitespace=True, min_length=1, max_length=60)
    method: constr(strip_whitespace=True, min_length=1, max_length=40) = "bank"
    paid_at: Optional[dt.datetime] = None

    _aware = validator("paid_at", allow_reuse=True)(_aware)


class ComplaintPatch(BaseModel):
    status: Literal["in_progress", "resolved", "closed"]
    resolution: Optional[constr(strip_whitespace=True, min_length=3, max_length=2000)] = None

    @validator("resolution", always=True)
    def _needed_when_resolved(cls, resolution, values):
        if values.get("status") == "resolved" and not resolution:
            raise ValueError("required when status is 'resolved'")
        return resolution


# Answers ---------------------------------------------------------------------------------------

def outage_json(outage: m.Outage, queued: int = 0) -> dict:
    return {
        "id": outage.id, "kind": outage.kind.value, "status": outage.status.value, "cause": outage.cause,
        "zones": sorted({area.zone.code for area in outage.areas}), "starts_at": _iso(outage.starts_at),
        "estimated_restoration_at": _iso(outage.estimated_restoration_at), "restored_at": _iso(outage.restored_at),
        # the estimate passed with the power still out: customers are told so, and a new one is owed
        "estimate_expired_at": _iso(outage.estimate_expired_at),
        "notifications_queued": queued,
    }


def complaint_json(complaint: m.Complaint, now: dt.datetime) -> dict:
    open_ = complaint.status in (m.TicketStatus.received, m.TicketStatus.in_progress)
    return {
        "ticket": complaint.ticket, "account_number": complaint.account.account_number, "category": complaint.category,
        "channel": complaint.channel, "status": complaint.status.value, "filed_at": _iso(complaint.filed_at),
        "due_at": _iso(complaint.due_at), "overdue": open_ and complaint.due_at < now,
        "resolved_at": _iso(complaint.resolved_at), "resolution": complaint.resolution,
        "escalated_at": _iso(complaint.escalated_at),
    }


def _iso(value: Optional[dt.datetime]) -> Optional[str]:
    return value.isoformat() if value else None


# The router ------------------------------------------------------------------------------------

def api_router(settings: Settings, on_queued: Callable[[], None], schedule) -> APIRouter:
    """``on_queued()`` nudges the notification dispatcher; ``schedule(kind, when, *args)`` plans a job."""
    engine = engine_for(settings.database_url)
    router = APIRouter(prefix="/api/v1", tags=["integración"])

    def _in_session(work: Callable[[Session], T]) -> T:
        with session_scope(engine) as session:
            return work(session)

    async def db(work: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(_in_session, work)

    async def api_key(x_api_key: Optional[str] = Header(None, description="the key given by `python -m bot apikey create`")) -> int:
        if not x_api_key:
            raise HTTPException(status_code=401, detail="Missing X-API-Key header.")

        def check(session: Session) -> Optional[int]:
            row = session.execute(select(m.ApiKey).where(m.ApiKey.key_hash == key_hash(x_api_key))).scalar_one_or_none()
            if row is None or row.revoked_at is not None:
                return None
            row.last_used_at = m.utcnow()
            return row.id

        key_id = await db(check)
        if key_id is None:
            raise HTTPException(status_code=401, detail="Invalid or revoked API key.")
        return key_id

    async def idempotent(request: Request, key_id: int, work: Callable[[], Awaitable[Tuple[int, dict]]]) -> JSONResponse:
        """Runs ``work`` once per Idempotency-Key; a repeat gets the stored answer."""
        key = request.headers.get("Idempotency-Key")
        if not key:
            status, body = await work()
            return JSONResponse(body, status_code=status)
        if len(key) > 120:
            raise HTTPException(status_code=422, detail="Idempotency-Key is longer than 120 characters.")
        fingerprint = hashlib.sha256(request.method.encode() + request.url.path.encode() + await request.body()).hexdigest()

        def claim(session: Session):
            session.add(m.IdempotentRequest(api_key_id=key_id, key=key, fingerprint=fingerprint))
            session.flush()

        try:
            await db(claim)
        except IntegrityError:
            previous = await db(lambda s: s.execute(select(m.IdempotentRequest).where(
                m.IdempotentRequest.api_key_id == key_id, m.IdempotentRequest.key == key)).scalar_one())
            if previous.fingerprint != fingerprint:
                raise HTTPException(status_code=422, detail="This Idempotency-Key was used with a different request.")
            if previous.status_code is None:
                raise HTTPException(status_code=409, detail="The first request with this Idempotency-Key is still running.")
            return JSONResponse(previous.response, status_code=previous.status_code, headers={"Idempotent-Replayed": "true"})
        try:
            status, body = await work()
        except BaseException:
            await db(lambda s: s.query(m.IdempotentRequest).filter_by(api_key_id=key_id, key=key).delete())
            raise

        def store(session: Session):
            row = session.execute(select(m.IdempotentRequest).where(
                m.IdempotentRequest.api_key_id == key_id, m.IdempotentRequest.key == key)).scalar_one()
            row.status_code, row.response = status, body

        await db(store)
        return JSONResponse(body, status_code=status)

    def zones_of(session: Session, codes: List[str]) -> List[m.Zone]:
        found = session.execute(select(m.Zone).where(m.Zone.code.in_(codes))).scalars().all()
        missing = sorted(set(codes) - {zone.code for zone in found})
        if missing:
            raise HTTPException(status_code=422, detail=f"Unknown zone codes: {', '.join(missing)}.")
        return list(found)

    @router.post("/outages", status_code=201, summary="Report an unplanned outage; affected customers are told")
    async def post_outage(body: OutageIn, request: Request, key_id: int = Depends(api_key)):
        async def work():
            def create(session: Session):
                now = m.utcnow()
                outage = m.Outage(kind=m.OutageKind.unplanned, status=m.OutageStatus.active, cause=body.cause,
                                  starts_at=body.starts_at or now, estimated_restoration_at=body.estimated_restoration_at)
                outage.areas = [m.OutageArea(zone_id=zone.id) for zone in zones_of(session, body.zones)]
                session.add(outage)
                session.flush()
                return outage_json(outage, notifications.outage_started(session, outage, settings, now))

            result = await db(create)
            on_queued()
            return 201, result

        return await idempotent(request, key_id, work)

    @router.get("/outages", summary="Unplanned outages in progress; those whose estimate passed owe a new one")
    async def list_outages(estimate_expired: bool = Query(False, description="only those owing a new estimate"),
                           key_id: int = Depends(api_key)):
        def read(session: Session):
            if estimate_expired:
                return [outage_json(o) for o in restoration.expired_estimates(session)]
            restoration.expired_estimates(session)  # marks what is owed before it is shown
            query = (select(m.Outage).where(m.Outage.kind == m.OutageKind.unplanned, m.Outage.status == m.OutageStatus.active)
                     .order_by(m.Outage.starts_at))
            return [outage_json(o) for o in session.execute(query).scalars()]

        return {"outages": await db(read)}

    @router.patch("/outages/{outage_id}", summary="A new estimated restoration time, or the restoration")
    async def patch_outage(body: OutagePatch, outage_id: int = Path(..., ge=1, le=MAX_ID), key_id: int = Depends(api_key)):
        if body.estimated_restoration_at is None and body.status is None:
            raise HTTPException(status_code=422, detail="Give estimated_restoration_at or status.")

        def change(session: Session):
            outage = session.get(m.Outage, outage_id)
            if outage is None or outage.kind != m.OutageKind.unplanned:
                raise HTTPException(status_code=404, detail=f"No unplanned outage {outage_id}.")
            if outage.status != m.OutageStatus.active:
                raise HTTPException(status_code=409, detail=f"Outage {outage_id} is already {outage.status.value}.")
            queued = 0
            if body.estimated_restoration_at is not None and body.estimated_restoration_at != outage.estimated_restoration_at:
                restoration.new_estimate(outage, body.estimated_restoration_at)
                if body.status is None:
                    queued = notifications.outage_updated(session, outage, settings)
            if body.status == "restored":
                outage.status, outage.restored_at = m.OutageStatus.restored, m.utcnow()
            return outage_json(outage, queued), body.status == "restored"

        result, restored = await db(change)
        if restored:
            schedule("restoration", m.utcnow() + dt.timedelta(minutes=settings.restoration_delay_minutes), outage_id)
        on_queued()
        return result

    @router.post("/planned-outages", status_code=201, summary="Planned work; customers are told 48 h and 2 h before")
    async def post_planned(body: PlannedOutageIn, request: Request, key_id: int = Depends(api_key)):
        async def work():
            def create(session: Session):
                outage = m.Outage(kind=m.OutageKind.planned, status=m.OutageStatus.scheduled, cause=body.cause,
                                  starts_at=body.starts_at, estimated_restoration_at=body.ends_at)
                outage.areas = [m.OutageArea(zone_id=zone.id) for zone in zones_of(session, body.zones)]
                session.add(outage)
                session.flush()
                return outage_json(outage)

            result = await db(create)
            now = m.utcnow()
            for hours in (48, 2):
                when = body.starts_at - dt.timedelta(hours=hours)
                if when > now or (hours == 48 and body.starts_at - now > dt.timedelta(hours=2)):
                    schedule("planned", max(when, now), result["id"], hours)
            return 201, result

        return await idempotent(request, key_id, work)

    @router.post("/payments", status_code=201, summary="Apply a payment; a suspended supply now paid gets a reconnection")
    async def post_payment(body: PaymentIn, request: Request, key_id: int = Depends(api_key)):
        async def work():
            def apply(session: Session):
                account = records.account_by_number(session, body.account_number)
                if account is None:
                    raise HTTPException(status_code=404, detail=f"No account {body.account_number}.")
                duplicate = session.execute(select(m.Payment.id).where(
                    m.Payment.account_id == account.id, m.Payment.reference == body.reference,
                    m.Payment.status == m.PaymentStatus.applied)).first()
                if duplicate:
                    raise HTTPException(status_code=409, detail=f"Payment {body.reference} was already applied.")
                return apply_payment(session, account, body, settings)

            return 201, await db(apply)

        return await idempotent(request, key_id, work)

    @router.get("/customers/{account_number}", summary="A supply, its holder, balance, open complaints and outage")
    async def get_customer(account_number: str = Path(..., max_length=20), key_id: int = Depends(api_key)):
        def read(session: Session):
            account = records.account_by_number(session, account_number)
            if account is None:
                raise HTTPException(status_code=404, detail=f"No account {account_number}.")
            today = m.utcnow().astimezone(ZoneInfo(settings.timezone)).date()
            balance = records.balance(session, account, today)
            outage = records.active_outage_for(session, account)
            customer = account.customer
            return {
                "account_number": account.account_number, "status": account.status.value, "address": account.address,
                "neighborhood": account.neighborhood, "city": account.city, "zone": account.zone.code,
                "tariff": account.tariff_code, "e_billing": account.e_billing,
                "customer": {"name": customer.full_name, "email": customer.email,
                             "phones": [p.number for p in customer.phones], "electro_dependent": customer.electro_dependent,
                             "notifications_consent": customer.notifications_consent,
                             "preferred_channel": customer.preferred_channel.value},
                "balance": {"amount_due": str(balance.amount_due), "unpaid_bills": balance.unpaid_bills,
                            "overdue_bills": balance.overdue_bills,
                            "next_due_date": balance.next_due_date.isoformat() if balance.next_due_date else None},
                "open_complaints": [complaint_json(c, m.utcnow()) for c in records.complaints_of(session, account)],
                "active_outage": outage_json(outage) if outage else None,
            }

        return await db(read)

    @router.get("/complaints", summary="Complaints, by status or overdue")
    async def list_complaints(
        status: Optional[Literal["received", "in_progress", "resolved", "closed"]] = None,
        overdue: Optional[bool] = Query(None, description="true: open and past the regulatory deadline"),
        limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_ID), key_id: int = Depends(api_key),
    ):
        def read(session: Session):
            now = m.utcnow()
            query = select(m.Complaint).order_by(m.Complaint.due_at, m.Complaint.id)
            if status:
                query = query.where(m.Complaint.status == m.TicketStatus(status))
            if overdue is not None:
                open_ = m.Complaint.status.in_([m.TicketStatus.received, m.TicketStatus.in_progress])
                late = open_ & (m.Complaint.due_at < now)
                query = query.where(late if overdue else ~late)
            return {"items": [complaint_json(c, now) for c in session.execute(query.limit(limit).offset(offset)).scalars()],
                    "limit": limit, "offset": offset}

        return await db(read)

    @router.patch("/complaints/{ticket}", summary="Progress or resolve a complaint; a resolution is told to the customer")
    async def patch_complaint(body: ComplaintPatch, ticket: str = Path(..., max_length=20), key_id: int = Depends(api_key)):
        def change(session: Session):
            complaint = records.complaint_by_ticket(session, ticket)
            if complaint is None:
                raise HTTPException(status_code=404, detail=f"No complaint {ticket}.")
            if complaint.status in (m.TicketStatus.resolved, m.TicketStatus.closed) and body.status != "closed":
                raise HTTPException(status_code=409, detail=f"Complaint {ticket} is already {complaint.status.value}.")
            now = m.utcnow()
            complaint.status = m.TicketStatus(body.status)
            note = {"in_progress": "En revisión", "resolved": body.resolution, "closed": "Cerrado"}[body.status]
            complaint.history.append(m.ComplaintEvent(at=now, status=complaint.status, note=note))
            if body.status == "resolved":
                complaint.resolved_at, complaint.resolution = now, body.resolution
                events.record(session, "ticket_resolved", at=now, channel=complaint.channel, ticket=complaint.ticket,
                              category=f"complaint:{complaint.category}", value=int(now <= complaint.due_at),
                              latency_ms=int((now - complaint.filed_at).total_seconds() * 1000))
                notifications.complaint_resolved(session, complaint, settings, now)
            return complaint_json(complaint, now)

        result = await db(change)
        on_queued()
        return result

    @router.get("/kpis", summary="Service KPIs for a date range (local days, both included), optionally one channel")
    async def get_kpis(
        since: dt.date = Query(..., alias="from"), until: dt.date = Query(..., alias="to"),
        channel: Optional[Literal["whatsapp", "sms", "telegram", "rest"]] = None,
        every: Literal["day", "week", "month"] = "day", key_id: int = Depends(api_key),
    ):
        if since > until:
            raise HTTPException(status_code=422, detail="'from' is after 'to'.")
        if (until - since).days > 366:
            raise HTTPException(status_code=422, detail="The range is limited to 366 days.")
        return await db(lambda session: kpis.compute(session, since, until, settings.timezone, channel, every))

    return router


def apply_payment(session: Session, account: m.Account, body: PaymentIn, settings: Settings) -> dict:
    """Records the payment, settles bills oldest first, and asks for reconnection when a suspended supply is paid up."""
    paid_at = body.paid_at or m.utcnow()
    payment = m.Payment(account_id=account.id, amount=body.amount, paid_at=paid_at, method=body.method,
                        reference=body.reference, status=m.PaymentStatus.applied)
    session.add(payment)
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
