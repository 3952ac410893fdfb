"""Conversation repair: suggestions when unsure, and switching between one's supplies."""
from __future__ import annotations

import re
from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import sender_phone, with_records
from actions.identity import phone_accounts, report_without_account, supply_named
from actions.information import ActionOfficeInfo, ActionTariffInfo
from actions.journeys import PUBLIC_ANSWERS
from actions.outages import MEDICAL, MEDICAL_NOTE
from actions.replies import Reply, send_all
from actions.safety import GuardedAction
from bot import records
from bot.formatting import mask_address
from bot.text import fold

# How each intent reads on a suggestion button.
INTENT_LABELS = {
    "check_balance": "Consultar mi saldo", "high_bill_inquiry": "Por qué mi factura vino alta",
    "request_bill_copy": "Copia de mi factura", "pay_bill": "Cómo pagar", "report_payment": "Reportar un pago",
    "payment_arrangement": "Acuerdo de pago", "consumption_history": "Mi consumo",
    "report_outage": "No tengo luz", "outage_status": "Cuándo vuelve la luz", "planned_outages": "Cortes programados",
    "report_hazard": "Reportar un peligro", "report_power_quality": "Bajones de voltaje",
    "file_complaint": "Poner un reclamo", "complaint_status": "Estado de mi reclamo",
    "new_connection": "Conexión nueva", "change_owner": "Cambio de titular", "report_meter_reading": "Enviar lectura",
    "reconnection": "Reconexión", "update_contact": "Actualizar mis datos", "subscribe_alerts": "Recibir avisos",
    "unsubscribe_alerts": "No recibir más avisos", "enroll_ebill": "Factura digital",
    "distributed_generation": "Paneles solares", "office_info": "Oficinas y horarios", "tariff_info": "Tarifas",
    "energy_saving_tips": "Consejos de ahorro", "request_agent": "Hablar con un asesor", "help": "Ver el menú",
}


class ActionAskAffirmation(GuardedAction):
    """First stage of the fallback: 'did you mean...?' with the likeliest journeys as buttons."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if (tracker.latest_message.get("metadata") or {}).get("media"):
            Reply("Recibí tu imagen, pero por ahora no puedo verla. Cuéntame con palabras en qué te ayudo; si es "
                  "para un reclamo, envíala mientras lo ponemos y la adjunto.",
                  [("Poner un reclamo", "/file_complaint"), ("Ver el menú", "/help")]).send(dispatcher)
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        likely = [r["name"] for r in ranking if r.get("name") in INTENT_LABELS][:3]
        # "Otra cosa" is out_of_scope: the two-stage fallback then asks to rephrase.
        buttons = [(INTENT_LABELS[name], f"/{name}") for name in likely] + [("Otra cosa", "/out_of_scope")]
        Reply("No estoy segura de haberte entendido. ¿Te refieres a alguna de estas opciones?", buttons).send(dispatcher)
        return []


# Information a customer may ask again about something else ("¿y para un local comercial?").
FOLLOW_UPS = {"tariff_info": ActionTariffInfo, "office_info": ActionOfficeInfo}


def offered_street_report(tracker: Tracker) -> bool:
    """Luz's last words before this message offered someone without an account the report at a street or zone."""
    said = [e for e in tracker.events if e.get("event") in ("user", "bot")]
    before = said[:-1] if said and said[-1].get("event") == "user" else said
    last = next((e for e in reversed(before) if e.get("event") == "bot"), None)
    return last is not None and (last.get("text") or "").startswith(report_without_account().text[:60])


def previous_intent(tracker: Tracker) -> Optional[str]:
    """The intent of the customer's message before the latest one."""
    said = [e for e in tracker.events if e.get("event") == "user"]
    return ((said[-2].get("parse_data") or {}).get("intent") or {}).get("name") if len(said) >= 2 else None


