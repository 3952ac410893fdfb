"""FastAPI application factory: ``create_app(settings)``, nothing built at import.

Serves the documents that the assistant links to (bill PDFs, consumption
charts) behind expiring signed links, and the agent console with the
watcher that tells waiting customers when their place in the queue moves.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Optional

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from bot import records
from bot.web.charts import consumption_chart
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.web.console.views import HERE as CONSOLE_DIR, SignedOut, console_router, signed_out_handler
from bot.web.documents import bill_pdf
from bot.web.api import api_router
from channels import outbound
from bot.jobs.scheduler import build_scheduler, plan, run_soon
from bot.links import LinkExpired, LinkInvalid, LinkSigner
from bot.settings import Settings, get_settings

EXPIRED_PAGE = """<!doctype html><html lang="es"><meta charset="utf-8"><title>Enlace vencido</title>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">
<h1>Este enlace ya venció</h1><p>Por tu seguridad, los enlaces a tus documentos duran 24 horas.
Pídele a Luz uno nuevo escribiendo «copia de mi factura».</p></body></html>"""


def create_app(settings: Optional[Settings] = None) -> FastAPI:
    settings = settings or get_settings()
    signer = LinkSigner(str(settings.signing_secret), settings.public_base_url)
    engine = engine_for(settings.database_url)
    scheduler = build_scheduler(settings) if settings.scheduler else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if scheduler is not None:
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await outbound.close_all()

    app = FastAPI(title="Luz — API de integración", version="1", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url="/api/openapi.json",
                  description="Outage management, billing and CRM systems talk to the assistant here. "
                              "Every call needs an `X-API-Key`; POSTs honour `Idempotency-Key`.")
    app.state.scheduler = scheduler
    app.add_middleware(SessionMiddleware, secret_key=f"console:{settings.signing_secret}",
                       session_cookie="luz_console", max_age=12 * 3600, same_site="strict",
                       https_only=settings.public_base_url.startswith("https://"))
    app.mount("/console/static", StaticFiles(directory=str(CONSOLE_DIR / "static")), name="console-static")
    app.include_router(console_router(settings), include_in_schema=False)
    app.include_router(api_router(settings, on_queued=lambda: run_soon(scheduler, "dispatch"),
                                  schedule=lambda kind, when, *args: plan(scheduler, kind, when, *args)))
    app.add_exception_handler(SignedOut, signed_out_handler)

    def open_link(kind: str, token: str):
        try:
            return signer.load(kind, token)
        except LinkExpired:
            raise HTTPException(status_code=410, detail="expired")
        except LinkInvalid:
            raise HTTPException(status_code=404, detail="not found")

    @app.exception_handler(HTTPException)
    async def _errors(request: Request, error: HTTPException):
        if request.url.path.startswith(("/console", "/api")):
            return JSONResponse({"detail": error.detail}, status_code=error.status_code)
        if error.status_code == 410:
            return HTMLResponse(EXPIRED_PAGE, status_code=410)
        return HTMLResponse("<h1>No encontrado</h1>", status_code=error.status_code)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/console", status_code=307)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/files/bills/{token}.pdf", include_in_schema=False)
    async def bill_document(token: str) -> Response:
        bill_id = open_link("bills", token)

        def render() -> Optional[bytes]:
            with session_scope(engine) as session:
                bill = session.get(m.Bill, bill_id)
                if bill is None:
                    return None
                return bill_pdf(bill, bill.account, bill.account.customer)

        content = await asyncio.to_thread(render)
        if content is None:
            raise HTTPException(status_code=404)
        return Response(content, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="factura-{bill_id}.pdf"',
                                 "Cache-Control": "private, no-store"})

    @app.get("/files/charts/{token}.png", include_in_schema=False)
    async def chart_image(token: str) -> Response:
        account_number = open_link("charts", token)

        def render() -> Optional[bytes]:
            with session_scope(engine) as session:
                account = records.account_by_number(session, account_number)
                if account is None:
                    return None
                months = records.consumption(session, account, 12)
                return consumption_chart([(b.period, b.kwh) for b in months], f"Consumo de los últimos {len(months)} meses")

        content = await asyncio.to_thread(render)
        if content is None:
            raise HTTPException(status_code=404)
        return Response(content, media_type="image/png", headers={"Cache-Control": "private, no-store"})

    return app
