"""Repair: suggestions when unsure; switching to another of one's supplies."""
from __future__ import annotations

from actions.repair import ActionAskAffirmation, ActionSwitchAccount
from tests.actions.conftest import make_tracker


async def test_when_unsure_the_likeliest_journeys_are_suggested(run):
    tracker = make_tracker(intent="nlu_fallback", text="la vaina de la luz")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4}, {"name": "report_outage", "confidence": 0.3},
        {"name": "out_of_scope", "confidence": 0.2}, {"name": "check_balance", "confidence": 0.1}]
    outcome = await run(ActionAskAffirmation(), tracker)
    payloads = [b["payload"] for b in outcome.messages[0]["buttons"]]
    assert payloads == ["/report_outage", "/check_balance", "/out_of_scope"]


def account_given(sender, number):
    return make_tracker(sender, intent="inform", text=number, entities=[{"entity": "account_number", "value": number}])


async def test_a_customer_switches_to_her_other_supply(run):
    outcome = await run(ActionSwitchAccount(), account_given("+573001234503", "100200313"))
    assert outcome.slots() == {"account_number": "100200313", "account_verified": True}
    assert "Calle 80 # ***" in outcome.text


async def test_someone_elses_account_is_not_switched_to_without_verification(run):
    outcome = await run(ActionSwitchAccount(), account_given("+573001234503", "100200301"))
    assert outcome.slots() == {"account_number": None, "account_verified": False}
    assert "verificación" in outcome.text and "Calle 45" not in outcome.text


async def test_a_complaint_number_out_of_context_offers_its_status(run):
    outcome = await run(ActionSwitchAccount(), make_tracker("+573001234506", intent="inform", text="y el rc0000286?"))
    assert "¿Quieres saber cómo va el reclamo RC-0000286?" in outcome.text and outcome.slots() == {}
    assert outcome.messages[0]["buttons"][0]["payload"] == '/complaint_status{"ticket_id": "RC-0000286"}'


async def test_outside_the_service_twice_in_a_row_offers_a_person(run):
    from actions.repair import ActionOutOfScope

    def said(intent):
        return {"event": "user", "text": "x", "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}

    first = make_tracker("+573109990009", intent="out_of_scope", text="capital de francia")
    first.events = [said("check_balance"), said("out_of_scope")]
    assert "Eso se sale de lo que sé hacer" in (await run(ActionOutOfScope(), first)).text
    second = make_tracker("+573109990009", intent="out_of_scope", text="???")
    second.events = [said("out_of_scope"), said("out_of_scope")]
    outcome = await run(ActionOutOfScope(), second)
    assert "Sigo sin poder ayudarte" in outcome.text and outcome.messages[0]["buttons"][0]["payload"] == "/request_agent"


async def test_a_follow_up_question_about_tariffs_gets_the_tariff_it_names(run):
    def said(intent, text):
        return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}

    tracker = make_tracker("+573109990014", intent="inform", text="¿y para un local comercial?")
    tracker.events = [said("tariff_info", "cuánto cuesta el kwh"), said("inform", "¿y para un local comercial?")]
    outcome = await run(ActionSwitchAccount(), tracker)
    assert "• Comercial:" in outcome.text and "Residencial" not in outcome.text
    tracker = make_tracker("+573109990014", intent="inform", text="y en estrato 4?")
    tracker.events = [said("tariff_info", "tarifas"), said("inform", "y en estrato 4?")]
    assert "• Residencial estratos 3 y 4:" in (await run(ActionSwitchAccount(), tracker)).text


async def test_medical_equipment_is_never_outside_the_service(run):
    from actions.repair import ActionOutOfScope

    outcome = await run(ActionOutOfScope(), make_tracker("+573001234504", intent="out_of_scope", text="tengo a mi papa con oxigeno, es urgente"))
    assert "equipo médico" in outcome.text and "Eso se sale" not in outcome.text


async def test_the_other_supply_named_in_words_is_switched_to(run):
    owned = [{"account_number": "100200303", "address": "Avenida 68 # ***"},
             {"account_number": "100200313", "address": "Calle 80 # ***"}]
    for said, number in [("el otro suministro", "100200313"), ("el de la calle 80", "100200313")]:
        tracker = make_tracker("+573001234503", intent="inform", text=said,
                               slots={"phone_accounts": owned, "account_number": "100200303", "account_verified": True})
        outcome = await run(ActionSwitchAccount(), tracker)
        assert outcome.slots() == {"account_number": number, "account_verified": True}, said
        assert "ahora hablamos de la cuenta 100200313" in outcome.text


async def test_an_address_given_after_the_street_report_was_offered_is_reported_there(run):
    from actions.identity import report_without_account

    address = "Calle 13 # 68-20, Puente Aranda"
    tracker = make_tracker("+573109990061", intent="inform", text=address)
    tracker.events = [{"event": "user", "text": "no soy el titular, no hay luz en la cuadra"},
                      {"event": "bot", "text": report_without_account().text},
                      {"event": "user", "text": address, "parse_data": {}}]
    outcome = await run(ActionSwitchAccount(), tracker)
    assert "Registré el reporte de falta de energía" in outcome.text and "AV-" in outcome.text
    assert "Gracias por el dato" not in outcome.text
    elsewhere = make_tracker("+573109990061", intent="inform", text=address)  # without the offer: asked what for
    assert "Gracias por el dato" in (await run(ActionSwitchAccount(), elsewhere)).text
