"""Who is the customer, and may they see this account?

The privacy rule of every journey: account data goes only to its owner. The
owner is a sender whose phone is registered on the account, or someone who
gives the account number and the last 4 digits of the holder's national id.
Three failed attempts end the form with other ways to get help; an account, and a
sender, get only a few wrong answers a day across conversations, so the four digits
cannot be guessed by starting again.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import sender_phone, settings, with_records
from actions.journeys import PUBLIC_ANSWERS
from actions.replies import Reply, send_all
from actions.safety import GuardedAction, GuardedFormValidation
from bot import records
from bot.db import models as m
from bot.formatting import mask_address
from bot.text import fold

MAX_FAILURES = 3
GUESS_WINDOW = dt.timedelta(hours=24)
MAX_WRONG_PER_ACCOUNT = 5  # wrong second-factor answers per account (from anyone) in the window
MAX_WRONG_PER_SENDER = 10  # ...and per sender, over all accounts
ACCOUNT_DIGITS = 9
# The one answer to a wrong second factor, whether the digits are wrong or the account number does not exist.
WRONG_SECOND_FACTOR = ("Esos datos no coinciden con los del titular de la cuenta. Revisa los últimos 4 dígitos del "
                       "documento del titular y el número de cuenta de tu factura (9 dígitos), y escríbeme el que "
                       "quieras corregir.")
_DIGIT_RUN = re.compile(r"\d[\d .-]*\d|\d")


def extract_account_number(text: Optional[str]) -> Optional[str]:
    """The 9-digit account number inside a message (spaces and dashes allowed), if any."""
    for run in _DIGIT_RUN.findall(text or ""):
        digits = re.sub(r"\D", "", run)
        if len(digits) == ACCOUNT_DIGITS:
            return digits
    return None


def phone_accounts(tracker: Tracker) -> List[Dict[str, str]]:
    """The supplies registered to the sender's phone, as stored by ``action_start_journey``."""
    return tracker.get_slot("phone_accounts") or []


async def public_reply(tracker: Tracker, journey: Optional[str]) -> Optional[List[Reply]]:
    """The answer a journey gives without identification to this message, if it gives one."""
    public = PUBLIC_ANSWERS.get(journey or "")
    if public is None:
        return None
    text, phone, channel = tracker.latest_message.get("text") or "", sender_phone(tracker), tracker.get_latest_input_channel() or "rest"
    return await with_records(lambda session: public(session, text, phone, channel))


ORDINALS = {"primer": 0, "primero": 0, "primera": 0, "segundo": 1, "segunda": 1, "tercer": 2, "tercero": 2, "tercera": 2}


OTHER_SUPPLY = re.compile(r"\b(el otro|la otra|otro|otra) (suministro|cuenta|casa|apartamento|apto|local|medidor|predio)\b")


def supply_named(text: str, owned: List[Dict[str, str]], current: Optional[str] = None, by_place: bool = True) -> Optional[str]:
    """One of the sender's supplies named in words: by its street ("el de la calle 80", shown masked as
    "Calle 80 # ***"), as "the other one" when there are two, or (``by_place``, when answering the
    question of which) by its place in the list ("la segunda")."""
    said = fold(text or "")
    for supply in owned:
        street = fold(supply["address"].split("#")[0].replace("***", "")).strip()
        if street and re.search(rf"\b{re.escape(street)}\b", said):
            return supply["account_number"]
    others = [s["account_number"] for s in owned if s["account_number"] != current]
    if current and len(owned) == 2 and len(others) == 1 and OTHER_SUPPLY.search(said):
        return others[0]
    for word, index in ORDINALS.items():
        if by_place and re.search(rf"\b{word}\b", said) and index < len(owned):
            return owned[index]["account_number"]
    return None


