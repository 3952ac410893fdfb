"""Payment journeys: a payment reported for reconciliation, a payment arrangement in instalments, and
reconnection of a supply suspended for non-payment (scheduled once paid, otherwise what is owed).

What is owed, how to pay and the bill itself are in billing.py; these journeys act on a payment.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.context import today, with_records
from actions.journeys import JourneyContext, Outcome, asks_for_another_journey, journey
from actions.replies import Reply
from actions.safety import GuardedAction, GuardedFormValidation
from bot import cases, records
from bot.db import models as m
from bot.formatting import decimal_es, money
from bot.text import fold

ARRANGEMENT_MINIMUM = Decimal("50000")
DOWN_PAYMENT_SHARE = Decimal("0.10")
MONTHLY_RATE = {3: Decimal("0"), 6: Decimal("0.012"), 12: Decimal("0.012")}


def parse_amount(text: str) -> Optional[Decimal]:
    """``$ 84.350``, ``84350``, ``84.350,50``, ``84 mil`` -> Decimal pesos, or None."""
    plain = text.lower().replace("$", "").replace("pesos", "").strip()
    thousands = re.search(r"(\d+(?:[.,]\d+)?)\s*(mil|k)\b", plain)
    if thousands:
        return Decimal(thousands.group(1).replace(",", ".")) * 1000
    match = re.search(r"\d[\d.,]*", plain)
    if not match:
        return None
    number = match.group(0).rstrip(".,")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d{1,2})?", number):
        number = number.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d{1,2})?", number):
        number = number.replace(",", "")
    else:
        number = number.replace(",", ".")
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


def instalment(amount: Decimal, months: int) -> Decimal:
    """Fixed monthly instalment (French amortisation) of ``amount`` over ``months``."""
    rate = MONTHLY_RATE[months]
    value = amount / months if rate == 0 else amount * rate / (1 - (1 + rate) ** -months)
    return value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


# --- reconnection ---------------------------------------------------------------------------

@journey("reconnection")
def reconnection(session: Session, ctx: JourneyContext) -> Outcome:
    account = ctx.account
    if account.status != m.AccountStatus.suspended:
        return [Reply(f"Tu servicio de la cuenta {account.account_number} está activo, no tiene suspensión. "
                      "Si no tienes luz, puede ser una falla: repórtala y la atendemos.",
                      [("Reportar que no tengo luz", "/report_outage")])], {}
    balance = records.balance(session, account, ctx.today)
    reported = sum((p.amount for p in records.reported_payments(session, account)), Decimal("0"))
    arrangement = records.open_requests(session, account, "payment_arrangement")
    if arrangement and balance.amount_due - reported > 0:
        down = Decimal(str((arrangement[0].details or {}).get("down_payment", "0")))
        return [Reply(f"Tu acuerdo de pago {arrangement[0].ticket} está en estudio (te respondemos en máximo 2 días "
                      f"hábiles). Cuando se apruebe y pagues la cuota inicial de {money(down)}, programamos la "
                      "reconexión dentro de 24 horas hábiles.",
                      [("Ya pagué", "/report_payment"), ("Cómo pagar", "/pay_bill")])], {}
    if balance.amount_due - reported > 0:
        return [Reply(f"Para reconectar tu servicio hay que pagar {money(balance.amount_due - reported)} pendientes "
                      f"({balance.unpaid_bills} facturas). Apenas se registre el pago, programamos la reconexión "
                      "dentro de 24 horas hábiles.",
                      [("Cómo pagar", "/pay_bill"), ("Ya pagué", "/report_payment"), ("Acuerdo de pago", "/payment_arrangement")])], {}
    existing = records.open_requests(session, account, "reconnection")
    request = existing[0] if existing else cases.request_service(session, kind="reconnection", channel=ctx.channel, account=account)
    return [Reply(f"Tu pago está registrado. La reconexión quedó programada con la solicitud {request.ticket}: "
                  "una cuadrilla la hará dentro de las próximas 24 horas hábiles. No hace falta que estés en casa "
                  "si el medidor está por fuera.")], {"last_ticket": request.ticket}


# --- reported payment -----------------------------------------------------------------------

# Where people pay, as they write it in one message with the rest ("ya pagué ayer en el banco 821655").
PAYMENT_PLACE = re.compile(
    r"\b(?:en (?:el |un |una |la )?(?:banco|corresponsal|supermercado|tienda|oficina|cajero|efecty|baloto|oxxo|"
    r"pago ?facil|rapipago|servipag|bancolombia|davivienda|linea)|por (?:nequi|daviplata|yape|plin|pse|internet|"
    r"la app|transferencia|mercado ?pago)|con (?:tarjeta|nequi|daviplata|yape|pse))\b")


@journey("report_payment")
def start_payment_report(session: Session, ctx: JourneyContext) -> Outcome:
    """The form asks only what the first message did not say: one amount of 4 or more digits, a place."""
    text = ctx.tracker.get_slot("journey_text") or ""
    slots: Dict[str, object] = {}
    numbers = re.findall(r"\d[\d.,]*\d|\d", text)
    if len(numbers) == 1 and len(re.sub(r"\D", "", numbers[0])) >= 4:
        amount = parse_amount(numbers[0])
        if amount is not None and 0 < amount <= Decimal("100000000"):
            slots["payment_amount"] = str(amount)
    place = PAYMENT_PLACE.search(fold(text))
    if place:
        slots["payment_place"] = place.group(0)
    return [], slots


# Where someone paid reads like these ("por nequi", "en el banco"): never taken for another request.
PAYMENT_ANSWERS = ("pay_bill", "report_payment", "check_balance", "office_info")


class ValidatePaymentReportForm(GuardedFormValidation):
    failure_slot = "payment_report_failed"

    def name(self) -> str:
        return "validate_payment_report_form"

    async def validate_payment_amount(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        amount = parse_amount(str(value or "")[:100])
        if amount is None and asks_for_another_journey(tracker, answers=PAYMENT_ANSWERS):
            return await self.detour("payment_amount", dispatcher, tracker, domain)  # "mándame copia de la factura"
        if amount is None or amount <= 0 or amount > Decimal("100000000"):
            dispatcher.utter_message(text="No reconocí el valor.")  # the form asks again, once
            return {"payment_amount": None}
        return {"payment_amount": str(amount)}

    async def validate_payment_place(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        place = str(value or "").strip()[:60]
        if len(place) < 2:
            dispatcher.utter_message(text="Dime el lugar: por ejemplo en línea, en el banco o en un corresponsal.")
            return {"payment_place": None}  # the form asks "¿Dónde pagaste?" again, once
        if asks_for_another_journey(tracker, answers=PAYMENT_ANSWERS):  # "muéstrame mi consumo" is not where they paid
            dispatcher.utter_message(text="Primero terminemos de registrar tu pago (por ejemplo: en línea, en el banco o en "
                                          "un corresponsal). Si prefieres dejarlo, escribe «cancelar» y te ayudo con lo otro.")
            return {"payment_place": None}
        return {"payment_place": place}


class ActionSubmitPaymentReport(GuardedAction):
    def name(self) -> str:
        return "action_submit_payment_report"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        clear = [SlotSet("payment_amount", None), SlotSet("payment_place", None), SlotSet("payment_report_failed", None)]
        amount, place = tracker.get_slot("payment_amount"), tracker.get_slot("payment_place")
        if not amount or not place or not tracker.get_slot("account_verified"):
            return clear
        number, channel = tracker.get_slot("account_number"), tracker.get_latest_input_channel() or "rest"

        def save(session: Session):
            account = records.verified_account(session, number)
            payment = cases.record_reported_payment(session, account=account, amount=Decimal(amount), place=place, channel=channel)
            return payment.reference, account.status == m.AccountStatus.suspended

        reference, suspended = await with_records(save)
        extra = " Apenas se confirme, programamos la reconexión de tu servicio." if suspended else ""
        Reply(f"Registré tu pago de {money(Decimal(amount))} ({place}) con la referencia {reference}. "
              f"Lo confirmamos con la entidad de pago en máximo 48 horas hábiles; no tienes que hacer nada más.{extra} "
              "Guarda tu comprobante por si lo necesitamos.").send(dispatcher)
        return clear + [SlotSet("last_ticket", reference)]


# --- payment arrangement --------------------------------------------------------------------

@journey("payment_arrangement")
def payment_arrangement(session: Session, ctx: JourneyContext) -> Outcome:
    balance = records.balance(session, ctx.account, ctx.today)
    if balance.amount_due < ARRANGEMENT_MINIMUM:
        text = ("No tienes deuda pendiente, así que no necesitas un acuerdo de pago." if balance.amount_due <= 0 else
                f"Tu saldo es {money(balance.amount_due)}; los acuerdos de pago son para deudas desde {money(ARRANGEMENT_MINIMUM)}. "
                "Puedes pagarlo de una vez en línea o en puntos de pago.")
        return [Reply(text, [("Cómo pagar", "/pay_bill")])], {"arrangement_offer": None}
    if records.open_requests(session, ctx.account, "payment_arrangement"):
        return [Reply("Ya tienes una solicitud de acuerdo de pago en estudio. Te contactaremos en máximo 2 días hábiles.")], {
            "arrangement_offer": None}
    down = (balance.amount_due * DOWN_PAYMENT_SHARE).quantize(Decimal("1"))
    rest = balance.amount_due - down
    options = [(months, instalment(rest, months)) for months in (3, 6, 12)]
    lines = "; ".join(
        f"{months} cuotas de {money(value)}" + (" sin intereses" if MONTHLY_RATE[months] == 0 else f" (interés {decimal_es(MONTHLY_RATE[months] * 100)} % mensual)")
        for months, value in options
    )
    text = (f"Puedes pagar tu deuda de {money(balance.amount_due)} en cuotas, que se suman a tus próximas facturas. "
            f"Pagas una cuota inicial de {money(down)} y el resto en: {lines}.")
    offer = [[months, money(value)] for months, value in options]
    return [Reply(text)], {"arrangement_offer": offer}


class ActionAskArrangementMonths(GuardedAction):
    """The instalment options offered by the journey, as buttons; none when it offered none (no debt,
    or a request already in study): the form then ends without asking, and the journey has said why."""

    def name(self) -> str:
        return "action_ask_arrangement_months"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        offer = tracker.get_slot("arrangement_offer")
        if not offer:
            return [SlotSet("requested_slot", None)]
        buttons = [(f"{months} cuotas de {value}" if value else f"{months} cuotas", str(months)) for months, value in offer]
        Reply("¿Cuántas cuotas prefieres? (escribe «cancelar» si no quieres el acuerdo)", buttons).send(dispatcher)
        return []


class ValidateArrangementForm(GuardedFormValidation):
    failure_slot = "arrangement_failed"

    def name(self) -> str:
        return "validate_arrangement_form"

    async def validate_arrangement_months(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        match = re.search(r"\b(3|6|12|tres|seis|doce)\b", str(value or "").lower()[:100])
        if not match:
            dispatcher.utter_message(text="Elige 3, 6 o 12 cuotas (o escribe «cancelar» si prefieres no hacer el acuerdo).")
            return {"arrangement_months": None}
        months = {"tres": "3", "seis": "6", "doce": "12"}.get(match.group(1), match.group(1))
        return {"arrangement_months": months}


class ActionSubmitArrangement(GuardedAction):
    def name(self) -> str:
        return "action_submit_arrangement"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        clear = [SlotSet("arrangement_months", None), SlotSet("arrangement_failed", None), SlotSet("arrangement_offer", None)]
        months = tracker.get_slot("arrangement_months")
        if not months or not tracker.get_slot("account_verified"):
            return clear
        number, channel = tracker.get_slot("account_number"), tracker.get_latest_input_channel() or "rest"

        def save(session: Session):
            account = records.verified_account(session, number)
            balance = records.balance(session, account, today())
            down = (balance.amount_due * DOWN_PAYMENT_SHARE).quantize(Decimal("1"))
            monthly = instalment(balance.amount_due - down, int(months))
            request = cases.request_service(session, kind="payment_arrangement", channel=channel, account=account, details={
                "debt": str(balance.amount_due), "down_payment": str(down), "months": int(months), "instalment": str(monthly)})
            return request.ticket, down, monthly, account.status == m.AccountStatus.suspended

        ticket, down, monthly, suspended = await with_records(save)
        then = "programamos la reconexión de tu servicio" if suspended else "se evita la suspensión"
        Reply(f"Listo, solicité tu acuerdo de pago: cuota inicial de {money(down)} y {months} cuotas de {money(monthly)}. "
              f"Número de solicitud: {ticket}. Te confirmamos la aprobación en máximo 2 días hábiles y, al pagar la cuota "
              f"inicial, {then}.").send(dispatcher)
        return clear + [SlotSet("last_ticket", ticket)]
