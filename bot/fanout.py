"""Outage notices at a storm's scale: queued in bulk, followed batch by batch, superseded when stale.

An outage on zones with tens of thousands of customers must neither hold the OMS's request nor build one ORM
object per customer. The API creates the outage, tells its reporters first (bot/notifications.py
``outage_started``) and opens a ``NoticeBatch``; the scheduler's one-off ``fanout`` job then reads who is
affected and where each is reached in a few queries and inserts their notices in bulk, by the same rules as
one notice (consent, opt-outs, the preferred channel; outage notices are urgent, so quiet hours do not hold
them). The dispatcher sends them by claim, at the providers' rates. A new estimate rewrites what has not
gone yet and tells those already told; a restoration skips what has not gone, so no stale news is sent.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot import notifications, restoration
from bot.db import models as m
from bot.formatting import first_name
from bot.settings import Settings

CHUNK = 5000
QUEUING, QUEUED, SUPERSEDED = "queuing", "queued", "superseded"
Q = m.NotificationStatus
WENT = [Q.sent, Q.delivered]  # told: handed to the provider, or confirmed


def open_batch(session: Session, outage: m.Outage, now: dt.datetime) -> m.NoticeBatch:
    batch = m.NoticeBatch(outage_id=outage.id, kind="outage_started", status=QUEUING, created_at=now)
    session.add(batch)
    session.flush()
    return batch


def run_batch(session: Session, batch_id: int, settings: Settings, now: dt.datetime) -> int:
    """Queues everyone the batch's outage affects (once); how many notices were queued."""
    batch = session.get(m.NoticeBatch, batch_id)
    if batch is None or batch.status != QUEUING:
        return 0
    outage = batch.outage
    if outage.status != m.OutageStatus.active:  # restored before its news went out: nothing to say
        batch.status, batch.queued_at = SUPERSEDED, now
        return 0
    queued = everyone_told(session, outage, settings, now)
    batch.status, batch.queued_at = QUEUED, now
    batch.total = session.execute(select(func.count()).select_from(m.Notification).where(
        m.Notification.outage_id == outage.id, m.Notification.kind == batch.kind)).scalar_one()
    return queued


def progress(session: Session, batch: m.NoticeBatch) -> Dict[str, Any]:
    """Where the batch's notices are: queued, sent, delivered, failed, skipped."""
    counts = dict(session.execute(select(m.Notification.status, func.count()).where(
        m.Notification.outage_id == batch.outage_id, m.Notification.kind == batch.kind)
        .group_by(m.Notification.status)).all())
    return {"id": batch.id, "outage_id": batch.outage_id, "kind": batch.kind, "status": batch.status,
            "created_at": batch.created_at.isoformat(), "queued_at": batch.queued_at.isoformat() if batch.queued_at else None,
            "total": sum(counts.values()), "notices": {status.value: counts.get(status, 0) for status in Q}}


def recent_batches(session: Session, since: dt.datetime) -> List[m.NoticeBatch]:
    return list(session.execute(select(m.NoticeBatch).where(m.NoticeBatch.created_at >= since)
                                .order_by(m.NoticeBatch.id.desc())).scalars())


