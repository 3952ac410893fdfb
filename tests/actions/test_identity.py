"""Who may see an account: its phone, or its number plus the holder's second factor."""
from __future__ import annotations

from actions.identity import ActionAskAccountNumber, ActionStartJourney, ValidateIdentifyForm, extract_account_number
from tests.actions.conftest import make_tracker


def test_account_numbers_are_found_inside_messages():
    assert extract_account_number("mi cuenta es 100200301") == "100200301"
    assert extract_account_number("100 200 301") == "100200301"
    assert extract_account_number("1002003") is None
    assert extract_account_number("'; DROP TABLE accounts; --") is None


async def test_a_registered_phone_with_one_supply_is_verified_at_once(run):
    outcome = await run(ActionStartJourney(), make_tracker("+573001234501"))
    slots = outcome.slots()
    assert slots["account_number"] == "100200301"
    assert slots["account_verified"] is True
    assert slots["journey"] == "check_balance"


async def test_a_phone_with_two_supplies_chooses_by_masked_address(run):
    started = await run(ActionStartJourney(), make_tracker("+573001234503"))
    slots = started.slots()
    assert "account_number" not in slots
    asked = await run(ActionAskAccountNumber(), make_tracker("+573001234503", slots=slots))
    buttons = asked.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["100200303", "100200313"]
    assert "100-05" not in buttons[1]["title"] and "Calle 80" in buttons[1]["title"]


async def test_choosing_option_2_selects_the_second_supply_without_a_second_factor(run):
    slots = {"phone_accounts": [{"account_number": "100200303", "address": "x"}, {"account_number": "100200313", "address": "y"}],
             "requested_slot": "account_number", "account_number": "2"}
    tracker = make_tracker("+573001234503", slots=slots, text="2", active_loop="identify_form")
    outcome = await run(ValidateIdentifyForm(), tracker)
    assert outcome.slots()["account_number"] == "100200313"
    assert outcome.slots()["account_verified"] is True


async def test_an_unknown_phone_must_give_the_second_factor(run):
    tracker = make_tracker("+573009999999", slots={"requested_slot": "account_number", "account_number": "100200301"},
                           text="100200301", active_loop="identify_form")
    outcome = await run(ValidateIdentifyForm(), tracker)
    assert outcome.slots()["account_verified"] is False
    tracker.slots.update(outcome.slots())
    assert "id_last4" in await ValidateIdentifyForm().required_slots([], None, tracker, {})


async def test_the_wrong_second_factor_reveals_nothing(run):
    slots = {"requested_slot": "id_last4", "account_number": "100200301", "account_verified": False, "id_last4": "9999"}
    outcome = await run(ValidateIdentifyForm(), make_tracker("+573009999999", slots=slots, text="9999", active_loop="identify_form"))
    assert "no coinciden" in outcome.text
    assert "$" not in outcome.text and "Ana" not in outcome.text
    assert outcome.slots()["id_last4"] is None


async def test_the_right_second_factor_verifies(run):
    slots = {"requested_slot": "id_last4", "account_number": "100200301", "account_verified": False, "id_last4": "1234"}
    outcome = await run(ValidateIdentifyForm(), make_tracker("+573009999999", slots=slots, text="1234", active_loop="identify_form"))
    assert outcome.slots()["account_verified"] is True


async def test_letters_in_an_account_number_get_a_clear_reply(run):
    slots = {"requested_slot": "account_number", "account_number": "abc123"}
    outcome = await run(ValidateIdentifyForm(), make_tracker("+573009999999", slots=slots, text="abc123", active_loop="identify_form"))
    assert "9 dígitos" in outcome.text
    assert outcome.slots()["account_number"] is None


async def test_an_unknown_account_number_is_asked_for_the_second_factor_like_any_other(run):
    slots = {"requested_slot": "account_number", "account_number": "999999999"}
    outcome = await run(ValidateIdentifyForm(), make_tracker("+573009999999", slots=slots, text="999999999", active_loop="identify_form"))
    assert outcome.messages == []  # not "no encuentro la cuenta": that would tell which numbers are accounts
    assert outcome.slots() == {"account_number": "999999999", "account_verified": False, "id_last4": None}


async def test_a_new_account_number_instead_of_the_digits_corrects_the_number(run):
    slots = {"requested_slot": "id_last4", "account_number": "100200399", "account_verified": False, "id_last4": "100200301"}
    outcome = await run(ValidateIdentifyForm(), make_tracker("+573009999999", slots=slots, text="100200301", active_loop="identify_form"))
    assert outcome.slots()["account_number"] == "100200301" and outcome.slots()["account_verified"] is False


