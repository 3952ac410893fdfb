"""When an action fails, the customer gets an apology and a person, never silence.

Rasa answers nothing when a custom action raises; these base classes catch
the error, log it with the conversation id, and tell the customer what to do.
"""
from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.replies import Reply
from bot.text import fold

log = logging.getLogger(__name__)


def apologise(dispatcher: CollectingDispatcher) -> None:
    from actions.context import settings

    Reply(
        "Lo siento, tuve un problema para consultar esa información y no quiero darte un dato equivocado. "
        f"Inténtalo de nuevo en unos minutos, llámanos al {settings().agent_phone} "
        "o habla con una persona de nuestro equipo.",
        buttons=[("Hablar con un asesor", "/request_agent"), ("Ver el menú", "/help")],
    ).send(dispatcher)


class GuardedAction(Action, ABC):
    """An action whose work lives in ``act``; any error becomes an apology."""

    @abstractmethod
    def name(self) -> str:
        ...

    @abstractmethod
    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        try:
            return await self.act(dispatcher, tracker, domain)
        except Exception:  # noqa: BLE001 - the customer must get an answer whatever failed
            log.exception("action %s failed for conversation %s", self.name(), tracker.sender_id)
            dispatcher.messages.clear()
            apologise(dispatcher)
            return []


CANCEL_WORDS = {
    "cancelar", "cancela", "cancelalo", "salir", "salir del tramite", "olvidalo", "olvida eso", "dejalo asi",
    "ya no", "ya no quiero", "mejor no", "no gracias", "detener", "parar", "terminar", "volver", "stop",
    "nada", "no nada", "no quiero nada", "no quiero", "ninguno", "ninguna", "dejalo", "no quiero cambiar nada",
    "ya no gracias", "no gracias ya no", "cancelar todo", "cancela eso", "cancelala", "no quiero seguir", "salirme", "dejalo ahi", "deja eso",
}


def _plain(text: str) -> str:
    """Folded, with "¡", "!", "." and "," as spaces and one space between words: how stop words are compared."""
    text = fold(text)
    return " ".join(text.replace("¡", " ").replace("!", " ").replace(".", " ").replace(",", " ").split())


_POLITE = re.compile(r"^(?:(?:no|mejor|ya|oye|bueno|ok|porfa|por favor)\s+)*(.*?)(?:\s+(?:eso|esto|todo|porfa|por favor|gracias))*$")


_NOT_DOING = re.compile(r"^(?:ya )?no (?:quiero|deseo|voy a|necesito) (?:reportar|registrar|hacer|seguir|cambiar|poner|"
                        r"mandar|enviar|actualizar)\b")


# Leaving for later: "no, mejor lo dejo así, otro día", "lo hago después", "mejor luego".
_LATER = re.compile(r"^(?:(?:no|mejor|ya|bueno|ok|gracias)\s+)*(?:lo dejo (?:asi|ahi|asi por ahora|para (?:otro dia|despues|luego|manana))"
                    r"|lo (?:hago|hacemos|miro|reviso|pongo) (?:otro dia|despues|luego|manana|mas tarde)"
                    r"|otro dia|despues|luego|mas tarde|en otro momento)"
                    r"(?:\s+(?:mejor|gracias|otro dia|despues|luego|manana|mas tarde|por ahora))*$")


# Words around the wish to leave that do not change it: interjections in front ("uy no", "ah no vale",
# "pues mejor"), a reason after it ("…porque no encuentro el contador"), a promise to come back ("lo reviso y
# luego les escribo").
_IN_FRONT = re.compile(r"^(?:(?:uy|ay|ah+|eh|oh|pues|bueno|ok|okey|vale|oye|mira|ya|no|mejor|entonces|chamo|che|wey|"
                       r"la verdad)\s+)+")
_REASON = re.compile(r"\s+(?:porque|pues|ya que|que|es que|ahorita no)\b.*$")
_COME_BACK = re.compile(r"^(?:lo (?:reviso|miro|busco|verifico|consulto)(?: bien)? y )?(?:luego|despues|mas tarde|ahorita) "
                        r"(?:les|le|te) (?:escribo|aviso|cuento|mando|confirmo)$")


def wants_to_leave(text: str) -> bool:
    """True when the whole message asks to leave what we are doing ("cancelar", "ya no", "salir"), also
    wrapped in a few words ("no no, cancela eso", "mejor olvídalo, gracias", "uy no, mejor después porque no
    encuentro el contador", "lo reviso y luego les escribo")."""
    plain = _plain(text or "")
    core = _REASON.sub("", _IN_FRONT.sub("", plain)).strip()
    if core != plain and core and (core in CANCEL_WORDS or _LATER.match(core) or _COME_BACK.match(core)):
        return True
    if _COME_BACK.match(plain):
        return True
    polite = _POLITE.match(plain)
    return (plain in CANCEL_WORDS or (polite is not None and polite.group(1) in CANCEL_WORDS)
            or _NOT_DOING.match(plain) is not None or _LATER.match(plain) is not None)


class GuardedFormValidation(FormValidationAction, ABC):
    """A form validation that lets the customer leave, and whose errors end the form with an apology.

    Both set ``failure_slot``: the action that follows the form then does nothing.
    """

    failure_slot = "identify_failed"
    reset_on_failure: Dict[str, Any] = {}  # more slots to set when the form ends early

    @abstractmethod
    def name(self) -> str:
        ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        if tracker.active_loop.get("name") and wants_to_leave(tracker.latest_message.get("text", "")):
            Reply("Listo, lo dejamos aquí. ¿Te ayudo con algo más?",
                  [("Ver el menú", "/help"), ("Hablar con un asesor", "/request_agent")]).send(dispatcher)
            return self._ended_early(domain)
        try:
            return await super().run(dispatcher, tracker, domain)
        except Exception:  # noqa: BLE001 - the customer must get an answer whatever failed
            log.exception("form validation %s failed for conversation %s", self.name(), tracker.sender_id)
            dispatcher.messages.clear()
            apologise(dispatcher)
            return self._ended_early(domain)

    async def detour(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        """The message asked something else instead of answering ``slot``: a question is answered in passing and
        the form asks again (actions/detours.py); a request of its own leaves the form."""
        from actions.detours import answer_in_passing

        if await answer_in_passing(dispatcher, tracker, domain):
            return {slot: None}
        return self.left_for_another_request(dispatcher, domain)

    def left_for_another_request(self, dispatcher: CollectingDispatcher, domain: DomainDict) -> Dict[str, Any]:
        """For a validator whose answer has a shape (an amount, a reading): the message was no answer but
        a request of its own, so the form is left instead of asking again and again."""
        Reply("Parece que me pides otra cosa, así que dejé este trámite a un lado. ¿Me repites lo que necesitas?",
              [("Ver el menú", "/help")]).send(dispatcher)
        return {event["name"]: event["value"] for event in self._ended_early(domain)}

    def _ended_early(self, domain: DomainDict) -> List[Dict[str, Any]]:
        """Ends the form with its answers emptied: the message that ended it ("cancelar") was already
        taken as the answer to the question asked, and must not reach the action after the form."""
        answers = domain.get("forms", {}).get(self.form_name(), {}).get("required_slots", [])
        slots = {**{slot: None for slot in answers}, self.failure_slot: True, **self.reset_on_failure,
                 "requested_slot": None}
        return [SlotSet(name, value) for name, value in slots.items()]