def everyone_told(session: Session, outage: m.Outage, settings: Settings, now: dt.datetime) -> int:
    """Every affected supply not told yet (the reporters were), queued in bulk; then the calls a long outage
    owes to homes with medical equipment."""
    zones, when = notifications.zone_names(outage), restoration.estimate_sentence(outage, settings.timezone, now)
    body = (f"Energía del Valle: hay un corte de energía en {zones} ({outage.cause}). {when} "
            "No necesitas reportarlo; te avisaremos cuando regrese.")
    told = set(session.execute(select(m.Notification.account_id).where(
        m.Notification.outage_id == outage.id, m.Notification.kind == "outage_started")).scalars())
    people = session.execute(
        select(m.Account.id, m.Account.customer_id, m.Customer.full_name, m.Customer.preferred_channel,
               m.Customer.telegram_user_id, m.Customer.notifications_consent)
        .join(m.Customer, m.Customer.id == m.Account.customer_id)
        .where(_affected(outage), m.Account.status != m.AccountStatus.retired)).all()
    mobiles = _first_mobiles(session, outage)
    opted = _opted_out(session)
    rows = []
    for account_id, customer_id, full_name, preferred, telegram, consent in people:
        if account_id in told:
            continue
        row = _row(f"outage:{outage.id}:started:{account_id}", "outage_started", outage, account_id, customer_id,
                   body, {"1": first_name(full_name), "2": zones, "3": when}, now)
        target = _target(preferred, telegram, mobiles.get(customer_id))
        if target is None:
            row.update(status=Q.skipped, error="sin canal para avisar")
        else:
            row.update(channel=target[0], address=target[1])
            if not consent:
                row.update(status=Q.skipped, error="sin consentimiento")
            elif target in opted:
                row.update(status=Q.skipped, error="pidió no recibir mensajes")
        rows.append(row)
    _insert(session, rows)
    medical = session.execute(select(m.Account).join(m.Customer, m.Customer.id == m.Account.customer_id).where(
        _affected(outage), m.Customer.electro_dependent.is_(True), m.Account.status != m.AccountStatus.retired)).scalars()
    calls = notifications.call_for_long_outage(session, outage, list(medical), settings, now)
    return sum(row["status"] == Q.queued for row in rows) + calls


def new_estimate(session: Session, outage: m.Outage, settings: Settings, now: dt.datetime) -> int:
    """What has not gone yet says the new estimate (rewritten in place); those already told hear it."""
    zones, when = notifications.zone_names(outage), restoration.estimate_sentence(outage, settings.timezone, now)
    pending = and_(m.Notification.outage_id == outage.id, m.Notification.kind.in_(["outage_started", "outage_update"]),
                   m.Notification.status == Q.queued)
    session.execute(update(m.Notification).where(pending, m.Notification.kind == "outage_started",
                                                 m.Notification.body.like("Energía del Valle: hay un corte%")).values(
        body=(f"Energía del Valle: hay un corte de energía en {zones} ({outage.cause}). {when} "
              "No necesitas reportarlo; te avisaremos cuando regrese.")), execution_options={"synchronize_session": False})
    for notice in session.execute(select(m.Notification).where(pending, m.Notification.kind == "outage_started",
                                                               ~m.Notification.body.like("Energía del Valle: hay un corte%"))).scalars():
        notice.body = notifications.reporter_notice(notice.account, outage, when)  # the few who reported it
    estimates = [{"notice": notice_id, "variables": {**variables, "3": when}} for notice_id, variables in session.execute(
        select(m.Notification.id, m.Notification.variables).where(pending, m.Notification.kind == "outage_started"))
        if variables and "3" in variables]
    for chunk in _chunks(estimates):  # a WhatsApp template outside the window says the new estimate too
        session.execute(update(m.Notification.__table__).where(m.Notification.__table__.c.id == bindparam("notice"))
                        .values(variables=bindparam("variables")), chunk)
    session.execute(update(m.Notification).where(pending, m.Notification.kind == "outage_update").values(
        status=Q.skipped, error="reemplazado por una hora estimada más nueva"), execution_options={"synchronize_session": False})
    stamp = outage.estimated_restoration_at.isoformat() if outage.estimated_restoration_at else "none"
    queued = _follow_up(session, outage, "outage_update", f"outage:{outage.id}:eta:{stamp}", now,
                        f"Actualización del corte en {zones}: {when} Disculpa las molestias.", {"1": zones, "2": when})
    medical = session.execute(select(m.Account).join(m.Customer, m.Customer.id == m.Account.customer_id).where(
        _affected(outage), m.Customer.electro_dependent.is_(True))).scalars()
    return queued + notifications.call_for_long_outage(session, outage, list(medical), settings, now)


def power_back(session: Session, outage: m.Outage) -> int:
    """The moment the OMS says the power is back: news of the outage not sent yet is stale, and is skipped."""
    return session.execute(update(m.Notification).where(
        m.Notification.outage_id == outage.id, m.Notification.kind.in_(["outage_started", "outage_update"]),
        m.Notification.status == Q.queued).values(status=Q.skipped, error="superado: la energía volvió antes de enviarlo"),
        execution_options={"synchronize_session": False}).rowcount


