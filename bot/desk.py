"""How agents organise their work: labels, the desk status of a conversation, search, a customer's
timeline, and the WhatsApp 24-hour window that decides what an agent may send.

Desk status: ``open`` (the agent is on it), ``pending`` (waiting on something else: a crew, another
area), ``snoozed`` until a time (it reopens then, or when the customer writes), ``resolved`` (closed
with a resolution, ``handoff.close``). Every function works on an open session; callers own the
transaction. Times come from the callers (``bot.clock``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import func, or_, select

from bot import clock
from bot import handoff as queue
from bot.db import models as m
from bot.text import fold

WHATSAPP_WINDOW = dt.timedelta(hours=24)
CHANNEL_NAMES = {"whatsapp": "WhatsApp", "sms": "SMS", "telegram": "Telegram", "web": "el sitio web", "voice": "teléfono"}
STATUS_LABELS = {"open": "Abierta", "pending": "Pendiente", "snoozed": "Pospuesta", "resolved": "Resuelta"}


class DeskError(ValueError):
    """A change the desk refuses (unknown label or status, a snooze without a future time)."""


# The WhatsApp window -----------------------------------------------------------------------------

def last_customer_message(session, channel: str, phone: str) -> Optional[dt.datetime]:
    """When the customer last wrote on ``channel`` from ``phone`` (provider messages seen, ``inbound_messages``)."""
    return session.execute(select(func.max(m.InboundMessage.received_at)).where(
        m.InboundMessage.channel == channel, m.InboundMessage.sender == phone)).scalar()


def window_closes_at(session, handoff: m.Handoff) -> Optional[dt.datetime]:
    """On WhatsApp, when free text stops being allowed (24 h after the customer's last message); None elsewhere."""
    if handoff.channel != "whatsapp":
        return None
    last = last_customer_message(session, "whatsapp", handoff.conversation_id)
    return (last + WHATSAPP_WINDOW) if last is not None else dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def window_open(session, handoff: m.Handoff, now: dt.datetime) -> bool:
    closes = window_closes_at(session, handoff)
    return closes is None or now < closes


def describe_window(closes: Optional[dt.datetime], now: dt.datetime) -> str:
    """What the agent reads above the reply box."""
    if closes is None:
        return ""
    if now >= closes:
        return ("Pasaron más de 24 h desde el último mensaje del cliente: WhatsApp solo admite una plantilla "
                "aprobada, o envía tu mensaje por SMS.")
    left = int((closes - now).total_seconds() // 60)
    return f"Ventana de WhatsApp: quedan {left // 60} h {left % 60:02d} min para responder con texto libre."


# Labels and status -------------------------------------------------------------------------------

def labels(session) -> List[m.Label]:
    return list(session.execute(select(m.Label).order_by(m.Label.name)).scalars())


def set_label(session, handoff: m.Handoff, name: str, on: bool) -> List[str]:
    """Puts or takes a label off a conversation; the conversation's labels after it."""
    label = session.execute(select(m.Label).where(m.Label.name == name)).scalar_one_or_none()
    if label is None:
        raise DeskError("No existe esa etiqueta.")
    if on and label not in handoff.labels:
        handoff.labels.append(label)
    elif not on and label in handoff.labels:
        handoff.labels.remove(label)
    session.flush()
    return sorted(item.name for item in handoff.labels)


def set_status(session, handoff: m.Handoff, status: str, now: dt.datetime, agent: m.Agent,
               until: Optional[dt.datetime] = None) -> None:
    """Open, pending or snoozed until ``until`` (resolved is closing, ``handoff.close``)."""
    if handoff.status != m.HandoffStatus.assigned:
        raise DeskError("Solo una conversación en atención cambia de estado.")
    if status not in ("open", "pending", "snoozed"):
        raise DeskError("Estado no válido.")
    if status == "snoozed" and (until is None or until <= now):
        raise DeskError("Elige una hora futura para retomar la conversación.")
    handoff.desk_status = status
    handoff.snoozed_until = until if status == "snoozed" else None
    text = f"{agent.full_name} marcó la conversación como {STATUS_LABELS[status].lower()}"
    queue.add_message(session, handoff, "system", text + (
        f" hasta el {clock.local(until):%d/%m a las %H:%M}." if until else "."), now=now)


# Search and timeline -----------------------------------------------------------------------------

def search(session, text: str, limit: int = 50) -> List[m.Handoff]:
    """Conversations (any status, newest first) matching a customer's name, an account number, a phone, a ticket
    of the customer's, or words said in them (customer, agent, notes, summary, resolution)."""
    text = text.strip()
    if len(text) < 2:
        return []
    like = f"%{text}%"
    digits = "".join(ch for ch in text if ch.isdigit())
    who = [
        func.lower(m.Customer.full_name).like(f"%{text.lower()}%"),
        m.Customer.id.in_(select(m.Account.customer_id).where(m.Account.account_number == text)),
        m.Customer.id.in_(select(m.Account.customer_id).join(m.Complaint, m.Complaint.account_id == m.Account.id)
                          .where(m.Complaint.ticket == text.upper())),
        m.Customer.id.in_(select(m.Account.customer_id).join(m.OutageReport, m.OutageReport.account_id == m.Account.id)
                          .where(m.OutageReport.ticket == text.upper())),
        m.Customer.id.in_(select(m.ServiceRequest.customer_id).where(m.ServiceRequest.ticket == text.upper())),
        m.Customer.id.in_(select(m.Account.customer_id).join(m.ServiceRequest, m.ServiceRequest.account_id == m.Account.id)
                          .where(m.ServiceRequest.ticket == text.upper())),
    ]
    if len(digits) >= 7:
        who.append(m.Customer.id.in_(select(m.Phone.customer_id).where(m.Phone.number.like(f"%{digits}"))))
    by_customer = select(m.Customer.id).where(or_(*who))
    said = select(m.HandoffMessage.handoff_id).where(m.HandoffMessage.body.ilike(like))
    conditions = [m.Handoff.customer_id.in_(by_customer), m.Handoff.id.in_(said), m.Handoff.summary.ilike(like),
                  m.Handoff.resolution.ilike(like), m.Handoff.account_number == text]
    if len(digits) >= 7:
        conditions.append(m.Handoff.conversation_id.like(f"%{digits}"))
    found = session.execute(select(m.Handoff).where(or_(*conditions))
                            .order_by(m.Handoff.created_at.desc(), m.Handoff.id.desc()).limit(limit)).scalars().all()
    if found or fold(text) == text:
        return list(found)
    return search(session, fold(text), limit)  # "facturacion" finds "facturación" written without accents too


@dataclass
class Moment:
    """One entry of a customer's timeline."""

    at: dt.datetime
    kind: str  # conversation, complaint, report, request, survey
    title: str
    detail: str
    handoff_id: Optional[int] = None


def timeline(session, handoff: m.Handoff, limit: int = 40) -> List[Moment]:
    """Everything the utility has had with this customer, across channels and conversations, newest first."""
    customer_id = handoff.customer_id
    ways = [m.Handoff.conversation_id == handoff.conversation_id]
    if customer_id is not None:  # the same person on any channel: their record, their phones, their Telegram chat
        customer = session.get(m.Customer, customer_id)
        ways.append(m.Handoff.customer_id == customer_id)
        ways.append(m.Handoff.conversation_id.in_([phone.number for phone in customer.phones]))
        if customer.telegram_user_id:
            ways.append(m.Handoff.conversation_id == f"tg:{customer.telegram_user_id}")
    moments: List[Moment] = []
    for item in session.execute(select(m.Handoff).where(or_(*ways))).scalars():
        labels_text = ", ".join(label.name for label in item.labels)
        detail = item.resolution or item.summary or ""
        moments.append(Moment(item.created_at, "conversation",
                              f"Conversación por {CHANNEL_NAMES.get(item.channel, item.channel)}"
                              + (f" · {labels_text}" if labels_text else ""),
                              detail[:160], item.id))
    if customer_id is not None:
        accounts = select(m.Account.id).where(m.Account.customer_id == customer_id)
        for complaint in session.execute(select(m.Complaint).where(m.Complaint.account_id.in_(accounts))).scalars():
            moments.append(Moment(complaint.filed_at, "complaint", f"Reclamo {complaint.ticket} ({complaint.category})",
                                  f"{complaint.status.value}: {complaint.description[:120]}"))
        for report in session.execute(select(m.OutageReport).where(m.OutageReport.account_id.in_(accounts))).scalars():
            moments.append(Moment(report.created_at, "report", f"Reporte {report.ticket} ({report.kind})",
                                  f"{report.status.value} · {report.channel}"))
        for request in session.execute(select(m.ServiceRequest).where(or_(
                m.ServiceRequest.customer_id == customer_id, m.ServiceRequest.account_id.in_(accounts)))).scalars():
            moments.append(Moment(request.created_at, "request", f"Solicitud {request.ticket} ({request.kind})",
                                  f"{request.status.value} · {request.channel}"))
    return sorted(moments, key=lambda item: item.at, reverse=True)[:limit]
