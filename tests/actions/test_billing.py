"""Billing journeys answer from the records, in natural Spanish, only to the owner."""
from __future__ import annotations

from actions.context import links
from actions.journeys import ActionRunJourney
from bot import clock, records
from bot.db.engine import engine_for, session_scope
from bot.formatting import day, kwh, money, month
from tests.actions.conftest import make_tracker


def verified(number: str, sender: str = "+573001234501", journey: str = "check_balance", **slots):
    return make_tracker(sender, slots={"account_number": number, "account_verified": True, "journey": journey, **slots},
                        intent=journey)


def bills(database_url, number, count=13):
    with session_scope(engine_for(database_url)) as session:
        account = records.account_by_number(session, number)
        return records.bills(session, account, count)


async def test_balance_gives_amount_and_due_date(run, database_url, today):
    bill = bills(database_url, "100200301", 1)[0]
    outcome = await run(ActionRunJourney(), verified("100200301"))
    assert money(bill.total) in outcome.text
    assert f"Vence el {day(bill.due_date, today)}" in outcome.text
    assert outcome.text.startswith("Ana,")
    assert "12-30" not in outcome.text  # the address is masked


async def test_a_suspended_supply_is_told_what_is_overdue_and_what_merely_unpaid(run, database_url, today):
    *overdue, latest = bills(database_url, "100200302", 3)  # Carlos: two bills past due, the latest not yet
    assert all(b.due_date < today for b in overdue) and latest.due_date >= today
    outcome = await run(ActionRunJourney(), verified("100200302", "+573001234502"))
    assert "suspendido por falta de pago" in outcome.text
    owed = sum(b.total for b in overdue)
    assert (f"Debes {money(owed + latest.total)}: {money(owed)} de 2 facturas vencidas y {money(latest.total)} "
            f"de la factura que vence el {day(latest.due_date, today)}.") in outcome.text
    assert "3 facturas vencidas" not in outcome.text


async def test_nothing_is_said_about_an_unverified_account(run):
    tracker = make_tracker("+573009999999", slots={"account_number": "100200301", "account_verified": False, "journey": "check_balance"})
    outcome = await run(ActionRunJourney(), tracker)
    assert outcome.messages == []


async def test_a_high_bill_with_an_estimated_reading_is_explained_with_figures(run, database_url):
    latest = bills(database_url, "100200306", 1)[0]
    outcome = await run(ActionRunJourney(), verified("100200306", "+573001234506", "high_bill_inquiry"))
    assert money(latest.total) in outcome.text and kwh(latest.kwh) in outcome.text
    assert "ESTIMADA" in outcome.text
    assert "promedio de los 6 meses anteriores" in outcome.text
    assert outcome.messages[0]["buttons"][0]["payload"] == "/report_meter_reading"


async def test_the_bill_copy_is_an_expiring_link_to_a_pdf(run):
    outcome = await run(ActionRunJourney(), verified("100200301", journey="request_bill_copy"))
    assert outcome.messages[0]["attachment"].startswith("http://localhost:8000/files/bills/")
    assert outcome.messages[0]["attachment"].endswith(".pdf")
    assert "24 horas" in outcome.text


async def test_the_bill_of_a_named_month_is_the_one_sent(run, database_url):
    with session_scope(engine_for(database_url)) as session:
        recent = records.bills(session, records.account_by_number(session, "100200301"), 12)
        older = recent[-3]  # two bills before the latest
        wanted = f"xfa mandame la fact de {month(older.period).split()[0]}"
    outcome = await run(ActionRunJourney(), verified("100200301", journey="request_bill_copy", journey_text=wanted))
    assert f"copia de tu factura de {month(older.period)}" in outcome.text
    token = outcome.messages[0]["attachment"].split("/files/bills/")[1].removesuffix(".pdf")
    assert links().load("bills", token) == older.id  # the PDF behind the link is that month's


async def test_pay_bill_gives_the_amount_link_and_reference(run, database_url):
    bill = bills(database_url, "100200301", 1)[0]
    outcome = await run(ActionRunJourney(), verified("100200301", journey="pay_bill"))
    assert money(bill.total) in outcome.text
    assert f"100200301-{bill.period:%Y%m}" in outcome.text


async def test_consumption_history_lists_12_months_with_a_chart(run, database_url):
    history = bills(database_url, "100200301", 12)
    outcome = await run(ActionRunJourney(), verified("100200301", journey="consumption_history"))
    assert outcome.messages[0]["image"].endswith(".png")
    assert f"{history[-1].kwh:.0f}" in outcome.text and "últimos 12 meses" in outcome.text


async def test_a_bill_of_nothing_is_not_offered_for_payment(run, database_url):
    with session_scope(engine_for(database_url)) as session:  # Lucía's solar credits cover her latest bill
        balance = records.balance(session, records.account_by_number(session, "100200305"), clock.today())
    assert balance.unpaid_bills >= 1 and balance.amount_due <= 0
    outcome = await run(ActionRunJourney(), verified("100200305", "+573001234505"))
    assert "¡Estás al día" in outcome.text and "Pagar" not in [b["title"] for b in outcome.messages[0].get("buttons", [])]
