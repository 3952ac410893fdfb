"""Billing journeys: what the customer owes and until when."""
from __future__ import annotations

from sqlalchemy.orm import Session

from actions.journeys import JourneyContext, Outcome, journey
from actions.replies import Reply
from bot import records
from bot.db import models as m
from bot.formatting import day, mask_address, money, month

NEXT_STEPS = [("Pagar", "/pay_bill"), ("Copia de la factura", "/request_bill_copy"), ("Nada más", "/thank")]


@journey("check_balance")
def check_balance(session: Session, ctx: JourneyContext) -> Outcome:
    account, today = ctx.account, ctx.today
    b = records.balance(session, account, today)
    first_name = account.customer.full_name.split()[0]
    where = f"cuenta {account.account_number} ({mask_address(account.address)})"
    if b.status == m.AccountStatus.suspended:
        text = (
            f"{first_name}, el servicio de tu {where} está suspendido por falta de pago. "
            f"Debes {money(b.amount_due)} en {b.unpaid_bills} facturas vencidas. "
            "Cuando pagues el total, programamos la reconexión (normalmente dentro de 24 horas hábiles)."
        )
        return [Reply(text, [("Cómo pagar", "/pay_bill"), ("Acuerdo de pago", "/payment_arrangement")])], {}
    if b.unpaid_bills == 0:
        paid = f", pagada el {day(b.latest_paid_on, today)}" if b.latest_paid_on else ""
        text = (
            f"¡Estás al día, {first_name}! Tu {where} no tiene saldo pendiente. "
            f"Tu última factura, de {month(b.latest_period)}, fue de {money(b.latest_total)}{paid}."
        )
        return [Reply(text, [("Historial de consumo", "/consumption_history"), ("Nada más", "/thank")])], {}
    if b.overdue_bills:
        text = (
            f"{first_name}, tu {where} tiene un saldo de {money(b.amount_due)}: "
            f"{b.unpaid_bills} facturas sin pagar, {b.overdue_bills} ya vencidas. "
            "Paga pronto para evitar la suspensión del servicio; si necesitas, podemos ofrecerte un acuerdo de pago."
        )
        return [Reply(text, [("Pagar", "/pay_bill"), ("Acuerdo de pago", "/payment_arrangement")])], {}
    text = (
        f"{first_name}, tu {where} tiene un saldo de {money(b.amount_due)}, "
        f"de la factura de {month(b.latest_period)}. Vence el {day(b.next_due_date, today)}."
    )
    return [Reply(text + " ¿Quieres pagarla ahora?", NEXT_STEPS)], {}
