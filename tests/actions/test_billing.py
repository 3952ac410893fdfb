"""The balance journey answers from the records, in natural Spanish."""
from __future__ import annotations

from sqlalchemy import select

from actions.journeys import ActionRunJourney
from bot import records
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.formatting import day, money
from tests.actions.conftest import make_tracker


def verified(number: str, sender: str = "+573001234501", journey: str = "check_balance"):
    return make_tracker(sender, slots={"account_number": number, "account_verified": True, "journey": journey})


def latest_bill(database_url, number):
    with session_scope(engine_for(database_url)) as session:
        account = records.account_by_number(session, number)
        return session.execute(
            select(m.Bill).where(m.Bill.account_id == account.id).order_by(m.Bill.period.desc())
        ).scalars().first()


async def test_balance_gives_amount_and_due_date(run, database_url, today):
    bill = latest_bill(database_url, "100200301")
    outcome = await run(ActionRunJourney(), verified("100200301"))
    assert money(bill.total) in outcome.text
    assert f"Vence el {day(bill.due_date, today)}" in outcome.text
    assert outcome.text.startswith("Ana,")
    assert "12-30" not in outcome.text  # the address is masked


async def test_a_suspended_supply_is_told_why_and_how_much(run):
    outcome = await run(ActionRunJourney(), verified("100200302", "+573001234502"))
    assert "suspendido por falta de pago" in outcome.text
    assert "3 facturas vencidas" in outcome.text


async def test_nothing_is_said_about_an_unverified_account(run):
    tracker = make_tracker("+573009999999", slots={"account_number": "100200301", "account_verified": False, "journey": "check_balance"})
    outcome = await run(ActionRunJourney(), tracker)
    assert outcome.messages == []