class ActionStartJourney(GuardedAction):
    """Remembers which journey asked for identification and recognises the sender's phone."""

    def name(self) -> str:
        return "action_start_journey"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        journey = tracker.latest_message.get("intent", {}).get("name")
        events: List[EventType] = [
            SlotSet("journey", journey), SlotSet("identify_failures", 0), SlotSet("identify_failed", False),
            SlotSet("journey_text", (tracker.latest_message.get("text") or "")[:500]),
        ]
        replies = await public_reply(tracker, journey)
        if replies:  # answered as it is: no identification, and no journey left to run
            send_all(dispatcher, replies)
            return events + [SlotSet("journey", None), SlotSet("identify_failed", True)]
        text, current = tracker.latest_message.get("text"), tracker.get_slot("account_number")
        if journey in ANYONE_MAY_ASK and NO_ACCOUNT.search(fold(text or "")) and not extract_account_number(text):
            # "no soy el titular, solo quiero avisar que no hay luz en la cuadra": never asked for an account
            send_all(dispatcher, [report_without_account()])
            return events + [SlotSet("journey", None), SlotSet("identify_failed", True)]
        named = extract_account_number(text) or supply_named(text, phone_accounts(tracker), current, by_place=False)
        if named and named != current:
            # "el saldo de la cuenta 100200313": that account, checked by the identification form (the
            # sender's phone, or the second factor) before anything about it is said
            return events + [SlotSet("account_number", named), SlotSet("account_verified", False), SlotSet("id_last4", None)]
        if tracker.get_slot("account_verified") and tracker.get_slot("account_number"):
            return events
        phone = sender_phone(tracker)
        if not phone:
            return events
        known: str = phone

        def lookup(session) -> List[Dict[str, str]]:
            return [
                {"account_number": a.account_number, "address": mask_address(a.address)}
                for a in records.accounts_for_phone(session, known)
            ]

        owned = await with_records(lookup)
        events.append(SlotSet("phone_accounts", owned))
        if len(owned) == 1:
            events += [SlotSet("account_number", owned[0]["account_number"]), SlotSet("account_verified", True)]
        return events


class ActionAskAccountNumber(GuardedAction):
    """Asks for the account: a choice of the sender's own supplies, or the number from the bill."""

    def name(self) -> str:
        return "action_ask_account_number"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("identify_failed"):  # nothing to identify for (answered already): end the form
            return [SlotSet("requested_slot", None)]
        owned = phone_accounts(tracker)
        if len(owned) > 1:
            Reply(
                "Veo varios suministros registrados con tu número. ¿Sobre cuál me preguntas?",
                buttons=[
                    (f"{a['address']} ({a['account_number']})", a["account_number"]) for a in owned
                ],
            ).send(dispatcher)
        else:
            dispatcher.utter_message(
                text="Para ayudarte necesito tu número de cuenta: tiene 9 dígitos y aparece arriba en tu factura. ¿Cuál es?"
            )
        return []


class ActionAskIdLast4(GuardedAction):
    """The second factor, asked only when the phone is not registered on the account (or there is no phone)."""

    def name(self) -> str:
        return "action_ask_id_last4"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if sender_phone(tracker) is None:  # the website widget (a visitor session), Telegram without a shared phone
            dispatcher.utter_message(text="Por tu seguridad, dime los últimos 4 dígitos del documento de identidad "
                                          "del titular de esa cuenta.")
            return []
        dispatcher.utter_message(
            text="Por tu seguridad, como escribes desde un número que no está registrado en esa cuenta, "
            "dime los últimos 4 dígitos del documento de identidad del titular."
        )
        return []


# Someone who says they have no account or are not the holder (a tenant, a neighbour, a passer-by).
NO_ACCOUNT = re.compile(r"\b(?:no (?:soy|es) (?:el |la |yo )?(?:titular|duen[oa])|no tengo (?:la |el |mi |numero de )?"
                        r"(?:cuenta|numero|factura|recibo)|no (?:se|conozco) (?:el|mi) numero|soy (?:el |la )?(?:inquilin[oa]|"
                        r"arrendatari[oa]|vecin[oa])|no vivo (?:ahi|aqui)|(?:solo|nomas|nada mas) (?:quiero|queria) avisar|"
                        r"no soy (?:cliente|usuari[oa]|suscriptor)|(?:alquilo|arriendo|rento)\b|no es mi casa|"
                        r"(?:iba|voy|estoy|estaba|venia) pasando)")
ANYONE_MAY_ASK = ("report_outage", "outage_status")  # what anyone may report or ask at a street or zone


def report_without_account() -> Reply:
    return Reply("Sin problema, no necesitas ser el titular ni tener el número de cuenta. Escríbeme en un solo mensaje "
                 "la dirección o el barrio donde no hay luz, por ejemplo: «no hay luz en la Calle 45 # 12-30, Chapinero», "
                 "y lo registro.", [("Ver el menú", "/help")])


