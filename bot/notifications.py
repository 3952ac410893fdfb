"""Notifications the utility starts: who is told what, on which channel, and when.

Everything is queued as a ``Notification`` row first (in the caller's
transaction) and sent later by the dispatcher (``bot/jobs/dispatch.py``), so a
message is never lost with a crash and never sent twice (``dedupe_key``).
Rules applied here: consent, opt-outs, the customer's preferred channel and
quiet hours (non-urgent messages wait for the morning).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session

from bot import cases, events, records, restoration
from bot.db import models as m
from bot.formatting import day, first_name, mask_address, moment, money, month, time_of_day
from bot.settings import Settings
from bot.text import normalise

YES = {"si", "sí", "ya", "si ya", "si ya volvio", "ya volvio", "ya tengo luz", "si, ya tengo luz", "/affirm", "restored:yes"}
NO = {"no", "todavia no", "aun no", "no, sigo sin luz", "sigo sin luz", "no tengo luz", "/deny", "restored:no"}
RESTORED_BUTTONS = [{"title": "Sí, ya tengo luz", "payload": "restored:yes"},
                    {"title": "No, sigo sin luz", "payload": "restored:no"}]
ANSWER_WINDOW = dt.timedelta(hours=12)
SECRET_KINDS = {"contact_code"}  # their body is hidden once it has gone (or will not go): nobody reads it later
HIDDEN_BODY = "[código de un solo uso, oculto después del envío]"


# When and where ---------------------------------------------------------------------------------

def quiet_until(settings: Settings, now: dt.datetime) -> Optional[dt.datetime]:
    """The end of the quiet hours ``now`` falls in (UTC), or None outside them."""
    start_text, end_text = (part.strip() for part in settings.quiet_hours.split("-"))
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    start, end = dt.time.fromisoformat(start_text), dt.time.fromisoformat(end_text)
    clock = local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    end_day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(end_day, end, zone).astimezone(dt.timezone.utc)


def reach(session: Session, customer: m.Customer) -> Optional[Tuple[str, str]]:
    """The customer's preferred channel and address there: WhatsApp or SMS to a mobile, or their Telegram chat."""
    if customer.preferred_channel == m.Channel.telegram and customer.telegram_user_id:
        return "telegram", f"tg:{customer.telegram_user_id}"
    mobile = next((phone.number for phone in customer.phones if phone.is_mobile), None)
    if mobile is None:
        return None
    return ("whatsapp" if customer.preferred_channel == m.Channel.whatsapp else "sms"), mobile


def opted_out(session: Session, channel: str, address: str) -> bool:
    return session.execute(select(m.OptOut.id).where(m.OptOut.channel == channel, m.OptOut.address == address)).first() is not None


def enqueue(
    session: Session, *, kind: str, dedupe_key: str, customer: m.Customer, body: str, settings: Settings,
    now: Optional[dt.datetime] = None, account: Optional[m.Account] = None, buttons: Optional[List[Dict[str, str]]] = None,
    urgent: bool = False, needs_consent: bool = True, not_before: Optional[dt.datetime] = None,
    expires_at: Optional[dt.datetime] = None, variables: Optional[Dict[str, str]] = None, outage: Optional[m.Outage] = None,
    target: Optional[Tuple[str, str]] = None,
) -> Optional[m.Notification]:
    """Queues one notification, or records why it will not go; None when it was queued before. ``target``:
    (channel, address) when it must go there rather than to the customer's preferred channel."""
    now = now or m.utcnow()
    if session.execute(select(m.Notification.id).where(m.Notification.dedupe_key == dedupe_key)).first():
        return None
    notification = m.Notification(
        dedupe_key=dedupe_key, kind=kind, customer_id=customer.id, account_id=account.id if account else None,
        body=body, buttons=buttons, variables=variables, urgent=urgent, not_before=max(not_before or now, now),
        expires_at=expires_at, outage_id=outage.id if outage else None, created_at=now,
    )
    target = target or reach(session, customer)
    if target is None:
        notification.status, notification.error = m.NotificationStatus.skipped, "sin canal para avisar"
    else:
        notification.channel, notification.address = target
        if needs_consent and not customer.notifications_consent:
            notification.status, notification.error = m.NotificationStatus.skipped, "sin consentimiento"
        elif opted_out(session, *target):
            notification.status, notification.error = m.NotificationStatus.skipped, "pidió no recibir mensajes"
        elif not urgent:
            later = quiet_until(settings, notification.not_before)
            if later is not None:
                notification.not_before = later
    if expires_at is not None and notification.not_before >= expires_at and notification.status == m.NotificationStatus.queued:
        notification.status, notification.error = m.NotificationStatus.skipped, "llegaría tarde (horas de silencio)"
    session.add(notification)
    session.flush()
    return notification