async def test_three_failures_end_the_form_and_offer_other_help(run):
    slots = {"requested_slot": "account_number", "account_number": "12", "identify_failures": 2}
    outcome = await run(ValidateIdentifyForm(), make_tracker("+573009999999", slots=slots, text="12", active_loop="identify_form"))
    assert outcome.slots()["identify_failed"] is True
    assert "No pude verificar" in outcome.text
    assert outcome.slots()["requested_slot"] is None


def _second_factor(run, sender: str, number: str, digits: str):
    slots = {"requested_slot": "id_last4", "account_number": number, "account_verified": False, "id_last4": digits}
    return run(ValidateIdentifyForm(), make_tracker(sender, slots=slots, text=digits, active_loop="identify_form"))


async def test_the_second_factor_cannot_be_guessed_by_starting_again(run):
    for attempt in range(4):  # wrong answers as if in new conversations, from two phones
        assert "no coinciden" in (await _second_factor(run, f"+57300888000{attempt % 2}", "100200304", f"{1000 + attempt}")).text
    assert "demasiados intentos" in (await _second_factor(run, "+573008880000", "100200304", "1004")).text  # the fifth
    outcome = await _second_factor(run, "+573008880009", "100200304", "6789")  # the right digits, from a third phone
    assert "demasiados intentos" in outcome.text and "$" not in outcome.text
    assert outcome.slots()["account_verified"] is False and outcome.slots()["identify_failed"] is True


async def test_one_sender_cannot_try_account_after_account(run):
    accounts = ["100200301", "100200302", "100200303", "100200305", "100200306", "100200313"]
    for attempt in range(9):
        assert "no coinciden" in (await _second_factor(run, "+573008881111", accounts[attempt % 6], "0000")).text
    assert "demasiados intentos" in (await _second_factor(run, "+573008881111", accounts[3], "0000")).text  # the tenth
    outcome = await _second_factor(run, "+573008881111", "100200301", "1234")  # right, but after ten wrong answers
    assert "demasiados intentos" in outcome.text and outcome.slots()["account_verified"] is False
    assert (await _second_factor(run, "+573008882222", "100200301", "1234")).slots()["account_verified"] is True


async def test_a_supply_is_chosen_by_its_street_or_its_place_in_the_list(run):
    owned = [{"account_number": "100200303", "address": "Avenida 68 # ***"},
             {"account_number": "100200313", "address": "Calle 80 # ***"}]
    for said, number in [("el de la calle 80", "100200313"), ("la de la avenida 68", "100200303"), ("la segunda", "100200313")]:
        slots = {"phone_accounts": owned, "requested_slot": "account_number", "account_number": said}
        outcome = await run(ValidateIdentifyForm(), make_tracker("+573001234503", slots=slots, text=said, active_loop="identify_form"))
        assert outcome.slots()["account_number"] == number and outcome.slots()["account_verified"] is True, said


async def test_someone_without_an_account_who_says_so_is_offered_the_report_at_a_street_or_zone(run):
    said = "no soy el titular, solo quiero avisar que no hay luz en la cuadra"
    tracker = make_tracker("+573109880123", slots={"requested_slot": "account_number", "account_number": said,
                                                   "journey": "report_outage"}, text=said, active_loop="identify_form")
    outcome = await run(ValidateIdentifyForm(), tracker)
    assert "no necesitas ser el titular" in outcome.text and "no parece un número de cuenta" not in outcome.text
    assert outcome.slots()["identify_failed"] is True and outcome.slots()["requested_slot"] is None
    balance = make_tracker("+573109880123", slots={"requested_slot": "account_number", "account_number": "no tengo la cuenta",
                                                   "journey": "check_balance"}, text="no tengo la cuenta",
                           active_loop="identify_form")
    assert "no necesitas ser el titular" not in (await run(ValidateIdentifyForm(), balance)).text  # a bill needs the holder


async def test_someone_who_says_in_the_first_message_they_have_no_account_is_offered_the_street_report(run):
    for said in ("no soy cliente de ustedes, pero en mi edificio no hay corriente desde anoche",
                 "buenas, alquilo aquí y no hay luz en toda la cuadra", "iba pasando y la calle está sin luz"):
        outcome = await run(ActionStartJourney(), make_tracker("+573109990051", intent="report_outage", text=said))
        assert "no necesitas ser el titular" in outcome.text and "número de cuenta" in outcome.text, said
        assert outcome.slots()["identify_failed"] is True and outcome.slots()["journey"] is None
    holder = await run(ActionStartJourney(), make_tracker("+573109990051", intent="report_outage", text="no tengo luz"))
    assert holder.text == "" and holder.slots()["journey"] == "report_outage"  # the usual path: the account is asked
