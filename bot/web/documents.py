"""The bill as a PDF, drawn with ReportLab from the records (a faithful duplicate)."""
from __future__ import annotations

import io
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from bot.db import models as m
from bot.formatting import day, kwh, money, month

UTILITY = "Energía del Valle S.A. E.S.P."


def bill_pdf(bill: m.Bill, account: m.Account, customer: m.Customer) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"Factura {account.account_number} {bill.period:%Y-%m}")
    width, height = A4
    left, y = 20 * mm, height - 25 * mm

    pdf.setFillColor(colors.HexColor("#0B5394"))
    pdf.rect(0, height - 40 * mm, width, 40 * mm, fill=1, stroke=0)
    pdf.setFillColor(colors.white)
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(left, y, UTILITY)
    pdf.setFont("Helvetica", 11)
    pdf.drawString(left, y - 8 * mm, f"Duplicado de factura · {month(bill.period).capitalize()}")

    pdf.setFillColor(colors.black)
    y = height - 52 * mm
    rows = [
        ("Titular", customer.full_name),
        ("Cuenta", account.account_number),
        ("Dirección", f"{account.address}, {account.neighborhood}, {account.city}"),
        ("Medidor", account.meter_number),
        ("Tarifa", f"{bill.tariff.name} ({bill.tariff.code})"),
        ("Emitida", day(bill.issued_on, bill.issued_on)),
        ("Vence", day(bill.due_date, bill.issued_on)),
    ]
    for label, value in rows:
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(left, y, label)
        pdf.setFont("Helvetica", 10)
        pdf.drawString(left + 30 * mm, y, str(value))
        y -= 6 * mm

    y -= 4 * mm
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(left, y, "Consumo")
    y -= 7 * mm
    pdf.setFont("Helvetica", 10)
    reading = "estimada" if bill.reading_type == m.ReadingType.estimated else "real"
    pdf.drawString(left, y, f"Lectura anterior {bill.reading_start:,.0f} · lectura actual {bill.reading_end:,.0f} ({reading})")
    y -= 6 * mm
    pdf.drawString(left, y, f"Energía consumida: {kwh(bill.kwh)} a {money(bill.tariff.energy_rate)} por kWh")

    y -= 12 * mm
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(left, y, "Cargos")
    y -= 7 * mm
    charges = [
        ("Energía", bill.energy_amount),
        ("Cargo fijo", bill.fixed_amount),
        ("Alumbrado público", bill.public_lighting_amount),
        ("Impuestos", bill.taxes_amount),
    ]
    if bill.generation_credit_amount:
        charges.append(("Crédito por energía exportada", -bill.generation_credit_amount))
    pdf.setFont("Helvetica", 10)
    for label, amount in charges:
        pdf.drawString(left, y, label)
        pdf.drawRightString(width - left, y, money(Decimal(amount)))
        y -= 6 * mm
    pdf.line(left, y + 3 * mm, width - left, y + 3 * mm)
    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawString(left, y - 2 * mm, "Total a pagar")
    pdf.drawRightString(width - left, y - 2 * mm, money(bill.total))

    pdf.setFont("Helvetica", 9)
    pdf.drawString(left, 20 * mm, f"Referencia de pago: {account.account_number}-{bill.period:%Y%m}")
    pdf.drawString(left, 15 * mm, "Paga en línea, en bancos y corresponsales. Este duplicado tiene la misma validez que el original.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