def delivery_update(session: Session, provider_id: str, status: str, error_code: Optional[str]) -> None:
    """A provider's status callback, applied to the notification it belongs to."""
    item = session.execute(select(m.Notification).where(m.Notification.provider_id == provider_id)).scalar_one_or_none()
    if item is None:
        return
    if status in ("delivered", "read") and item.status != m.NotificationStatus.delivered:
        item.status, item.delivered_at = m.NotificationStatus.delivered, m.utcnow()
        events.record(session, "notification_delivered", channel=item.channel, category=item.kind)
    elif status in ("failed", "undelivered") and item.status != m.NotificationStatus.failed:
        item.status, item.error = m.NotificationStatus.failed, error_code or status
        events.record(session, "notification_failed", channel=item.channel, category=item.kind)


# Outages ---------------------------------------------------------------------------------------

def affected_accounts(session: Session, outage: m.Outage) -> List[m.Account]:
    accounts: Dict[int, m.Account] = {}
    for area in outage.areas:
        query = select(m.Account).where(m.Account.zone_id == area.zone_id, m.Account.status != m.AccountStatus.retired)
        if area.feeder_id:
            query = query.where(m.Account.feeder_id == area.feeder_id)
        for account in session.execute(query).scalars():
            accounts[account.id] = account
    return list(accounts.values())


def _queued(notification: Optional[m.Notification]) -> int:
    return int(notification is not None and notification.status == m.NotificationStatus.queued)


def phone_to_call(customer: m.Customer) -> Optional[str]:
    """The number to call a customer on: a mobile first, a landline otherwise (a call reaches both)."""
    numbers = sorted(customer.phones, key=lambda phone: not phone.is_mobile)
    return numbers[0].number if numbers else None


def call_electro_dependent(session: Session, *, kind: str, dedupe_key: str, account: m.Account, notice: str,
                           settings: Settings, now: dt.datetime, urgent: bool, outage: m.Outage,
                           expires_at: Optional[dt.datetime] = None) -> int:
    """A phone call, besides the text, to a customer whose home has medical equipment that needs power (planned
    work, a long outage): a message may go unread, a call is heard. Said by the phone line (``channel`` "voice")."""
    customer = account.customer
    phone = phone_to_call(customer)
    if not customer.electro_dependent or phone is None:
        return 0
    body = (f"Hola {_first_name(customer)}, te llama Luz, de Energía del Valle, porque en tu hogar hay equipos médicos "
            f"que necesitan energía. {notice} Ten listo tu respaldo de energía o un lugar donde conectar tus equipos.")
    call = enqueue(
        session, kind=f"{kind}_call", dedupe_key=dedupe_key, customer=customer, account=account, urgent=urgent,
        needs_consent=False, settings=settings, now=now, outage=outage, expires_at=expires_at, body=body,
        target=("voice", phone))
    if call is not None and call.status == m.NotificationStatus.queued and not settings.twilio_voice_from:
        call.status, call.error = m.NotificationStatus.skipped, "sin línea para llamar (TWILIO_VOICE_FROM)"
    return _queued(call)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def long_outage(outage: m.Outage, settings: Settings, now: dt.datetime) -> bool:
    """An outage expected to last ``LUZ_VOICE_LONG_OUTAGE_HOURS`` or more from now, or without an estimate."""
    end = outage.estimated_restoration_at
    return end is None or end - now >= dt.timedelta(hours=settings.voice_long_outage_hours)


def call_for_long_outage(session: Session, outage: m.Outage, accounts: Sequence[m.Account], settings: Settings,
                          now: dt.datetime) -> int:
    if not long_outage(outage, settings, now):
        return 0
    notice = f"Hay un corte de energía en {zone_names(outage)}. {_estimate(outage, settings, now)}"
    return sum(call_electro_dependent(session, kind="outage_started", dedupe_key=f"outage:{outage.id}:call:{account.id}",
                                      account=account, notice=notice, settings=settings, now=now, urgent=True,
                                      outage=outage) for account in accounts)


def zone_names(outage: m.Outage) -> str:
    names = sorted({area.zone.name for area in outage.areas})
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " y " + names[-1]


def _first_name(customer: m.Customer) -> str:
    return first_name(customer.full_name)


def reporter_notice(account: m.Account, outage: m.Outage, when: str) -> str:
    return (f"Hola {_first_name(account.customer)}. Sobre el corte que nos reportaste en {mask_address(account.address)}: "
            f"ya lo identificamos ({outage.cause}). {when} Te avisaremos cuando regrese.")


