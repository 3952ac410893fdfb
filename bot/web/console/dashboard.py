"""The supervisors' dashboard: service KPIs for a period and channel, as a page, a CSV and charts,
and the outages whose restoration estimate passed with the power still out."""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from bot import clock, grouping, kpis, restoration
from bot.db import models as m
from bot.formatting import moment
from bot.settings import Settings
from bot.web import report
from bot.web.console.access import supervisor
from bot.web.console.pages import render
from bot.web.deps import Database, database, settings
from bot.web.kpi_charts import CHARTS

router = APIRouter(prefix="/console")


async def figures_for(request: Request, db: Database, config: Settings) -> Tuple[Dict, Optional[str]]:
    """The KPIs the query string asks for, and what was wrong with it (None when nothing)."""
    filters, error = kpi_filters(request.query_params, config.timezone)
    figures = await db(lambda session: kpis.compute(session, filters.start, filters.end, config.timezone,
                                                    filters.channel, filters.every))
    return figures, error


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, agent: Dict = Depends(supervisor), db: Database = Depends(database),
                    config: Settings = Depends(settings)):
    figures, error = await figures_for(request, db, config)
    expired = await db(lambda session: [expired_estimate_row(o, config.timezone)
                                        for o in restoration.expired_estimates(session)])
    suspected = await db(lambda session: [suspected_row(s, config.timezone) for s in grouping.open_ones(session)])
    return render(request, "dashboard.html", {
        "agent": agent, "figures": figures, "sections": report.sections(figures), "error": error,
        "expired_estimates": expired, "suspected_outages": suspected,
        "channels": kpis.CHANNELS, "fmt": report.fmt, "query": request.url.query})


@router.get("/dashboard.csv")
async def dashboard_csv(request: Request, agent: Dict = Depends(supervisor), db: Database = Depends(database),
                        config: Settings = Depends(settings)):
    figures, _ = await figures_for(request, db, config)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["sección", "indicador", "valor"])
    writer.writerows(kpis.flatten(figures))
    period = figures["period"]
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="indicadores-{period["from"]}-{period["to"]}.csv"'})


@router.get("/dashboard/charts/{name}.png")
async def dashboard_chart(name: str, request: Request, agent: Dict = Depends(supervisor),
                          db: Database = Depends(database), config: Settings = Depends(settings)):
    if name not in CHARTS:
        raise HTTPException(status_code=404, detail="No existe ese gráfico.")
    figures, _ = await figures_for(request, db, config)
    return Response(await asyncio.to_thread(CHARTS[name], figures), media_type="image/png",
                    headers={"Cache-Control": "private, max-age=60"})


def suspected_row(suspected: m.SuspectedOutage, timezone: str) -> Dict[str, str]:
    """A fault several customers reported that the OMS has not confirmed, as a supervisor reads it."""
    where = suspected.transformer.code if suspected.transformer else f"circuito {suspected.feeder.code}"
    return {"id": str(suspected.id), "zone": suspected.zone.name, "where": where, "reports": str(suspected.reports),
            "since": moment(suspected.opened_at, timezone), "last": moment(suspected.last_report_at, timezone)}


def expired_estimate_row(outage: m.Outage, timezone: str) -> Dict[str, str]:
    """An outage whose estimate passed with the power still out, as a supervisor reads it."""
    late = int((clock.now() - outage.estimated_restoration_at).total_seconds() // 60)
    zones = ", ".join(sorted({area.zone.name for area in outage.areas}))
    return {"id": str(outage.id), "zones": zones, "cause": outage.cause,
            "estimate": moment(outage.estimated_restoration_at, timezone), "late": f"{late // 60} h {late % 60:02d} min"}


@dataclass(frozen=True)
class KpiFilters:
    start: dt.date
    end: dt.date
    channel: Optional[str] = None
    every: str = "day"


def kpi_filters(params: Mapping[str, str], timezone: str) -> Tuple[KpiFilters, Optional[str]]:
    """Dates (default: the last 30 days), channel and grouping from a query string; and what was wrong with it."""
    end = clock.today()
    start = end - dt.timedelta(days=29)
    channel, every, error = None, "day", None
    try:
        if params.get("from"):
            start = dt.date.fromisoformat(params["from"])
        if params.get("to"):
            end = dt.date.fromisoformat(params["to"])
    except ValueError:
        error = "Fecha no válida: usa el formato AAAA-MM-DD."
    if start > end:
        error, start, end = "La fecha inicial es posterior a la final.", end, start
    if (end - start).days > 366:
        error, start = "El rango máximo es de un año.", end - dt.timedelta(days=366)
    if params.get("channel") in kpis.CHANNELS:
        channel = params["channel"]
    if params.get("every") in ("day", "week", "month"):
        every = params["every"]
    return KpiFilters(start, end, channel, every), error
