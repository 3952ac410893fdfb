"""When an action fails, the customer gets an apology and a person, never silence.

Rasa answers nothing when a custom action raises; these base classes catch
the error, log it with the conversation id, and tell the customer what to do.
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.replies import Reply

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
    def name(self) -> Text:
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


class GuardedFormValidation(FormValidationAction, ABC):
    """A form validation whose errors end the form (``failure_slot``) with an apology."""

    @abstractmethod
    def name(self) -> Text:
        ...

    failure_slot = "identify_failed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        try:
            return await super().run(dispatcher, tracker, domain)
        except Exception:  # noqa: BLE001
            log.exception("form validation %s failed for conversation %s", self.name(), tracker.sender_id)
            dispatcher.messages.clear()
            apologise(dispatcher)
            return [SlotSet(self.failure_slot, True), SlotSet("requested_slot", None)]