def outage_started(session: Session, outage: m.Outage, settings: Settings, now: Optional[dt.datetime] = None) -> int:
    """Those who reported it are told first, whatever their consent; everyone else affected is told in bulk
    by the fan-out that follows (bot/fanout.py)."""
    now = now or m.utcnow()
    reports = session.execute(select(m.OutageReport).join(m.Account, m.Account.id == m.OutageReport.account_id).where(
        m.OutageReport.kind == "no_power", fanout_area(outage),
        m.OutageReport.status.in_([m.TicketStatus.received, m.TicketStatus.in_progress]),
        m.OutageReport.created_at >= now - dt.timedelta(hours=24)).order_by(m.OutageReport.id)).scalars().all()
    when = _estimate(outage, settings, now)
    count, told = 0, set()
    for report in reports:
        report.outage_id = outage.id
        report.status = m.TicketStatus.in_progress
        account = session.get(m.Account, report.account_id)
        if account.id in told:
            continue
        told.add(account.id)
        count += _queued(enqueue(
            session, kind="outage_started", dedupe_key=f"outage:{outage.id}:started:{account.id}", customer=account.customer,
            account=account, urgent=True, needs_consent=False, settings=settings, now=now, outage=outage,
            body=reporter_notice(account, outage, when),
            variables={"1": _first_name(account.customer), "2": zone_names(outage), "3": when}))
    return count


def fanout_area(outage: m.Outage) -> Any:
    """The supplies an outage affects, as a condition on accounts (its zones, or a feeder of one)."""
    if not outage.areas:
        return m.Account.id < 0
    return or_(*[and_(m.Account.zone_id == area.zone_id, (m.Account.feeder_id == area.feeder_id) if area.feeder_id else true())
                 for area in outage.areas])


def _estimate(outage: m.Outage, settings: Settings, now: dt.datetime) -> str:
    return restoration.estimate_sentence(outage, settings.timezone, now)


def planned_notice(session: Session, outage: m.Outage, hours_before: int, settings: Settings,
                   now: Optional[dt.datetime] = None) -> int:
    """Consented customers of the zone hear of planned work 48 h and 2 h before; too late is not sent."""
    now = now or m.utcnow()
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    end = f" hasta las {time_of_day(outage.estimated_restoration_at.astimezone(ZoneInfo(settings.timezone)))}" \
        if outage.estimated_restoration_at else ""
    body = (f"Aviso de Energía del Valle: por {outage.cause.lower()}, suspenderemos el servicio en {zone_names(outage)} "
            f"{moment(outage.starts_at, settings.timezone, today)}{end}".rstrip(".") + ". Te recomendamos desconectar equipos sensibles.")
    count = 0
    for account in affected_accounts(session, outage):
        count += _queued(enqueue(
            session, kind=f"planned_{hours_before}h", dedupe_key=f"planned:{outage.id}:{hours_before}h:{account.id}",
            customer=account.customer, account=account, urgent=hours_before <= 2, settings=settings, now=now,
            outage=outage, expires_at=outage.starts_at, body=body,
            variables={"1": zone_names(outage), "2": moment(outage.starts_at, settings.timezone, today)}))
        count += call_electro_dependent(
            session, kind=f"planned_{hours_before}h", dedupe_key=f"planned:{outage.id}:{hours_before}h:call:{account.id}",
            account=account, notice=_sentence(body.removeprefix("Aviso de Energía del Valle: ")), settings=settings,
            now=now, urgent=hours_before <= 2, outage=outage, expires_at=outage.starts_at)
    return count


def answer_restoration(session: Session, address: str, text: str, channel: str,
                       now: Optional[dt.datetime] = None) -> Optional[str]:
    """A yes/no to "did your power come back?"; a "no" opens an outage report. None when not such an answer."""
    now = now or m.utcnow()
    plain = normalise(text)
    if plain not in YES and plain not in NO:
        return None
    asked = session.execute(select(m.Notification).where(
        m.Notification.address == address, m.Notification.kind == "outage_restored", m.Notification.answer.is_(None),
        m.Notification.status.in_([m.NotificationStatus.sent, m.NotificationStatus.delivered]),
        m.Notification.sent_at >= now - ANSWER_WINDOW).order_by(m.Notification.id.desc())).scalars().first()
    if asked is None:
        return None
    if plain in YES:
        asked.answer = "yes"
        return "¡Qué bueno! Gracias por confirmarlo. Si necesitas algo más, aquí estoy."
    asked.answer = "no"
    report = cases.report_problem(session, kind="no_power", channel=channel, account=asked.account,
                                  phone=None if address.startswith("tg:") else address,
                                  description="Sigue sin energía después del restablecimiento del corte.")
    return (f"Lo siento mucho. Abrí un reporte con el número {report.ticket} para tu dirección "
            f"{mask_address(asked.account.address)}; una cuadrilla lo revisará. Te avisaremos por aquí.")


# Bills and complaints --------------------------------------------------------------------------

