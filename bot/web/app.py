"""FastAPI application factory: ``create_app(settings)``, nothing built at import.

``uvicorn bot.web.app:create_app --factory`` runs it (production profile, container image). The
app serves the documents the assistant links to (``files``), the agent console (``console``),
the integration API (``api``) and the website chat widget (``widget``), and in the process that runs it (``LUZ_SCHEDULER=on``) the
scheduler: notifications, reminders and the queue watcher. What routes need is built here once
and kept on ``app.state`` for their dependencies (``deps``).
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Dict, Optional

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from bot.db.engine import engine_for
from bot.jobs.scheduler import SchedulerLeadership, build_scheduler
from bot.links import LinkSigner
from bot.settings import Settings, get_settings
from bot.web import api, console, files, widget
from bot.web.console.access import SignedOut, signed_out_handler
from bot.web.console.pages import HERE as CONSOLE_DIR
from bot.web.console.pages import console_templates
from bot.web.console.throttle import SignInThrottle
from bot.web.deps import Database
from bot.web.headers import SecurityHeaders
from channels import outbound

EXPIRED_PAGE = """<!doctype html><html lang="es"><meta charset="utf-8"><title>Enlace vencido</title>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">
<h1>Este enlace ya venció</h1><p>Por tu seguridad, los enlaces a tus documentos duran 24 horas.
Pídele a Luz uno nuevo escribiendo «copia de mi factura».</p></body></html>"""


def create_app(settings: Optional[Settings] = None) -> FastAPI:
    settings = settings or get_settings()
    scheduler = build_scheduler(settings) if settings.scheduler else None

    # on PostgreSQL only the replica holding the scheduler's advisory lock runs it (bot/jobs/scheduler.py)
    leadership = SchedulerLeadership(scheduler, settings.database_url) if scheduler is not None else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if leadership is not None:
            await leadership.start()
        yield
        if leadership is not None:
            await leadership.stop()
        await outbound.close_all()

    app = FastAPI(title="Luz — API de integración", version="1", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url="/api/openapi.json",
                  description="Outage management, billing and CRM systems talk to the assistant here. "
                              "Every call needs an `X-API-Key`; POSTs honour `Idempotency-Key`.")
    app.state.settings = settings
    app.state.database = Database(engine_for(settings.database_url))
    app.state.scheduler = scheduler
    app.state.scheduler_leadership = leadership
    app.state.link_signer = LinkSigner(str(settings.signing_secret), settings.public_base_url)
    app.state.console_templates = console_templates(settings)
    app.state.sign_in_throttle = SignInThrottle()

    app.add_middleware(SecurityHeaders, settings=settings)
    app.add_middleware(SessionMiddleware, secret_key=str(settings.session_secret),
                       session_cookie="luz_console", max_age=12 * 3600, same_site="strict",
                       https_only=settings.public_base_url.startswith("https://"))
    app.mount("/console/static", StaticFiles(directory=str(CONSOLE_DIR / "static")), name="console-static")
    app.include_router(console.router, include_in_schema=False)
    app.include_router(api.router)
    app.add_exception_handler(SignedOut, signed_out_handler)
    app.add_exception_handler(HTTPException, http_error)
    app.router.add_api_route("/", home, include_in_schema=False)
    app.router.add_api_route("/health", health, include_in_schema=False)
    app.include_router(files.router)
    app.include_router(widget.router)
    return app


async def http_error(request: Request, error: Exception) -> Response:
    """JSON for the console and the API; a page for a customer's browser (an expired link says what to do).

    Registered for ``HTTPException`` only (Starlette types handlers for any exception)."""
    if not isinstance(error, HTTPException):
        raise error
    if request.url.path.startswith(("/console", "/api")):
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)
    if error.status_code == 410:
        return HTMLResponse(EXPIRED_PAGE, status_code=410)
    return HTMLResponse("<h1>No encontrado</h1>", status_code=error.status_code)


async def home() -> RedirectResponse:
    return RedirectResponse("/console", status_code=307)


async def health() -> Dict[str, str]:
    return {"status": "ok"}
