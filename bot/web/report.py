"""The monthly service report: the same figures as the dashboard, in Spanish, as HTML and PDF.

``python -m bot report --month 2026-11`` writes ``reports/informe-2026-11.html`` and ``.pdf``.
HTML comes from a Jinja2 template with the charts inline; the PDF is laid out
with ReportLab's platypus from the same figures and charts.
"""
from __future__ import annotations

import base64
import calendar
import datetime as dt
import io
from pathlib import Path
from typing import Dict, List

from jinja2 import Environment, FileSystemLoader, select_autoescape
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bot.formatting import month as month_name
from bot.web.kpi_charts import CHARTS

CHANNEL_NAMES = {"whatsapp": "WhatsApp", "sms": "SMS", "telegram": "Telegram", "web": "sitio web", "rest": "API REST (pruebas)"}
TEMPLATES = Path(__file__).resolve().parent / "console" / "templates"


def month_range(text: str) -> tuple:
    year, number = (int(part) for part in text.split("-"))
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def fmt(value, kind: str = "") -> str:
    """Figures as a Spanish reader expects them: 1.234, 12,5 %, 0,84 s, — when unknown."""
    if value is None:
        return "—"
    if kind == "%":
        return f"{value * 100:.1f} %".replace(".", ",")
    if kind == "ms":
        return f"{value:,.0f} ms".replace(",", ".")
    if kind == "s":
        return f"{value:,.1f} s".replace(",", "X").replace(".", ",").replace("X", ".")
    if kind == "d":
        return f"{value:.1f} días".replace(".", ",")
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)


def sections(figures: Dict) -> List[tuple]:
    """(title, [(label, value)]) in reading order: what the dashboard, report and PDF show."""
    r, c, b, q, s, ch = (figures[k] for k in ("responsiveness", "containment", "billing", "complaints",
                                              "satisfaction", "channels"))
    return [
        ("Capacidad de respuesta", [
            ("Tiempo de respuesta del asistente (p50)", fmt(r["reply_latency_ms_p50"], "ms")),
            ("Tiempo de respuesta del asistente (p95)", fmt(r["reply_latency_ms_p95"], "ms")),
            ("Espera para un asesor (p50)", fmt(r["handoff_wait_s_p50"], "s")),
            ("Espera para un asesor (p95)", fmt(r["handoff_wait_s_p95"], "s")),
            ("Primera respuesta del asesor (promedio)", fmt(r["agent_first_response_s_avg"], "s")),
            ("Clientes que dejaron la fila", fmt(r["left_queue"]))]),
        ("Resolución por el asistente", [
            ("Conversaciones", fmt(c["conversations"])),
            ("Resueltas sin una persona", fmt(c["containment_rate"], "%")),
            ("Mensajes no entendidos (tasa de respaldo)", fmt(c["fallback_rate"], "%"))]),
        ("Información de facturación", [
            ("Consultas de facturación atendidas", fmt(b["billing_questions"])),
            ("Consultas por factura alta", fmt(b["high_bill_inquiries"])),
            ("…que terminaron en reclamo", fmt(b["high_bill_to_complaint_rate"], "%"))]),
        ("Reclamos", [
            ("Reclamos presentados", fmt(q["filed"])),
            ("Resueltos dentro del plazo regulatorio", fmt(q["resolved_within_deadline_rate"], "%")),
            ("Tiempo promedio de resolución", fmt(q["resolution_days_avg"], "d")),
            ("Vencidos sin resolver (hoy)", fmt(len(q["overdue"])))]),
        ("Satisfacción", [
            ("Respuestas a la encuesta", fmt(s["answers"])),
            ("Calificación promedio (1 a 5)", fmt(s["average"]))]),
        ("Canales y avisos", [
            *[(f"Mensajes por {CHANNEL_NAMES.get(name, name)}", fmt(count)) for name, count in ch["messages"].items()],
            ("Avisos enviados", fmt(ch["notifications_sent"])),
            ("Avisos entregados", fmt(ch["notifications_delivered"]))]),
    ]


def chart_uris(figures: Dict) -> Dict[str, str]:
    return {name: "data:image/png;base64," + base64.b64encode(draw(figures)).decode() for name, draw in CHARTS.items()}


def render_html(figures: Dict, title: str) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape())
    return env.get_template("report.html").render(title=title, figures=figures, sections=sections(figures),
                                                  charts=chart_uris(figures))


def render_pdf(figures: Dict, title: str) -> bytes:
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=18 * mm, rightMargin=18 * mm)
    story = [Paragraph(title, styles["Title"]),
             Paragraph(f"Energía del Valle S.A. E.S.P. · del {figures['period']['from']} al {figures['period']['to']} · "
                       f"canal: {figures['period']['channel']}", styles["Normal"]), Spacer(1, 6 * mm)]
    for heading, rows in sections(figures):
        story.append(Paragraph(heading, styles["Heading2"]))
        table = Table(rows, colWidths=[110 * mm, 50 * mm])
        table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#DDDDDD")),
                                   ("ALIGN", (1, 0), (1, -1), "RIGHT"), ("FONTSIZE", (0, 0), (-1, -1), 9)]))
        story.append(table)
    for name, draw in CHARTS.items():
        story.append(Spacer(1, 4 * mm))
        story.append(Image(io.BytesIO(draw(figures)), width=160 * mm if name == "channels" else 100 * mm,
                           height=64 * mm if name == "channels" else 70 * mm))
    document.build(story)
    return buffer.getvalue()


def write_report(figures: Dict, month: str, out: Path) -> List[Path]:
    start, _ = month_range(month)
    title = f"Informe de servicio — {month_name(start)}"
    out.mkdir(parents=True, exist_ok=True)
    html, pdf = out / f"informe-{month}.html", out / f"informe-{month}.pdf"
    html.write_text(render_html(figures, title), encoding="utf-8")
    pdf.write_bytes(render_pdf(figures, title))
    return [html, pdf]
