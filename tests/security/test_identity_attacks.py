"""Attacks on identification, run against the real form validation and the real database (each backend).

Four digits are found in a few thousand tries, so wrong answers are limited per account number and per
sender; these tests send the guesses at once, from many threads, to show the limit holds under a race,
and show that an unknown account number is answered exactly like an account with wrong digits.
"""
from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import pytest
from rasa.shared.core.domain import Domain
from sqlalchemy import func, select

from actions.identity import MAX_WRONG_PER_ACCOUNT, MAX_WRONG_PER_SENDER, ActionAskIdLast4, ValidateIdentifyForm
from bot.db import models as m
from bot.db.engine import session_scope
from tests.actions.conftest import Outcome, make_tracker
from tests.conftest import PROJECT_ROOT

GUESSES = 24  # far more than either limit, all at once


@pytest.fixture(scope="module")
def domain() -> Dict[str, Any]:
    return Domain.load(str(PROJECT_ROOT / "domain")).as_dict()


def _run(action, tracker, domain) -> Outcome:
    """The action, run in an event loop of its own in a thread of its own (as the action server's calls)."""
    from rasa_sdk.executor import CollectingDispatcher

    def run() -> Outcome:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, tracker, domain))
        return Outcome(dispatcher.messages, events)

    if threading.current_thread() is not threading.main_thread():
        return run()
    with ThreadPoolExecutor(1) as pool:  # the main thread's own event loop is pytest's: left alone
        return pool.submit(run).result()


def _digits_tracker(sender: str, number: str, digits: str):
    slots = {"requested_slot": "id_last4", "account_number": number, "account_verified": False, "id_last4": digits}
    return make_tracker(sender, slots=slots, text=digits, active_loop="identify_form")


def _all_at_once(domain, calls: List[tuple]) -> List[Outcome]:
    """Each (sender, number, digits) in a thread of its own, released together."""
    barrier, outcomes, errors = threading.Barrier(len(calls)), [None] * len(calls), []

    def guess(index: int, sender: str, number: str, digits: str) -> None:
        try:
            barrier.wait()
            outcomes[index] = _run(ValidateIdentifyForm(), _digits_tracker(sender, number, digits), domain)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=guess, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return outcomes  # type: ignore[return-value]


def _accounts(engine, count: int, skip: int) -> List[m.Account]:
    with session_scope(engine) as session:
        return list(session.execute(select(m.Account).order_by(m.Account.id.desc()).offset(skip).limit(count)).scalars())


def _holder_digits(engine, account: m.Account) -> str:
    with session_scope(engine) as session:
        return session.get(m.Customer, account.customer_id).national_id[-4:]


def _failures(engine, **where) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).select_from(m.SecondFactorFailure).filter_by(**where)
        return int(session.execute(query).scalar_one())


def _wrong(digits: str) -> str:
    return f"{(int(digits) + 1) % 10000:04d}"


def test_parallel_guesses_from_many_senders_stop_at_the_accounts_limit(use_database, engine, domain):
    account = _accounts(engine, 1, skip=0)[0]
    right = _holder_digits(engine, account)
    run = uuid.uuid4().hex[:6]
    calls = [(f"attacker-{run}-{i}", account.account_number, _wrong(right)) for i in range(GUESSES)]
    outcomes = _all_at_once(domain, calls)

    assert _failures(engine, account_number=account.account_number) == MAX_WRONG_PER_ACCOUNT
    wrong = [o for o in outcomes if "no coinciden" in o.text]
    locked = [o for o in outcomes if "demasiados intentos" in o.text]
    assert len(wrong) == MAX_WRONG_PER_ACCOUNT - 1 and len(locked) == GUESSES - len(wrong)
    assert not any(o.slots().get("account_verified") for o in outcomes)
    # and now the right digits, from yet another sender, are refused too: the account is locked for the day
    late = _run(ValidateIdentifyForm(), _digits_tracker(f"attacker-{run}-late", account.account_number, right), domain)
    assert "demasiados intentos" in late.text and late.slots()["account_verified"] is False


