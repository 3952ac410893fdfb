"""The website chat widget as the web service serves it: ``/widget/widget.js``, its stylesheet, and a demo page.

Any site among ``LUZ_WIDGET_ORIGINS`` embeds it with one script tag (README); the script talks to the web channel
on the Rasa server (``channels/web.py``), at ``LUZ_WIDGET_API_URL``: behind nginx the same public host, in
development the Rasa server's own port. ``/widget/demo`` is a page of the utility's site with the widget in it,
for ``make run`` and the browser tests. No inline script anywhere (the production CSP allows none).
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, HTMLResponse

from bot.settings import Settings
from bot.web.deps import settings

STATIC = Path(__file__).resolve().parent / "static"
CACHE = {"Cache-Control": "public, max-age=300"}  # a new version reaches visitors within minutes

router = APIRouter(prefix="/widget", include_in_schema=False)

DEMO_PAGE = """<!doctype html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Energía del Valle — Atención al cliente</title>
<link rel="stylesheet" href="/widget/demo.css">
</head>
<body>
<header class="site"><p class="brand">Energía del Valle</p>
<nav aria-label="Principal"><a href="#pagos">Pagos</a> <a href="#cortes">Cortes programados</a>
<a href="#oficinas">Oficinas</a></nav></header>
<main>
<h1>Atención al cliente</h1>
<p>Consulta tu saldo, pide una copia de tu factura o reporta un corte de luz con Luz, nuestra asistente virtual.
Abre el chat con el botón «Chatea con Luz», abajo a la derecha. Para ver los datos de tu cuenta te pedirá el número
de cuenta (9 dígitos, arriba en tu factura) y los últimos 4 dígitos del documento del titular.</p>
<h2 id="pagos">Pagos</h2>
<p>Paga por PSE, en bancos y en puntos de pago autorizados con la referencia de tu factura.</p>
<h2 id="cortes">Cortes programados</h2>
<p>Publicamos los trabajos programados con 48 horas de anticipación.</p>
<h2 id="oficinas">Oficinas</h2>
<p>Atención presencial de lunes a viernes de 8:00 a 17:00 y sábados de 8:00 a 12:00.</p>
</main>
<footer class="site"><p>Demostración del chat de Luz. Línea de emergencias: {phone}.</p></footer>
<script src="/widget/widget.js" data-api="{api}" defer></script>
</body>
</html>
"""

DEMO_CSS = """body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a;
line-height:1.5;background:#fafafa}
header.site{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:1rem 1.5rem;
background:#ffffff;border-bottom:4px solid #0b4f8a}
.brand{margin:0;font-weight:700;font-size:1.25rem;color:#0b4f8a}
nav a{margin-right:1rem;color:#0b4f8a}
main{max-width:44rem;margin:0 auto;padding:1.5rem 1.5rem 8rem}
footer.site{padding:1rem 1.5rem;color:#4a4a4a;border-top:1px solid #d0d7de;background:#ffffff}
"""


@router.get("/widget.js")
async def widget_script() -> FileResponse:
    return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8", headers=CACHE)


@router.get("/widget.css")
async def widget_style() -> FileResponse:
    return FileResponse(STATIC / "widget.css", media_type="text/css; charset=utf-8", headers=CACHE)


@router.get("/demo", response_class=HTMLResponse)
async def demo(config: Settings = Depends(settings)) -> HTMLResponse:
    page = DEMO_PAGE.replace("{api}", escape(config.widget_api_url)).replace("{phone}", escape(config.agent_phone))
    return HTMLResponse(page)


@router.get("/demo.css")
async def demo_style() -> HTMLResponse:
    return HTMLResponse(DEMO_CSS, media_type="text/css; charset=utf-8", headers=CACHE)
