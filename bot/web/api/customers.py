"""One supply as the CRM sees it: holder, balance, open complaints and any outage on its zone."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path
from sqlalchemy.orm import Session

from bot import records
from bot.db import models as m
from bot.settings import Settings
from bot.web.api.keys import api_key
from bot.web.api.payloads import complaint_json, outage_json
from bot.web.deps import Database, database, settings

router = APIRouter()


@router.get("/customers/{account_number}", summary="A supply, its holder, balance, open complaints and outage")
async def get_customer(account_number: str = Path(..., max_length=20), key_id: int = Depends(api_key),
                       db: Database = Depends(database), config: Settings = Depends(settings)):
    def read(session: Session):
        account = records.account_by_number(session, account_number)
        if account is None:
            raise HTTPException(status_code=404, detail=f"No account {account_number}.")
        today = m.utcnow().astimezone(ZoneInfo(config.timezone)).date()
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
