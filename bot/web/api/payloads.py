"""What crosses the wire: the request bodies (validated, with clear 422s) and the JSON answers.

Date-times must carry their time zone; money is ``Decimal``; ids beyond what every database's
integer holds are refused as not ids.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, List, Literal, Optional

from pydantic import BaseModel, Field, condecimal, constr, validator

from bot.db import models as m

MAX_ID = 2 ** 31 - 1  # ids beyond what every database's integer holds are not ids

if TYPE_CHECKING:  # what mypy reads: pydantic's constrained types are made by calls it cannot follow
    Cause = str
    ZoneCode = str
    AccountNumber = str
    Reference = str
    Method = str
    Resolution = str
    Amount = Decimal
else:
    Cause = constr(strip_whitespace=True, min_length=3, max_length=200)
    ZoneCode = constr(strip_whitespace=True, min_length=1, max_length=20)
    AccountNumber = constr(regex=r"^\d{6,12}$")
    Amount = condecimal(gt=Decimal("0"), max_digits=14, decimal_places=2)
    Reference = constr(strip_whitespace=True, min_length=1, max_length=60)
    Method = constr(strip_whitespace=True, min_length=1, max_length=40)
    Resolution = constr(strip_whitespace=True, min_length=3, max_length=2000)


# Bodies ----------------------------------------------------------------------------------------

def _aware(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    if value is not None and value.tzinfo is None:
        raise ValueError("include the time zone, e.g. 2026-11-28T15:00:00-05:00")
    return value


class OutageIn(BaseModel):
    cause: Cause = Field(..., example="Falla en el circuito")
    zones: List[ZoneCode] = Field(..., min_items=1, max_items=50, example=["ZN-04"])
    starts_at: Optional[dt.datetime] = Field(None, description="defaults to now")
    estimated_restoration_at: Optional[dt.datetime] = None

    _aware = validator("starts_at", "estimated_restoration_at", allow_reuse=True)(_aware)


class OutagePatch(BaseModel):
    estimated_restoration_at: Optional[dt.datetime] = None
    status: Optional[Literal["restored"]] = Field(None, description="'restored' ends the outage")

    _aware = validator("estimated_restoration_at", allow_reuse=True)(_aware)


class PlannedOutageIn(BaseModel):
    cause: Cause = Field(..., example="Mantenimiento de redes")
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
    account_number: AccountNumber
    amount: Amount
    reference: Reference
    method: Method = "bank"
    paid_at: Optional[dt.datetime] = None

    _aware = validator("paid_at", allow_reuse=True)(_aware)


class ComplaintPatch(BaseModel):
    status: Literal["in_progress", "resolved", "closed"]
    resolution: Optional[Resolution] = None

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