class ValidateIdentifyForm(GuardedFormValidation):
    """Checks the account number and, when the phone is not the owner's, the second factor."""

    reset_on_failure = {"journey": None}  # so no journey continues after a failed identification

    def name(self) -> str:
        return "validate_identify_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[str]:
        if tracker.get_slot("identify_failed"):
            return []
        if tracker.get_slot("account_number") and not tracker.get_slot("account_verified"):
            return ["account_number", "id_last4"]
        return ["account_number"]

    def _failure(self, dispatcher: CollectingDispatcher, tracker: Tracker, message: str, slot: str) -> Dict[str, Any]:
        failures = int(tracker.get_slot("identify_failures") or 0) + 1
        if failures >= MAX_FAILURES:
            Reply(
                "No pude verificar la cuenta esta vez. Puedes revisar el número en tu factura e intentarlo "
                f"más tarde, llamarnos al {settings().agent_phone} o hablar con una persona. "
                "¿Te ayudo con algo más?",
                buttons=[("Hablar con un asesor", "/request_agent"), ("Ver el menú", "/help")],
            ).send(dispatcher)
            return {slot: None, "identify_failures": failures, "identify_failed": True, "account_verified": False,
                    "journey": None, "requested_slot": None}
        dispatcher.utter_message(text=message)
        return {slot: None, "identify_failures": failures}

    async def validate_account_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = str(value or "").strip()[:200]
        owned = phone_accounts(tracker)
        if len(text) == 1 and text.isdigit() and 1 <= int(text) <= len(owned):
            text = owned[int(text) - 1]["account_number"]  # "1", "2": the numbered choice
        number = extract_account_number(text) or supply_named(text, owned)
        if number is None:
            replies = await public_reply(tracker, tracker.get_slot("journey"))
            if replies:  # "no tengo el número, es en la cra 80 # 65 sur, Bosa": reported all the same
                send_all(dispatcher, replies)
                return {"account_number": None, "identify_failed": True, "journey": None, "requested_slot": None}
            if tracker.get_slot("journey") in ANYONE_MAY_ASK and NO_ACCOUNT.search(fold(text)):
                report_without_account().send(dispatcher)
                return {"account_number": None, "identify_failed": True, "journey": None, "requested_slot": None}
            return self._failure(
                dispatcher, tracker,
                "Ese dato no parece un número de cuenta. Tiene 9 dígitos y aparece arriba a la derecha "
                "de tu factura, por ejemplo 100200301. ¿Me lo escribes de nuevo?",
                "account_number",
            )
        phone = sender_phone(tracker)

        def check(session) -> bool:
            account = records.account_by_number(session, number)
            return account is not None and records.phone_owns_account(session, phone, account)

        already_verified = tracker.get_slot("account_verified") and tracker.get_slot("account_number") == number
        # An unknown number is not said to be unknown: it is asked for the second factor like any account the
        # sender's phone does not own, and that answer is wrong (WRONG_SECOND_FACTOR), so the replies do not tell
        # which numbers are accounts.
        owns = await with_records(check)
        if already_verified:  # verified earlier in this conversation with the second factor
            return {"account_number": number, "account_verified": True}
        return {"account_number": number, "account_verified": owns, "id_last4": None}

    async def validate_id_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        digits = re.sub(r"\D", "", str(value or "")[:50])
        number = tracker.get_slot("account_number")
        corrected = extract_account_number(str(value or "")[:200])
        if corrected and corrected != number:  # "me equivoqué, es la 100200302": that number, asked the same way
            return await self.validate_account_number(corrected, dispatcher, tracker, domain)
        if len(digits) != 4:
            return self._failure(
                dispatcher, tracker, "Necesito exactamente los últimos 4 dígitos del documento del titular.", "id_last4"
            )

        sender, since = tracker.sender_id, m.utcnow() - GUESS_WINDOW

        def check(session) -> str:  # checked and counted in one step (records.second_factor_attempt)
            return records.second_factor_attempt(session, str(number), sender, digits, since,
                                                 MAX_WRONG_PER_ACCOUNT, MAX_WRONG_PER_SENDER)

        answer = await with_records(check)
        if answer == "locked":
            Reply(
                "Por seguridad no puedo verificar esta cuenta por chat hasta mañana: hubo demasiados intentos con "
                "dígitos equivocados. Si eres el titular, escríbenos desde el celular registrado en la cuenta, "
                f"llámanos al {settings().agent_phone} o habla con una persona.",
                buttons=[("Hablar con un asesor", "/request_agent"), ("Ver el menú", "/help")],
            ).send(dispatcher)
            return {"id_last4": None, "identify_failed": True, "account_verified": False, "journey": None,
                    "requested_slot": None}
        if answer == "wrong":
            return self._failure(dispatcher, tracker, WRONG_SECOND_FACTOR, "id_last4")
        return {"id_last4": "verificado", "account_verified": True}