def restored(session: Session, outage: m.Outage, now: dt.datetime) -> int:
    """A while after the restoration: those told of the outage hear it is over and are asked whether their power
    came back; its reports are resolved."""
    power_back(session, outage)
    session.execute(update(m.OutageReport).where(m.OutageReport.outage_id == outage.id).values(
        status=m.TicketStatus.resolved), execution_options={"synchronize_session": False})
    zones = notifications.zone_names(outage)
    return _follow_up(session, outage, "outage_restored", f"outage:{outage.id}:restored", now,
                      f"Buenas noticias: la energía ya volvió en {zones}. ¿Te volvió la luz a ti?", {"1": zones},
                      buttons=notifications.RESTORED_BUTTONS)


def _follow_up(session: Session, outage: m.Outage, kind: str, key: str, now: dt.datetime, body: str,
               variables: Dict[str, str], buttons: Optional[List[Dict[str, str]]] = None) -> int:
    """One more notice to everyone whose first notice of the outage went, on their channel, in bulk."""
    told = session.execute(
        select(m.Notification.account_id, m.Notification.customer_id, m.Customer.preferred_channel,
               m.Customer.telegram_user_id)
        .join(m.Customer, m.Customer.id == m.Notification.customer_id)
        .where(m.Notification.outage_id == outage.id, m.Notification.kind == "outage_started",
               m.Notification.status.in_(WENT))).all()
    mobiles = _first_mobiles(session, outage)
    already = set(session.execute(select(m.Notification.account_id).where(
        m.Notification.outage_id == outage.id, m.Notification.dedupe_key.like(f"{key}:%"))).scalars())
    opted = _opted_out(session)
    rows = []
    for account_id, customer_id, preferred, telegram in told:
        if account_id in already:
            continue
        row = _row(f"{key}:{account_id}", kind, outage, account_id, customer_id, body, variables, now, buttons)
        target = _target(preferred, telegram, mobiles.get(customer_id))  # where they are reached today
        if target is None:
            row.update(status=Q.skipped, error="sin canal para avisar")
        else:
            row.update(channel=target[0], address=target[1])
            if target in opted:
                row.update(status=Q.skipped, error="pidió no recibir mensajes")
        rows.append(row)
    _insert(session, rows)
    return sum(row["status"] == Q.queued for row in rows)


def _affected(outage: m.Outage) -> ColumnElement:
    return notifications.fanout_area(outage)


def _first_mobiles(session: Session, outage: m.Outage) -> Dict[int, str]:
    first: Dict[int, str] = {}
    for customer_id, number in session.execute(
            select(m.Phone.customer_id, m.Phone.number).join(m.Account, m.Account.customer_id == m.Phone.customer_id)
            .where(_affected(outage), m.Phone.is_mobile.is_(True)).order_by(m.Phone.id)):
        first.setdefault(customer_id, number)
    return first


def _opted_out(session: Session) -> Set[Tuple[str, str]]:
    return {(channel, address) for channel, address in session.execute(select(m.OptOut.channel, m.OptOut.address))}


def _target(preferred: m.Channel, telegram: Optional[str], mobile: Optional[str]) -> Optional[Tuple[str, str]]:
    """Where a customer is reached: as ``notifications.reach``, from columns read in bulk."""
    if preferred == m.Channel.telegram and telegram:
        return "telegram", f"tg:{telegram}"
    if mobile is None:
        return None
    return ("whatsapp" if preferred == m.Channel.whatsapp else "sms"), mobile


def _row(key: str, kind: str, outage: m.Outage, account_id: int, customer_id: int, body: str,
         variables: Dict[str, str], now: dt.datetime, buttons: Optional[List[Dict[str, str]]] = None) -> Dict[str, Any]:
    return {"dedupe_key": key, "kind": kind, "customer_id": customer_id, "account_id": account_id, "channel": None,
            "address": None, "body": body, "buttons": buttons, "variables": variables, "urgent": True,
            "status": Q.queued, "not_before": now, "expires_at": None, "attempts": 0, "error": None,
            "created_at": now, "outage_id": outage.id}


def _insert(session: Session, rows: List[Dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        session.execute(insert(m.Notification.__table__), chunk)


def _chunks(rows: List[Dict[str, Any]]) -> Iterator[List[Dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]
