"""A website visitor is nobody's phone: the account number and the second factor, whatever the browser claims."""
from __future__ import annotations

from actions.context import sender_phone
from actions.handoff import ActionHandoff
from actions.identity import ActionAskIdLast4, ActionStartJourney, ValidateIdentifyForm
from bot import internal_auth
from tests.actions.conftest import make_tracker

VISITOR = "web:Zx3-9_k2LmQ0aB7cD1eF4g"
ANA_PHONE, ANA_ACCOUNT, ANA_LAST4 = "+573001234501", "100200301", "1234"


def claimed(tracker, phone: str = ANA_PHONE):
    """The tracker with a phone in the message's metadata, as a browser could write it (unsigned)."""
    tracker.latest_message["metadata"] = {"phone": phone, internal_auth.PROOF_KEY: "0" * 64}
    return tracker


def test_a_visitor_session_names_no_phone_even_with_a_phone_in_its_metadata():
    assert sender_phone(make_tracker(VISITOR)) is None
    assert sender_phone(claimed(make_tracker(VISITOR))) is None
    assert sender_phone(make_tracker("web:3001234501300123450130")) is None  # digits in the random part: no phone


async def test_a_visitor_asking_for_the_balance_is_asked_for_the_account_and_then_the_digits(run):
    started = await run(ActionStartJourney(), claimed(make_tracker(VISITOR, text="cuánto debo")))
    assert "account_verified" not in started.slots() and "phone_accounts" not in started.slots()
    tracker = make_tracker(VISITOR, slots={"requested_slot": "account_number", "account_number": ANA_ACCOUNT},
                           text=ANA_ACCOUNT, active_loop="identify_form")
    outcome = await run(ValidateIdentifyForm(), claimed(tracker))
    assert outcome.slots()["account_verified"] is False  # Ana's own phone claimed by the page counts for nothing
    tracker.slots.update(outcome.slots())
    assert "id_last4" in await ValidateIdentifyForm().required_slots([], None, tracker, {})
    asked = await run(ActionAskIdLast4(), tracker)
    assert "últimos 4 dígitos" in asked.text and "número que no está registrado" not in asked.text
    tracker = make_tracker(VISITOR, slots={"requested_slot": "id_last4", "account_number": ANA_ACCOUNT,
                                           "account_verified": False, "id_last4": ANA_LAST4},
                           text=ANA_LAST4, active_loop="identify_form")
    assert (await run(ValidateIdentifyForm(), tracker)).slots()["account_verified"] is True


async def test_a_visitor_who_cannot_wait_is_told_honestly_how_the_case_will_be_answered(run, database_url, monkeypatch):
    from bot.settings import get_settings

    monkeypatch.setenv("LUZ_AGENT_HOURS", "00:00-00:01")  # nobody attends
    get_settings.cache_clear()
    tracker = make_tracker(VISITOR, intent="request_agent", entities=[{"entity": "contact_preference", "value": "callback"}])
    tracker.events[0]["input_channel"] = "web"
    outcome = await run(ActionHandoff(), claimed(tracker))
    assert "no tengo un teléfono tuyo para llamarte" in outcome.text and "Te llamaremos" not in outcome.text
    assert "dejé tu caso registrado con el número SL-" in outcome.text and "si mantienes abierta esta página" in outcome.text
    get_settings.cache_clear()