class ActionSwitchAccount(GuardedAction):
    """A customer gives an account number out of context: switch to it when it is theirs."""

    def name(self) -> str:
        return "action_switch_account"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        number = next(tracker.get_latest_entity_values("account_number"), None) or supply_named(
            tracker.latest_message.get("text") or "", phone_accounts(tracker), tracker.get_slot("account_number"))
        complaint = re.search(r"\bRC-?\d{7}\b", tracker.latest_message.get("text") or "", re.IGNORECASE)
        if not number and complaint:  # "y el RC-0000286?": how that complaint is going
            ticket = complaint.group(0).upper().replace("RC", "RC-").replace("--", "-")
            Reply(f"¿Quieres saber cómo va el reclamo {ticket}?",
                  [("Sí, ver cómo va", f'/complaint_status{{"ticket_id": "{ticket}"}}'), ("Ver opciones", "/help")]).send(dispatcher)
            return []
        follow_up = FOLLOW_UPS.get(previous_intent(tracker) or "")
        if not number and follow_up and fold(tracker.latest_message.get("text") or "").lstrip("¿ ").startswith("y "):
            return await follow_up().act(dispatcher, tracker, domain)  # "¿y para un local comercial?"
        if not number and offered_street_report(tracker):  # the address asked for just before: reported there
            said, phone = tracker.latest_message.get("text") or "", sender_phone(tracker)
            channel = tracker.get_latest_input_channel() or "rest"
            replies = await with_records(lambda session: PUBLIC_ANSWERS["report_outage"](
                session, f"no hay luz en {said}", phone, channel))
            if replies:
                send_all(dispatcher, replies)
                return []
        if not number:
            Reply("Gracias por el dato. ¿Qué quieres hacer con él? Por ejemplo, consultar tu saldo o revisar un reclamo.",
                  [("Consultar mi saldo", "/check_balance"), ("Ver opciones", "/help")]).send(dispatcher)
            return []
        phone = sender_phone(tracker)

        def check(session):
            account = records.account_by_number(session, number)
            if account is None:  # answered like an account of someone else: the answer tells no number exists
                return False, ""
            return records.phone_owns_account(session, phone, account), mask_address(account.address)

        owns, address = await with_records(check)
        if owns:
            Reply(f"Listo, ahora hablamos de la cuenta {number} ({address}). ¿Qué quieres consultar?",
                  [("Saldo", "/check_balance"), ("Consumo", "/consumption_history"), ("Ver opciones", "/help")]).send(dispatcher)
            return [SlotSet("account_number", number), SlotSet("account_verified", True)]
        Reply(f"Anoté la cuenta {number}. Como no está registrada con tu número, te pediré un dato de verificación "
              "cuando consultes algo de ella. ¿Qué quieres consultar?",
              [("Saldo", "/check_balance"), ("Ver opciones", "/help")]).send(dispatcher)
        return [SlotSet("account_number", None), SlotSet("account_verified", False)]


class ActionOutOfScope(GuardedAction):
    """Something outside the service: say so and offer the menu; the second time in a row, a person."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        said = [e for e in tracker.events if e.get("event") == "user"][-2:]
        intents = [((e.get("parse_data") or {}).get("intent") or {}).get("name") for e in said]
        if MEDICAL.search(fold(tracker.latest_message.get("text") or "")):  # "tengo a mi papá con oxígeno"
            Reply(MEDICAL_NOTE, [("Hablar con un asesor", "/request_agent"), ("No tengo luz", "/report_outage")]).send(dispatcher)
        elif len(intents) == 2 and intents[0] in ("out_of_scope", "nlu_fallback"):
            Reply("Sigo sin poder ayudarte con eso. ¿Quieres que te comunique con una persona de nuestro equipo?",
                  [("Hablar con un asesor", "/request_agent"), ("Ver opciones", "/help")]).send(dispatcher)
        else:
            Reply("Eso se sale de lo que sé hacer: solo te puedo ayudar con tu servicio de energía (facturas, cortes, "
                  "reclamos y trámites). ¿Te muestro las opciones?", [("Ver opciones", "/help")]).send(dispatcher)
        return []