def bill_reminders(session: Session, settings: Settings, now: Optional[dt.datetime] = None,
                   days_before: int = 3) -> int:
    """Unpaid bills due in ``days_before`` days: a reminder to consented customers."""
    now = now or m.utcnow()
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    due = today + dt.timedelta(days=days_before)
    bills: Sequence[m.Bill] = session.execute(select(m.Bill).where(
        m.Bill.due_date == due, m.Bill.status != m.BillStatus.paid)).scalars().all()
    count = 0
    for bill in bills:
        account = bill.account
        count += _queued(enqueue(
            session, kind="bill_reminder", dedupe_key=f"bill:{bill.id}:reminder", customer=account.customer,
            account=account, settings=settings, now=now,
            body=(f"Hola {_first_name(account.customer)}. Tu factura de {month(bill.period)} por {money(bill.total)} "
                  f"(cuenta {account.account_number}) vence el {day(bill.due_date, today)}. Paga en línea: "
                  f"{settings.payment_url_template.format(reference=records.payment_reference(bill))} "
                  "Si ya pagaste, ignora este mensaje."),
            variables={"1": _first_name(account.customer), "2": money(bill.total), "3": day(bill.due_date, today)}))
    return count


def complaint_resolved(session: Session, complaint: m.Complaint, settings: Settings, now: Optional[dt.datetime] = None) -> int:
    """The customer hears the resolution at once, and is surveyed a little later."""
    now = now or m.utcnow()
    customer = complaint.account.customer
    told = enqueue(
        session, kind="complaint_resolved", dedupe_key=f"complaint:{complaint.id}:resolved", customer=customer,
        account=complaint.account, needs_consent=False, settings=settings, now=now,
        body=(f"Hola {_first_name(customer)}. Tu reclamo {complaint.ticket} fue resuelto: {complaint.resolution} "
              "Si no estás de acuerdo, responde a este mensaje y te ayudamos."),
        variables={"1": _first_name(customer), "2": complaint.ticket, "3": complaint.resolution or ""})
    return _queued(told)


def complaint_survey(session: Session, complaint: m.Complaint, settings: Settings, now: Optional[dt.datetime] = None) -> int:
    """The 1-5 question about a resolved complaint, as a survey the channels recognise the answer to."""
    from bot.handoff import SURVEY_OPTIONS

    now = now or m.utcnow()
    customer = complaint.account.customer
    asked = enqueue(
        session, kind="survey", dedupe_key=f"complaint:{complaint.id}:survey", customer=customer,
        account=complaint.account, needs_consent=False, settings=settings, now=now,
        body=f"¿Cómo calificas la atención de tu reclamo {complaint.ticket}? Elige de 5 (excelente) a 1 (muy mala).",
        buttons=[{"title": title, "payload": payload} for title, payload in SURVEY_OPTIONS],
        variables={"1": complaint.ticket})
    if asked is None or asked.status != m.NotificationStatus.queued:
        return 0
    session.add(m.Survey(conversation_id=asked.address, channel=asked.channel, subject="complaint",
                         complaint_id=complaint.id, asked_at=asked.not_before))
    return 1


def resolved_without_survey(session: Session, settings: Settings, now: Optional[dt.datetime] = None) -> List[m.Complaint]:
    """Complaints resolved at least ``survey_delay_minutes`` ago whose survey is not queued yet."""
    now = now or m.utcnow()
    surveyed = select(m.Survey.complaint_id).where(m.Survey.complaint_id.is_not(None))
    return list(session.execute(select(m.Complaint).where(
        m.Complaint.status == m.TicketStatus.resolved,
        m.Complaint.resolved_at <= now - dt.timedelta(minutes=settings.survey_delay_minutes),
        m.Complaint.resolved_at >= now - dt.timedelta(days=7),
        m.Complaint.id.not_in(surveyed))).scalars())


def deadline_watch(session: Session, settings: Settings, now: Optional[dt.datetime] = None,
                   warning: dt.timedelta = dt.timedelta(days=2)) -> List[m.Complaint]:
    """Open complaints near or past their regulatory deadline, escalated to supervisors once."""
    now = now or m.utcnow()
    due = session.execute(select(m.Complaint).where(
        m.Complaint.status.in_([m.TicketStatus.received, m.TicketStatus.in_progress]),
        m.Complaint.escalated_at.is_(None), m.Complaint.due_at <= now + warning)).scalars().all()
    for complaint in due:
        complaint.escalated_at = now
        overdue = complaint.due_at < now
        complaint.history.append(m.ComplaintEvent(
            at=now, status=complaint.status,
            note="Escalado a supervisión: plazo regulatorio vencido" if overdue else "Escalado a supervisión: vence pronto"))
    return list(due)
