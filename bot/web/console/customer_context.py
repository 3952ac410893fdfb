"""What an agent needs to know about the customer of a conversation, in one read (the national id masked)."""
from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot import clock, records
from bot.db import models as m
from bot.formatting import day, moment, money
from bot.phones import to_e164


def accounts_of(session: Session, handoff: m.Handoff) -> List[m.Account]:
    """The supplies of the conversation's customer: the one named, the phone's, or the customer's."""
    phone = None if handoff.conversation_id.startswith("tg:") else to_e164(handoff.conversation_id)
    accounts: List[m.Account] = []
    if handoff.account_number:
        account = records.account_by_number(session, handoff.account_number)
        accounts = [account] if account else []
    if not accounts and phone:
        accounts = records.accounts_for_phone(session, phone)
    if not accounts and handoff.customer is not None:
        accounts = list(handoff.customer.accounts)
    return accounts


def customer_context(session: Session, handoff: m.Handoff, timezone: str) -> Dict:
    now = m.utcnow()
    today = now.astimezone(ZoneInfo(timezone)).date()
    phone = None if handoff.conversation_id.startswith("tg:") else to_e164(handoff.conversation_id)
    accounts = accounts_of(session, handoff)
    customer: Optional[m.Customer] = handoff.customer or (accounts[0].customer if accounts else None)
    return {
        "customer": customer and {
            "name": customer.full_name, "national_id": mask_national_id(customer.national_id), "email": customer.email or "—",
            "electro_dependent": customer.electro_dependent,
            "phones": ", ".join(p.number for p in customer.phones) or "—",
        },
        "phone": phone,
        "accounts": [_account(session, account, today, timezone) for account in accounts[:4]],
    }


def mask_national_id(national_id: str) -> str:
    """``43871234`` -> ``43******``: the agent never sees the last 4 digits, which are the customer's second factor
    (someone who learnt them from the console could identify as the customer on any channel)."""
    national_id = national_id or ""
    shown = 2 if len(national_id) > 6 else 0
    return national_id[:shown] + "*" * (len(national_id) - shown)


def _account(session: Session, account: m.Account, today: dt.date, timezone: str) -> Dict:
    balance = records.balance(session, account, today)
    outage = records.active_outage_for(session, account)
    return {
        "number": account.account_number,
        "address": f"{account.address}, {account.neighborhood}, {account.city}",
        "status": {"active": "Activo", "suspended": "Suspendido por falta de pago", "retired": "Retirado"}[account.status.value],
        "balance": money(balance.amount_due),
        "overdue": balance.overdue_bills,
        "next_due": day(balance.next_due_date, today) if balance.next_due_date else "—",
        "outage": outage and _outage(outage, timezone),
        "reports": [f"{r.ticket or 'sumado a un posible corte del sector'} ({r.kind}, {r.status.value})" for r in records.open_reports(session, account)[:3]],
        "complaints": [_complaint(c, today, timezone) for c in records.complaints_of(session, account)],
    }


def _outage(outage: m.Outage, timezone: str) -> str:
    """What the agent reads: the estimate, or that it has passed and the OMS owes a new one."""
    eta = outage.estimated_restoration_at
    if eta is None:
        return f"{outage.cause}; sin hora estimada"
    today = clock.today()
    if eta <= clock.now():
        return f"{outage.cause}; la hora estimada ({moment(eta, timezone, today)}) YA PASÓ: el centro de control debe actualizarla"
    return f"{outage.cause}; regreso estimado {moment(eta, timezone, today)}"


def _complaint(complaint: m.Complaint, today: dt.date, timezone: str) -> str:
    due = complaint.due_at.astimezone(ZoneInfo(timezone)).date()
    deadline = f"VENCIDO desde el {day(due, today)}" if due < today else f"vence {day(due, today)}"
    return f"{complaint.ticket}: {complaint.category}, {deadline}"
