"""Trouble-call grouping: no-power reports that share a transformer or a feeder open one suspected outage.

In a storm's first minutes the OMS knows little and customers write by the hundreds. When
``LUZ_GROUPING_REPORTS`` supplies behind one transformer report no power within ``LUZ_GROUPING_MINUTES``, a
suspected outage opens on that transformer; as many behind two or more transformers of one feeder open one
on the feeder. Later reporters there are told it is known and their report is counted, with no new ticket.
The OMS hears of it by the ``suspected_outage.opened`` webhook (bot/webhooks.py); when it confirms an outage
on the zone (``POST /api/v1/outages``) the suspected ones there are merged into it, and their reporters are
the first told (bot/notifications.py ``outage_started``).

Grouping on a feeder is serialised (a transaction advisory lock on PostgreSQL, SQLite's one writer), so
reports arriving together open one suspected outage, not several.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from bot import events, webhooks
from bot.db import models as m
from bot.records import lock_key
from bot.settings import Settings

OPEN, MERGED = "open", "merged"


def hold(session: Session, feeder_id: int) -> None:
    """Serialises grouping on one feeder until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key("grouping-feeder", str(feeder_id))})
    else:
        session.execute(update(m.SuspectedOutage).where(m.SuspectedOutage.id == -1).values(reports=m.SuspectedOutage.reports))


def covering(session: Session, account: m.Account) -> Optional[m.SuspectedOutage]:
    """The open suspected outage on the supply's transformer or feeder, if any (taking the feeder's lock)."""
    hold(session, account.feeder_id)
    query = (select(m.SuspectedOutage).where(
        m.SuspectedOutage.status == OPEN, m.SuspectedOutage.feeder_id == account.feeder_id,
        (m.SuspectedOutage.level == "feeder") | (m.SuspectedOutage.transformer_id == account.transformer_id))
        .order_by(m.SuspectedOutage.id))
    return session.execute(query).scalars().first()


def count(suspected: m.SuspectedOutage, report: m.OutageReport, now: dt.datetime) -> None:
    report.suspected_outage_id = suspected.id
    suspected.reports += 1
    suspected.last_report_at = now


def consider(session: Session, settings: Settings, account: m.Account, now: dt.datetime) -> Optional[m.SuspectedOutage]:
    """After a new no-power report from ``account`` (its feeder held by ``covering``): opens a suspected
    outage when the window holds enough reports, and returns it."""
    since = now - dt.timedelta(minutes=settings.grouping_minutes)
    rows = session.execute(
        select(m.OutageReport, m.Account.transformer_id).join(m.Account, m.Account.id == m.OutageReport.account_id)
        .where(m.OutageReport.kind == "no_power", m.OutageReport.created_at >= since,
               m.OutageReport.outage_id.is_(None), m.OutageReport.suspected_outage_id.is_(None),
               m.Account.feeder_id == account.feeder_id)).all()
    supplies = {report.account_id for report, _ in rows}
    behind = {report.account_id for report, transformer in rows if transformer == account.transformer_id}
    transformers = {transformer for _, transformer in rows}
    if account.transformer_id is not None and len(behind) >= settings.grouping_reports:
        level, grouped = "transformer", [report for report, transformer in rows if transformer == account.transformer_id]
    elif len(supplies) >= settings.grouping_reports and len(transformers) >= 2:
        level, grouped = "feeder", [report for report, _ in rows]
    else:
        return None
    suspected = m.SuspectedOutage(level=level, transformer_id=account.transformer_id if level == "transformer" else None,
                                  feeder_id=account.feeder_id, zone_id=account.zone_id, status=OPEN, reports=0,
                                  opened_at=now, last_report_at=now)
    session.add(suspected)
    session.flush()
    if level == "feeder":  # the feeder's suspected outage takes in its transformers' ones
        for smaller in session.execute(select(m.SuspectedOutage).where(
                m.SuspectedOutage.status == OPEN, m.SuspectedOutage.feeder_id == account.feeder_id,
                m.SuspectedOutage.id != suspected.id)).scalars():
            session.execute(update(m.OutageReport).where(m.OutageReport.suspected_outage_id == smaller.id)
                            .values(suspected_outage_id=suspected.id))
            suspected.reports += smaller.reports
            smaller.status, smaller.merged_at = MERGED, now
    for report in grouped:
        count(suspected, report, now)
    session.flush()
    events.record(session, "suspected_outage_opened", at=now, category=level, value=suspected.reports)
    webhooks.publish(session, "suspected_outage.opened", as_json(session, suspected), now)
    return suspected


def merge_into(session: Session, outage: m.Outage, now: dt.datetime) -> List[m.SuspectedOutage]:
    """The open suspected outages in the confirmed outage's zones become part of it, reports included."""
    zone_ids = [area.zone_id for area in outage.areas]
    merged = list(session.execute(select(m.SuspectedOutage).where(
        m.SuspectedOutage.status == OPEN, m.SuspectedOutage.zone_id.in_(zone_ids or [0]))).scalars())
    for suspected in merged:
        suspected.status, suspected.merged_outage_id, suspected.merged_at = MERGED, outage.id, now
        session.execute(update(m.OutageReport).where(m.OutageReport.suspected_outage_id == suspected.id)
                        .values(outage_id=outage.id))
        webhooks.publish(session, "suspected_outage.merged", as_json(session, suspected), now)
    return merged


def open_ones(session: Session) -> List[m.SuspectedOutage]:
    return list(session.execute(select(m.SuspectedOutage).where(m.SuspectedOutage.status == OPEN)
                                .order_by(m.SuspectedOutage.opened_at)).scalars())


def as_json(session: Session, suspected: m.SuspectedOutage) -> Dict[str, Any]:
    supplies = session.execute(select(func.count(func.distinct(m.OutageReport.account_id))).where(
        m.OutageReport.suspected_outage_id == suspected.id)).scalar_one()
    return {
        "id": suspected.id, "level": suspected.level, "status": suspected.status,
        "zone": suspected.zone.code, "feeder": suspected.feeder.code,
        "transformer": suspected.transformer.code if suspected.transformer else None,
        "reports": suspected.reports, "supplies": supplies,
        "opened_at": suspected.opened_at.isoformat(), "last_report_at": suspected.last_report_at.isoformat(),
        "merged_outage_id": suspected.merged_outage_id,
    }
