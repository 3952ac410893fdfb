"""Procedures that are not payments: meter self-reading, contact data, alerts consent, e-billing, new
connections and change of owner. Reported payments, arrangements and reconnection are in payments.py."""
from __future__ import annotations

import re
from decimal import Decimal
from statistics import mean
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.context import sender_phone, settings, with_records
from actions.identity import extract_account_number
from actions.journeys import JourneyContext, Outcome, asks_for_another_journey, journey
from actions.replies import Reply
from actions.safety import GuardedAction, GuardedFormValidation
from bot import cases, clock, contact_codes, records
from bot.concepts import PATTERNS
from bot.db import models as m
from bot.formatting import kwh
from bot.phones import to_e164
from bot.text import fold

EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
PLACE = PATTERNS["place"]  # what an address reads like (new connections)


# --- meter self-reading ---------------------------------------------------------------------

@journey("report_meter_reading")
def start_meter_reading(session: Session, ctx: JourneyContext) -> Outcome:
    return [], {}


class ValidateMeterReadingForm(GuardedFormValidation):
    """A reading is a whole number of kWh, not below the last one and without an absurd jump."""

    failure_slot = "meter_reading_failed"

    def name(self) -> str:
        return "validate_meter_reading_form"

    async def validate_meter_reading(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        digits = re.findall(r"\d+", str(value or "")[:100].replace(".", ""))
        if digits and len(digits[0]) > 7:
            dispatcher.utter_message(text=f"{digits[0]} tiene demasiadas cifras para un medidor (marcan hasta 7). Escríbeme "
                                          "solo los números negros, sin decimales. Ejemplo: 12345.")
            return {"meter_reading": None}
        if not digits and asks_for_another_journey(tracker):
            return await self.detour("meter_reading", dispatcher, tracker, domain)
        if not digits:
            dispatcher.utter_message(text="Escríbeme solo los números negros que marca el medidor, sin decimales. Ejemplo: 12345.")
            return {"meter_reading": None}
        reading = Decimal(digits[0])
        number = tracker.get_slot("account_number")

        def bounds(session: Session):
            account = records.verified_account(session, number)
            last = records.last_reading(session, account, measured_only=True)
            recent = records.bills(session, account, 6)
            monthly = Decimal(str(mean(float(b.kwh) for b in recent))) if recent else Decimal("500")
            return (last.value_kwh if last else Decimal("0")), monthly

        last, monthly = await with_records(bounds)
        if reading < last:
            dispatcher.utter_message(text=f"Esa lectura es menor que la última registrada ({last:.0f}). Revisa el número del medidor y escríbelo de nuevo.")
            return {"meter_reading": None}
        if reading - last > monthly * 6:
            dispatcher.utter_message(text=f"Esa lectura implicaría un consumo de {kwh(reading - last)}, muy por encima de lo normal para tu casa. "
                                          "Revisa el número y escríbelo de nuevo.")
            return {"meter_reading": None}
        return {"meter_reading": str(reading)}


class ActionSubmitMeterReading(GuardedAction):
    def name(self) -> str:
        return "action_submit_meter_reading"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        clear = [SlotSet("meter_reading", None), SlotSet("meter_reading_failed", None)]
        reading, number = tracker.get_slot("meter_reading"), tracker.get_slot("account_number")
        if not reading or not tracker.get_slot("account_verified"):
            return clear

        def save(session: Session) -> Decimal:
            account = records.verified_account(session, number)
            last = records.last_reading(session, account, measured_only=True)
            session.add(m.MeterReading(account_id=account.id, read_at=m.utcnow(), value_kwh=Decimal(reading),
                                       reading_type=m.ReadingType.customer))
            return Decimal(reading) - (last.value_kwh if last else Decimal("0"))

        used = await with_records(save)
        Reply(f"Gracias, registré la lectura {reading} de tu medidor: son {kwh(used)} desde la última lectura. "
              "La usaremos en tu próxima factura en lugar de una estimación.").send(dispatcher)
        return clear


# --- contact data, alerts and e-billing -----------------------------------------------------

def contact_change_refused() -> Reply:
    return Reply("Por seguridad, los datos de contacto se cambian con un código que enviamos a un celular o chat ya "
                 "registrado en la cuenta, y esta cuenta no tiene ninguno donde enviarlo. Una persona de nuestro equipo "
                 f"te ayuda (llámanos al {settings().agent_phone}).",
                 [("Hablar con un asesor", "/request_agent")])


def contact_code_failed(why: str) -> Reply:
    return Reply(f"{why} Por seguridad no cambié nada. Si quieres, empieza de nuevo y te envío otro código.",
                 [("Cambiar mis datos de contacto", "/update_contact"), ("Hablar con un asesor", "/request_agent")])


@journey("update_contact")
def start_update_contact(session: Session, ctx: JourneyContext) -> Outcome:
    """Someone who could not receive the code is told so before being asked for the new data."""
    if contact_codes.destination(session, ctx.account.customer) is None:
        return [contact_change_refused()], {"contact_failed": True}
    return [], {}


class ValidateContactForm(GuardedFormValidation):
    """The new e-mail or mobile, then the code sent to a channel already on the account (bot/contact_codes.py)."""

    failure_slot = "contact_failed"

    def name(self) -> str:
        return "validate_contact_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        if tracker.get_slot(self.failure_slot):  # refused when the journey started: the form ends unasked
            return self._ended_early(domain)
        return await super().run(dispatcher, tracker, domain)

    async def validate_contact_value(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        text = str(value or "").strip()[:160]
        new_value: Optional[str] = None
        email = next(tracker.get_latest_entity_values("email"), None) or next(
            (word for word in text.split() if "@" in word), None)
        if email:
            email = email.strip(".,;").lower()
            if not EMAIL.match(email):
                dispatcher.utter_message(text="Ese correo no parece válido. Escríbelo completo, por ejemplo nombre@gmail.com.")
                return {"contact_value": None}
            new_value = email
        else:
            new_value = to_e164(text, settings().default_region)
        if not new_value:
            dispatcher.utter_message(text="Escríbeme el nuevo correo electrónico o el nuevo número de celular "
                                          "(o «cancelar» si no quieres cambiar nada).")
            return {"contact_value": None}
        number, conversation = tracker.get_slot("account_number"), tracker.sender_id

        def send_code(session: Session) -> Optional[str]:
            account = records.verified_account(session, number)
            return contact_codes.issue(session, settings(), account, conversation, new_value, clock.now())

        sent_to = await with_records(send_code) if number and tracker.get_slot("account_verified") else None
        if sent_to is None:
            contact_change_refused().send(dispatcher)
            return {event["name"]: event["value"] for event in self._ended_early(domain)}
        minutes = int(contact_codes.CODE_LIFE.total_seconds() // 60)
        dispatcher.utter_message(text=f"Para confirmar que eres tú, te envié un código de 6 dígitos {sent_to}. "
                                      f"Vence en {minutes} minutos.")
        return {"contact_value": new_value}

    async def validate_contact_code(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        digits = re.sub(r"\D", "", str(value or ""))
        if len(digits) != 6:
            if asks_for_another_journey(tracker):
                return await self.detour("contact_code", dispatcher, tracker, domain)
            dispatcher.utter_message(text="El código son 6 números. Escríbelo tal como te llegó "
                                          "(o «cancelar» si no quieres cambiar nada).")
            return {"contact_code": None}
        number, conversation = tracker.get_slot("account_number"), tracker.sender_id

        def check(session: Session) -> contact_codes.Attempt:
            account = records.verified_account(session, number)
            return contact_codes.attempt(session, account, conversation, digits, clock.now())

        result = await with_records(check)
        if result.result == contact_codes.RIGHT:
            return {"contact_code": "confirmado"}
        if result.result == contact_codes.WRONG:
            left = f"Te queda {result.tries_left} intento" if result.tries_left == 1 else f"Te quedan {result.tries_left} intentos"
            dispatcher.utter_message(text=f"Ese código no coincide. {left}.")
            return {"contact_code": None}
        why = {contact_codes.LOCKED: "El código no coincide y ya no quedan intentos.",
               contact_codes.EXPIRED: "Ese código ya venció."}.get(result.result, "No tengo un código pendiente para ti.")
        contact_code_failed(why).send(dispatcher)
        return {event["name"]: event["value"] for event in self._ended_early(domain)}


class ActionSubmitContact(GuardedAction):
    def name(self) -> str:
        return "action_submit_contact"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        clear = [SlotSet("contact_value", None), SlotSet("contact_code", None), SlotSet("contact_failed", None)]
        value, number = tracker.get_slot("contact_value"), tracker.get_slot("account_number")
        if not value or not tracker.get_slot("account_verified"):
            return clear
        conversation = tracker.sender_id

        def save(session: Session) -> Optional[str]:
            account = records.verified_account(session, number)
            if not contact_codes.redeem(session, account, conversation, value, clock.now()):
                return None  # no code confirmed here for this change: slots alone prove nothing
            customer = account.customer
            if "@" in value:
                customer.email = value
                return "correo"
            if value not in {p.number for p in customer.phones}:
                session.add(m.Phone(customer_id=customer.id, number=value, is_mobile=True))
            return "celular"

        kind = await with_records(save)
        if kind is None:
            contact_code_failed("No pude confirmar el código de este cambio.").send(dispatcher)
            return clear
        Reply(f"Listo, actualicé tu {kind}: {value}. Desde ahora te escribiremos ahí.").send(dispatcher)
        return clear


def _set_consent(session: Session, ctx: JourneyContext, consent: bool) -> str:
    customer = ctx.account.customer
    customer.notifications_consent = consent
    request = cases.request_service(session, kind="alerts_consent", channel=ctx.channel, account=ctx.account,
                                    details={"consent": consent, "phone": ctx.phone})
    return request.ticket


@journey("subscribe_alerts")
def subscribe_alerts(session: Session, ctx: JourneyContext) -> Outcome:
    _set_consent(session, ctx, True)
    return [Reply("¡Listo! Te avisaremos de cortes programados y no programados en tu zona, de cuándo vuelve la luz y "
                  "de tus facturas antes de que venzan. Puedes darte de baja cuando quieras escribiendo «no quiero más avisos».")], {}


@journey("unsubscribe_alerts")
def unsubscribe_alerts(session: Session, ctx: JourneyContext) -> Outcome:
    _set_consent(session, ctx, False)
    return [Reply("Listo, ya no te enviaremos avisos. Solo te escribiremos cuando tú nos escribas o por una emergencia "
                  "que afecte tu seguridad. Si cambias de opinión, escribe «quiero recibir avisos».")], {}


@journey("enroll_ebill")
def enroll_ebill(session: Session, ctx: JourneyContext) -> Outcome:
    """An e-mail named in the request that is not the registered one is a contact change: offered, with its code."""
    customer = ctx.account.customer
    given = next((w.strip(".,;:()").lower() for w in (ctx.tracker.get_slot("journey_text") or "").split() if "@" in w), None)
    other = bool(given and EMAIL.match(given) and given != (customer.email or "").lower())
    change = [("Cambiar mi correo", "/update_contact")]
    if not customer.email:
        return [Reply("Para enviarte la factura digital necesito tu correo electrónico. ¿Lo registramos? Te enviaré un "
                      "código para confirmarlo.", [("Registrar mi correo", "/update_contact")])], {}
    after = [Reply(f"Para recibirla en {given} primero cambiamos tu correo registrado, confirmado con un código "
                   "que te envío.", change)] if other else []
    if ctx.account.e_billing:
        return [Reply(f"Ya recibes la factura digital de la cuenta {ctx.account.account_number} en tu correo "
                      f"{_mask_email(customer.email)}."), *after], {}
    ctx.account.e_billing = True
    cases.request_service(session, kind="e_billing", channel=ctx.channel, account=ctx.account, details={"email": customer.email})
    return [Reply(f"¡Hecho! Desde la próxima factura te llegará a {_mask_email(customer.email)} y dejaremos de enviarla en papel. "
                  "Gracias por ayudar al planeta 🌱"), *after], {}


def _mask_email(email: str) -> str:
    user, _, domain = email.partition("@")
    return f"{user[:2]}***@{domain}"


# --- new connection and change of owner (no account data revealed: no identification) -----

class ValidateConnectionForm(GuardedFormValidation):
    failure_slot = "connection_failed"

    def name(self) -> str:
        return "validate_connection_form"

    async def validate_connection_address(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        place = str(value or "").strip()[:200]
        # an address has a number or a kind of place ("Vereda El Rosal"); "mejor después" or an account number is none
        looks_like_one = (any(c.isdigit() for c in place) or PLACE.search(fold(place))) and not extract_account_number(place)
        if len(place) < 5 or not looks_like_one:
            dispatcher.utter_message(text="Necesito la dirección completa del predio (calle, número y barrio o vereda). "
                                          "Si no la tienes a mano, escribe «cancelar» y me escribes cuando la tengas.")
            return {"connection_address": None}
        return {"connection_address": place}

    async def validate_connection_use(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        text = str(value or "").lower()[:100]
        use = "comercial" if any(w in text for w in ("comerc", "negocio", "local", "tienda", "2")) else \
            "residencial" if any(w in text for w in ("resid", "casa", "vivienda", "hogar", "apartamento", "1")) else None
        if use is None:
            dispatcher.utter_message(text="¿El servicio es para vivienda o para un negocio?")
            return {"connection_use": None}
        return {"connection_use": use}


CONNECTION_NEEDS = ("Ten a mano: documento de identidad, certificado de tradición o contrato de arrendamiento, "
                    "y el certificado RETIE de la instalación interna.")


class ActionAskConnectionAddress(GuardedAction):
    """Asks where the new connection goes; first tells a request already under way from this phone, so a
    question about it ("¿cuánto cuesta?", "¿qué documentos?") does not file a second one by mistake."""

    def name(self) -> str:
        return "action_ask_connection_address"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        phone = sender_phone(tracker)
        pending = await with_records(lambda session: [
            (r.ticket, (r.details or {}).get("address")) for r in records.open_requests_of_phone(session, phone, "new_connection")
        ]) if phone else []
        if pending:
            ticket, address = pending[0]
            Reply(f"Ya tienes en curso la solicitud de conexión nueva {ticket} para «{address}»: un técnico visitará el "
                  f"predio en máximo 5 días hábiles para revisar la factibilidad y te dirá el costo. {CONNECTION_NEEDS} "
                  "Si es para otro predio, escríbeme su dirección; si no, escribe «cancelar».").send(dispatcher)
        else:
            Reply("Te ayudo con la conexión nueva. ¿Cuál es la dirección del predio (calle, número y barrio o vereda)?").send(dispatcher)
        return []


class ActionAskConnectionUse(GuardedAction):
    def name(self) -> str:
        return "action_ask_connection_use"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        Reply("¿Para qué uso es el servicio?", [("Vivienda", "residencial"), ("Negocio o comercio", "comercial")]).send(dispatcher)
        return []


class ActionSubmitConnection(GuardedAction):
    def name(self) -> str:
        return "action_submit_connection"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        clear = [SlotSet("connection_address", None), SlotSet("connection_use", None), SlotSet("connection_failed", None)]
        address, use = tracker.get_slot("connection_address"), tracker.get_slot("connection_use")
        if not address or not use:
            return clear
        phone, channel = sender_phone(tracker), tracker.get_latest_input_channel() or "rest"

        def save(session: Session) -> str:
            return cases.request_service(session, kind="new_connection", channel=channel,
                                         details={"address": address, "use": use, "phone": phone}).ticket

        ticket = await with_records(save)
        Reply(f"Radiqué tu solicitud de conexión nueva ({use}) para «{address}»: número {ticket}. "
              f"Un técnico visitará el predio en máximo 5 días hábiles para revisar la factibilidad. {CONNECTION_NEEDS}"
              ).send(dispatcher)
        return clear + [SlotSet("last_ticket", ticket)]


class ValidateChangeOwnerForm(GuardedFormValidation):
    failure_slot = "change_owner_failed"

    def name(self) -> str:
        return "validate_change_owner_form"

    async def validate_owner_account(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        number = extract_account_number(str(value or "")[:200])
        if number is None:
            dispatcher.utter_message(text="El número de cuenta tiene 9 dígitos y aparece en la factura. ¿Cuál es?")
            return {"owner_account": None}
        # Not checked against the records here: "no such account" would tell which numbers are accounts. The
        # request is filed for the number given; the documents it asks for settle it.
        return {"owner_account": number}

    async def validate_new_owner_name(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        # "Andrea Gómez Ruiz, cédula 52123456": the name is what comes before the document
        name = re.split(r"[,;(]|\b(?:c[eé]dula|cc|c\.c\.|dni|documento|identificaci[oó]n|rut|ine|nit)\b",
                        str(value or ""), maxsplit=1, flags=re.IGNORECASE)[0]
        name = " ".join(name.split())[:120]
        if len(name.split()) < 2 or any(ch.isdigit() for ch in name):
            dispatcher.utter_message(text="Escríbeme el nombre completo del nuevo titular (nombre y apellido).")
            return {"new_owner_name": None}
        return {"new_owner_name": name.title()}


class ActionSubmitChangeOwner(GuardedAction):
    def name(self) -> str:
        return "action_submit_change_owner"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        clear = [SlotSet("owner_account", None), SlotSet("new_owner_name", None), SlotSet("change_owner_failed", None)]
        number, name = tracker.get_slot("owner_account"), tracker.get_slot("new_owner_name")
        if not number or not name:
            return clear
        phone, channel = sender_phone(tracker), tracker.get_latest_input_channel() or "rest"

        def save(session: Session) -> str:
            account = records.account_by_number(session, number)  # None for a number that is no account
            return cases.request_service(session, kind="change_owner", channel=channel, account=account,
                                         details={"new_owner": name, "phone": phone, "account_number": number}).ticket

        ticket = await with_records(save)
        Reply(f"Radiqué el cambio de titular de la cuenta {number} a nombre de {name}: solicitud {ticket}. "
              "Para terminarlo, envía a cambiotitular@energiadelvalle.com.co la copia del documento de identidad del "
              "nuevo titular y el certificado de tradición (o la escritura o contrato de compraventa). "
              "Lo resolvemos en máximo 15 días hábiles.").send(dispatcher)
        return clear + [SlotSet("last_ticket", ticket)]
