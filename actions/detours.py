"""A question in the middle of a form, answered in passing; then the form asks its own question again.

README promises that questions asked in the middle of a form are answered: "¿cuánto es la tarifa?" while a
complaint asks its category, "¿cuánto debo?" while a reading is asked. A question that only wants an answer
(information, or a journey that answers and asks nothing back) is answered here, and the form asks again,
once. A request that is a procedure of its own (report an outage, file a payment) is not answered in passing:
the form is left and the customer asked to repeat it (``GuardedFormValidation.left_for_another_request``).
"""
from __future__ import annotations

from typing import Any, Dict

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.context import sender_phone, today, with_records
from actions.replies import send_all
from bot import records

# Journeys that answer and ask nothing back (their slots, if any, are not needed in passing).
ANSWERED_IN_PASSING = {"check_balance", "complaint_status", "outage_status", "planned_outages", "consumption_history",
                       "request_bill_copy", "pay_bill"}


async def answer_in_passing(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> bool:
    """Answers the latest message when it is such a question; False when it is not (nothing was said)."""
    from actions.information import ActionEnergySavingTips, ActionOfficeInfo, ActionTariffInfo
    from actions.journeys import HANDLERS, JourneyContext

    intent = (tracker.latest_message.get("intent") or {}).get("name")
    information = {"tariff_info": ActionTariffInfo, "office_info": ActionOfficeInfo,
                   "energy_saving_tips": ActionEnergySavingTips}
    if intent in information:
        await information[intent]().run(dispatcher, tracker, domain)
        return True
    number = tracker.get_slot("account_number")
    if intent not in ANSWERED_IN_PASSING or not number or not tracker.get_slot("account_verified"):
        return False
    handler = HANDLERS[intent]
    context: Dict[str, Any] = dict(today=today(), phone=sender_phone(tracker),
                                   channel=tracker.get_latest_input_channel() or "rest", tracker=tracker)

    def answer(session: Session):
        return handler(session, JourneyContext(account=records.verified_account(session, number), **context))

    replies, _slots = await with_records(answer)
    send_all(dispatcher, replies)
    return True
