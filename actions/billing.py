"""Billing journeys: balance, why a bill is high, a copy, how to pay, consumption history.

What the customer does about a payment (report it, an arrangement, reconnection) is in payments.py."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from statistics import mean
from typing import List, Optional

from sqlalchemy.orm import Session

from actions.context import links, settings
from actions.journeys import JourneyContext, Outcome, journey
from actions.replies import Reply
from bot import records
from bot.db import models as m
from bot.formatting import day, first_name, kwh, mask_address, money, month, short_month
from bot.text import fold

NEXT_STEPS = [("Pagar", "/pay_bill"), ("Copia de la factura", "/request_bill_copy"), ("Nada más", "/thank")]


def _first_name(account: m.Account) -> str:
    return first_name(account.customer.full_name)


def _where(account: m.Account) -> str:
    return f"cuenta {account.account_number} ({mask_address(account.address)})"


@journey("check_balance")
def check_balance(session: Session, ctx: JourneyContext) -> Outcome:
    account, today = ctx.account, ctx.today
    b = records.balance(session, account, today)
    first_name, where = _first_name(account), _where(account)
    if b.status == m.AccountStatus.suspended:
        text = (
            f"{first_name}, el servicio de tu {where} está suspendido por falta de pago. "
            f"Debes {money(b.amount_due)}{owed_detail(b, today)}. "
            "Cuando pagues el total, programamos la reconexión (normalmente dentro de 24 horas hábiles)."
        )
        return [Reply(text, [("Cómo pagar", "/pay_bill"), ("Acuerdo de pago", "/payment_arrangement")])], {}
    if b.unpaid_bills == 0 or b.amount_due <= 0:  # a bill of $ 0 (a prosumer's credits) owes nothing
        paid = f", pagada el {day(b.latest_paid_on, today)}" if b.latest_paid_on else ""
        latest = (f" Tu última factura, de {month(b.latest_period)}, fue de {money(b.latest_total)}{paid}."
                  if b.latest_period is not None and b.latest_total is not None else "")
        text = f"¡Estás al día, {first_name}! Tu {where} no tiene saldo pendiente.{latest}"
        return [Reply(text, [("Historial de consumo", "/consumption_history"), ("Nada más", "/thank")])], {}
    if b.overdue_bills:
        text = (
            f"{first_name}, tu {where} tiene un saldo de {money(b.amount_due)}{owed_detail(b, today)}. "
            "Paga pronto para evitar la suspensión del servicio; si necesitas, podemos ofrecerte un acuerdo de pago."
        )
        return [Reply(text, [("Pagar", "/pay_bill"), ("Acuerdo de pago", "/payment_arrangement")])], {}
    if b.latest_period is None or b.next_due_date is None:  # unpaid and not overdue: both are known
        raise LookupError(f"account {account.account_number}: an unpaid bill without its period or due date")
    text = (
        f"{first_name}, tu {where} tiene un saldo de {money(b.amount_due)}, "
        f"de la factura de {month(b.latest_period)}. Vence el {day(b.next_due_date, today)}."
    )
    return [Reply(text + " ¿Quieres pagarla ahora?", NEXT_STEPS)], {}


def _bills(count: int) -> str:
    return "1 factura vencida" if count == 1 else f"{count} facturas vencidas"


def owed_detail(b: records.Balance, today: dt.date) -> str:
    """What of a balance is overdue and what merely unpaid, as the records stand on ``today``:
    ``: $ 560.200 de 2 facturas vencidas y $ 261.455 de la factura que vence el 12 de diciembre``."""
    if not b.overdue_bills:
        return f", de la factura que vence el {day(b.next_due_date, today)}" if b.next_due_date else ""
    if b.overdue_bills == b.unpaid_bills:
        return f" en {_bills(b.overdue_bills)}"
    pending = b.amount_due - b.overdue_amount
    upcoming = f"que vence el {day(b.next_due_date, today)}" if b.next_due_date else "aún no vencida"
    rest = b.unpaid_bills - b.overdue_bills
    later = f"de la factura {upcoming}" if rest == 1 else f"de {rest} facturas, la próxima {upcoming}"
    return f": {money(b.overdue_amount)} de {_bills(b.overdue_bills)} y {money(pending)} {later}"


@journey("high_bill_inquiry")
def high_bill_inquiry(session: Session, ctx: JourneyContext) -> Outcome:
    """Explains the latest bill against the previous months and the same month a year ago."""
    history = records.bills(session, ctx.account, 13)
    if len(history) < 2:
        return [Reply("Aún no tengo suficientes facturas tuyas para comparar. ¿Quieres poner un reclamo para que lo revisemos?",
                      [("Poner un reclamo", "/file_complaint"), ("No, gracias", "/deny")])], {}
    latest, previous = history[-1], history[-7:-1]
    average = Decimal(str(mean(float(b.kwh) for b in previous)))
    change = (latest.kwh - average) / average * 100 if average else Decimal("0")
    year_ago = next((b for b in history if b.period == dt.date(latest.period.year - 1, latest.period.month, 1)), None)
    lines = [
        f"Tu factura de {month(latest.period)} es de {money(latest.total)} por {kwh(latest.kwh)}. "
        f"Tu promedio de los 6 meses anteriores fue {kwh(average)}"
        + (f" ({change:+.0f} %)." if abs(change) >= 5 else ", parecido.")
    ]
    explained = False
    if latest.reading_type == m.ReadingType.estimated:
        explained = True
        lines.append(
            "La lectura de este mes fue ESTIMADA (no pudimos leer el medidor), así que el consumo puede estar por encima "
            "del real. Si nos envías la lectura de tu medidor, ajustamos la factura."
        )
    before = history[-2]
    if latest.tariff.energy_rate > before.tariff.energy_rate:
        explained = explained or change < 10
        lines.append(
            f"Además, la tarifa subió de {money(before.tariff.energy_rate)} a {money(latest.tariff.energy_rate)} por kWh "
            f"desde el {day(latest.tariff.valid_from, ctx.today)}."
        )
    if year_ago is not None:
        lines.append(f"En {month(year_ago.period)} consumiste {kwh(year_ago.kwh)}.")
    if not explained and change >= 15:
        lines.append(
            "Consumiste más que de costumbre y la lectura fue real. Revisa si hubo visitas, un electrodoméstico nuevo o "
            "uno dañado (una nevera con el empaque roto gasta mucho). Si crees que hay un error, pon un reclamo y lo revisamos."
        )
    elif not explained:
        explained = True
        lines.append("El valor está dentro de lo normal para tu consumo.")
    buttons = [("Enviar lectura del medidor", "/report_meter_reading")] if latest.reading_type == m.ReadingType.estimated else []
    buttons += [("Poner un reclamo", "/file_complaint"), ("Consejos de ahorro", "/energy_saving_tips")]
    return [Reply(" ".join(lines), buttons)], {}


MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")
MONTH_NAMED = re.compile(r"\b(" + "|".join(MONTHS) + r"|setiembre)\b")


def bill_named(bills: List[m.Bill], text: str) -> Optional[m.Bill]:
    """The bill of the month a customer names ("la de septiembre"): the latest bill of that month."""
    named = MONTH_NAMED.search(fold(text or ""))
    if not named:
        return None
    number = MONTHS.index("septiembre" if named.group(1) == "setiembre" else named.group(1)) + 1
    return next((b for b in reversed(bills) if b.period.month == number), None)


def bill_state(bill: m.Bill, today: dt.date) -> str:
    """``pagada el …``, ``venció el …`` or ``vence el …``: never a past due date told as a future one."""
    if bill.status == m.BillStatus.paid:
        return f"pagada el {day(bill.paid_on, today)}" if bill.paid_on else "pagada"
    verb = "venció" if bill.due_date < today else "vence"
    return f"{verb} el {day(bill.due_date, today)}"


@journey("request_bill_copy")
def request_bill_copy(session: Session, ctx: JourneyContext) -> Outcome:
    recent = records.bills(session, ctx.account, 12)
    if not recent:
        return [Reply("Todavía no hay facturas emitidas para esta cuenta.")], {}
    said = ctx.tracker.get_slot("journey_text") or ""
    named, asked = bill_named(recent, said), MONTH_NAMED.search(fold(said))
    bill = named or recent[-1]
    note = (f"No encuentro una factura de {asked.group(1)} en los últimos 12 meses; esta es la más reciente. "
            if asked and named is None else "")
    url = links().url("bills", bill.id, "pdf")
    text = (
        f"{note}Aquí tienes la copia de tu factura de {month(bill.period)}: {money(bill.total)}, "
        f"{bill_state(bill, ctx.today)}. El enlace funciona durante 24 horas."
    )
    return [Reply(text, attachment=url), Reply("¿Te ayudo con algo más?", [("Pagar", "/pay_bill"), ("Nada más", "/thank")])], {}


@journey("pay_bill")
def pay_bill(session: Session, ctx: JourneyContext) -> Outcome:
    b = records.balance(session, ctx.account, ctx.today)
    latest = records.bills(session, ctx.account, 1)
    places = (
        "También puedes pagar en bancos (Bancolombia, Davivienda, Banco de Bogotá), en corresponsales y "
        "puntos Efecty o Baloto, o en nuestras oficinas, con tu número de cuenta."
    )
    if b.amount_due <= 0 or not latest:
        return [Reply(f"Tu cuenta {ctx.account.account_number} está al día: no tienes nada por pagar. {places}")], {}
    reference = records.payment_reference(latest[0])
    url = settings().payment_url_template.format(reference=reference)
    text = (
        f"Puedes pagar {money(b.amount_due)} en línea con PSE o tarjeta aquí: {url} "
        f"(referencia {reference}). {places} El pago en línea se refleja en minutos; en bancos, hasta 48 horas."
    )
    return [Reply(text, [("Ya pagué", "/report_payment"), ("Acuerdo de pago", "/payment_arrangement")])], {}


@journey("consumption_history")
def consumption_history(session: Session, ctx: JourneyContext) -> Outcome:
    months = records.bills(session, ctx.account, 12)
    if not months:
        return [Reply("Todavía no hay consumo facturado para esta cuenta.")], {}
    average = mean(float(b.kwh) for b in months)
    peak = max(months, key=lambda b: b.kwh)
    table = ", ".join(f"{short_month(b.period)}: {b.kwh:.0f}" for b in months)
    text = (
        f"Tu consumo de los últimos {len(months)} meses (kWh): {table}. "
        f"Promedio: {kwh(average)}; el mes más alto fue {month(peak.period)} con {kwh(peak.kwh)}."
    )
    chart = links().url("charts", ctx.account.account_number, "png")
    return [Reply(text, image=chart), Reply("¿Quieres consejos para ahorrar energía?",
                                            [("Sí, consejos", "/energy_saving_tips"), ("No, gracias", "/thank")])], {}
