"""Runs the journey that asked for identification, once the account is verified.

Journeys register a handler with ``@journey("intent_name")``. A handler is a
plain function of a database session and a ``JourneyContext``; it returns the
replies and any slot values to set, and runs in a worker thread.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Collection, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.context import sender_phone, today, with_records
from actions.replies import Reply, send_all
from actions.safety import GuardedAction
from bot import records
from bot.db import models as m


@dataclass(frozen=True)
class JourneyContext:
    account: m.Account
    today: dt.date
    phone: Optional[str]
    channel: str
    tracker: Tracker


# Replies, and slots to set. A journey that needs more (a complaint's details, a reading)
# continues in a form: the rules in data/journeys.yml start it after this action.
Outcome = Tuple[List[Reply], Dict[str, object]]
Handler = Callable[[Session, JourneyContext], Outcome]
HANDLERS: Dict[str, Handler] = {}
# Answers some requests can get without identification, because what they ask is public ("¿hay cortes
# programados en Chapinero?") or anyone may report it: given the session, the message and the sender's
# phone (None when unknown), and the channel, replies, or None to identify as usual.
PublicAnswer = Callable[[Session, str, Optional[str], str], Optional[List[Reply]]]
PUBLIC_ANSWERS: Dict[str, PublicAnswer] = {}


def asks_for_another_journey(tracker: Tracker, confidence: float = 0.7, answers: Collection[str] = ()) -> bool:
    """True when the latest message is, with some confidence, a request of its own (a journey other than
    the one under way) rather than an answer to the question asked. ``answers``: intents that answers to
    this question often look like ("por nequi" reads as pay_bill), never taken for another request."""
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return (name in HANDLERS and name != tracker.get_slot("journey") and name not in answers
            and (intent.get("confidence") or 0) >= confidence)


def public_answer(intent: str) -> Callable[[PublicAnswer], PublicAnswer]:
    def register(answer: PublicAnswer) -> PublicAnswer:
        PUBLIC_ANSWERS[intent] = answer
        return answer

    return register


def journey(intent: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[intent] = handler
        return handler

    return register


class ActionRunJourney(GuardedAction):
    def name(self) -> str:
        return "action_run_journey"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        events: List[EventType] = [SlotSet("identify_failures", 0)]
        if tracker.get_slot("identify_failed") or not tracker.get_slot("account_verified"):
            return events + [SlotSet("identify_failed", False), SlotSet("account_number", None), SlotSet("journey", None)]
        handler = HANDLERS.get(tracker.get_slot("journey") or "")
        if handler is None:
            dispatcher.utter_message(response="utter_anything_else")
            return events
        context_args = dict(
            today=today(), phone=sender_phone(tracker),
            channel=tracker.get_latest_input_channel() or "rest", tracker=tracker,
        )
        number = tracker.get_slot("account_number")

        def work(session: Session) -> Outcome:
            account = records.verified_account(session, number)
            return handler(session, JourneyContext(account=account, **context_args))

        replies, slots = await with_records(work)
        send_all(dispatcher, replies)
        return events + [SlotSet(name, value) for name, value in slots.items()]
