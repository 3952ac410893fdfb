"""Handing a conversation to a person: on request, after failing to understand twice, after a hazard.

When nobody can attend (out of hours, no agent online) the customer chooses a
callback or a case instead of waiting in a silent queue.
"""
from __future__ import annotations

from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.context import sender_phone, settings, with_records
from actions.replies import Reply
from actions.safety import GuardedAction
from bot import cases, handoff, records
from bot.formatting import mask_phone


def verified_account(tracker: Tracker) -> Optional[str]:
    return tracker.get_slot("account_number") if tracker.get_slot("account_verified") else None


async def hand_off(tracker: Tracker, reason: str) -> List[Reply]:
    """Queues the conversation (or says nobody can come now) and returns what to tell the customer."""
    phone = sender_phone(tracker)
    summary = tracker.latest_message.get("text") or ""

    def place(session: Session) -> handoff.Placement:
        return handoff.request(session, conversation_id=tracker.sender_id, channel=tracker.get_latest_input_channel() or "rest",
                               reason=reason, settings=settings(), phone=phone, account_number=verified_account(tracker),
                               summary=summary)

    placement = await with_records(place)
    if placement.queued:
        return [Reply(handoff.queued_text(placement))]
    return [Reply(handoff.unavailable_text(placement), list(handoff.UNAVAILABLE_BUTTONS))]


class ActionHandoff(GuardedAction):
    """The customer asked for a person (or chose a callback or a case when nobody could attend)."""

    def name(self) -> str:
        return "action_handoff"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        preference = next(tracker.get_latest_entity_values("contact_preference"), None)
        if preference in ("callback", "case"):
            reply = await self._instead_of_queue(tracker, preference)
        else:
            [reply] = await hand_off(tracker, "requested")
        reply.send(dispatcher)
        return [SlotSet("contact_preference", None)]

    async def _instead_of_queue(self, tracker: Tracker, preference: str) -> Reply:
        phone = sender_phone(tracker)
        account_number = verified_account(tracker)
        channel = tracker.get_latest_input_channel() or "rest"
        recent = [e.get("text") for e in tracker.events if e.get("event") == "user" and e.get("text")][-5:]

        def record(session: Session) -> str:
            account = records.account_by_number(session, account_number) if account_number else None
            customers = records.customer_ids_for_phone(session, phone) if phone else []
            request = cases.request_service(
                session, kind="callback" if preference == "callback" else "agent_case", channel=channel,
                account=account, customer_id=customers[0] if customers and account is None else None,
                details={"phone": phone, "conversation_id": tracker.sender_id, "recent_messages": recent},
            )
            return request.ticket

        ticket = await with_records(record)
        hours = handoff.AgentHours.parse(settings().agent_hours, settings().agent_days).describe()
        if preference == "callback" and phone:
            return Reply(f"Listo. Te llamaremos al {mask_phone(phone)} en nuestro horario ({hours}). "
                         f"Tu solicitud es la {ticket}. ¿Te ayudo con algo más mientras tanto?",
                         [("Ver opciones", "/help"), ("No, gracias", "/goodbye")])
        if channel == "web":  # the website's chat lives in one tab for a few hours: the answer may find nobody there
            no_phone = "Desde este chat no tengo un teléfono tuyo para llamarte, así que " if preference == "callback" else ""
            return Reply(f"Listo. {no_phone}dejé tu caso registrado con el número {ticket}. Una persona de nuestro "
                         f"equipo lo revisará en nuestro horario ({hours}); si mantienes abierta esta página, su "
                         f"respuesta llegará aquí. Si no, guarda el número {ticket} y consúltalo en nuestra línea "
                         f"{settings().agent_phone}. ¿Te ayudo con algo más?",
                         [("Ver opciones", "/help"), ("No, gracias", "/goodbye")])
        return Reply(f"Listo, dejé tu caso registrado con el número {ticket}. Una persona de nuestro equipo te "
                     f"responderá por este chat en nuestro horario ({hours}). ¿Te ayudo con algo más?",
                     [("Ver opciones", "/help"), ("No, gracias", "/goodbye")])


class ActionDefaultFallback(GuardedAction):
    """The assistant failed to understand twice: a person takes over instead of a third guess."""

    def name(self) -> str:
        return "action_default_fallback"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text="Sigo sin entenderte, lo siento.")
        for reply in await hand_off(tracker, "fallback"):
            reply.send(dispatcher)
        return [UserUtteranceReverted()]