def test_parallel_guesses_from_one_sender_stop_at_the_senders_limit(use_database, engine, domain):
    accounts = _accounts(engine, GUESSES // 2, skip=5)
    sender = f"attacker-{uuid.uuid4().hex[:6]}"
    # real accounts with wrong digits and numbers that are no account, all at once
    calls = [(sender, a.account_number, _wrong(_holder_digits(engine, a))) for a in accounts]
    calls += [(sender, f"8{i:08d}", "0000") for i in range(GUESSES - len(calls))]
    outcomes = _all_at_once(domain, calls)

    assert _failures(engine, sender=sender) == MAX_WRONG_PER_SENDER
    assert sum("no coinciden" in o.text for o in outcomes) == MAX_WRONG_PER_SENDER - 1
    assert not any(o.slots().get("account_verified") for o in outcomes)
    right = _run(ValidateIdentifyForm(), _digits_tracker(sender, accounts[0].account_number,
                                                         _holder_digits(engine, accounts[0])), domain)
    assert "demasiados intentos" in right.text and right.slots()["account_verified"] is False


def test_an_unknown_account_and_a_wrong_digit_get_byte_identical_answers(use_database, engine, domain):
    account = _accounts(engine, 1, skip=40)[0]
    known, unknown = account.account_number, "999999998"
    run = uuid.uuid4().hex[:6]
    wrong = _wrong(_holder_digits(engine, account))
    answers = {}
    for number in (known, unknown):
        sender = f"prober-{run}-{number}"
        given = make_tracker(sender, slots={"requested_slot": "account_number", "account_number": number},
                             text=number, active_loop="identify_form")
        after_number = _run(ValidateIdentifyForm(), given, domain)
        asked = _run(ActionAskIdLast4(), make_tracker(sender, slots=after_number.slots()), domain)
        after_digits = _run(ValidateIdentifyForm(), _digits_tracker(sender, number, wrong), domain)
        slots = {**after_number.slots(), **after_digits.slots()}
        slots["account_number"] = slots["account_number"] and "<the number>"
        answers[number] = (after_number.messages, asked.messages, after_digits.messages, slots)
        assert _failures(engine, sender=sender) == 1, "the failure is counted for the sender either way"
    assert answers[known] == answers[unknown]
    assert "no coinciden" in answers[known][2][0]["text"]
    assert unknown not in str(answers[unknown]) and known not in str(answers[known])


def test_a_number_named_anywhere_else_tells_no_more(use_database, engine, domain):
    """Out of the form too: a number written out of context, and the change of owner (public), answer an
    unknown number exactly as someone else's account (the number itself and the ticket aside)."""
    from actions.repair import ActionSwitchAccount
    from actions.requests import ActionSubmitChangeOwner, ValidateChangeOwnerForm

    known, unknown = _accounts(engine, 1, skip=60)[0].account_number, "999999997"
    answers = {}
    for number in (known, unknown):
        sender = f"prober-{uuid.uuid4().hex[:6]}"
        switched = _run(ActionSwitchAccount(), make_tracker(
            sender, text=number, intent="inform", entities=[{"entity": "account_number", "value": number}]), domain)
        owner = _run(ValidateChangeOwnerForm(), make_tracker(
            sender, slots={"requested_slot": "owner_account", "owner_account": number}, text=number,
            active_loop="change_owner_form"), domain)
        filed = _run(ActionSubmitChangeOwner(), make_tracker(
            sender, slots={"owner_account": number, "new_owner_name": "Luis Pérez"}, intent="change_owner"), domain)
        ticket = filed.slots()["last_ticket"]
        answers[number] = [str(o.messages).replace(number, "<n>").replace(ticket, "<t>") + str(o.slots()).replace(number, "<n>").replace(ticket, "<t>")
                           for o in (switched, owner, filed)]
    assert answers[known] == answers[unknown]
    assert "No encuentro" not in str(answers[unknown])
