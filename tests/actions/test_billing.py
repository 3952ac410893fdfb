"""Billing journeys answer from the records, in natural Spanish, only to the owner."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from actions.context import links
from actions.journeys import ActionRunJourney
from actions.requests import ActionSubmitArrangement, ActionSubmitPaymentReport, instalment, parse_amount
from bot import clock
from bot import records
from bot.db import models as m
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


def test_amounts_are_read_as_customers_write_them():
    assert parse_amount("$ 84.350") == Decimal("84350")
    assert parse_amount("84350") == Decimal("84350")
    assert parse_amount("84.350,50") == Decimal("84350.50")
    assert parse_amount("84 mil") == Decimal("84000")
    assert parse_amount("no sé") is None


def test_instalments_without_interest_split_evenly_and_with_interest_cost_more():
    assert instalment(Decimal("300000"), 3) == Decimal("100000")
    assert instalment(Decimal("300000"), 6) * 6 > Decimal("300000")


async def test_a_reported_payment_is_recorded_for_reconciliation(run, database_url):
    tracker = verified("100200302", "+573001234502", "report_payment", payment_amount="250000", payment_place="banco")
    outcome = await run(ActionSubmitPaymentReport(), tracker)
    reference = outcome.slots()["last_ticket"]
    assert f"referencia {reference}" in outcome.text and "$ 250.000" in outcome.text
    with session_scope(engine_for(database_url)) as session:
        payment = session.execute(select(m.Payment).where(m.Payment.reference == reference)).scalar_one()
    assert payment.status == m.PaymentStatus.reported and payment.amount == Decimal("250000")


async def test_an_arrangement_offers_3_6_and_12_instalments_and_records_the_choice(run, database_url):
    offer = await run(ActionRunJourney(), verified("100200302", "+573001234502", "payment_arrangement"))
    assert "cuota inicial" in offer.text
    assert [months for months, _ in offer.slots()["arrangement_offer"]] == [3, 6, 12]
    outcome = await run(ActionSubmitArrangement(), verified("100200302", "+573001234502", "payment_arrangement",
                                                             arrangement_months="6"))
    ticket = outcome.slots()["last_ticket"]
    with session_scope(engine_for(database_url)) as session:
        request = session.execute(select(m.ServiceRequest).where(m.ServiceRequest.ticket == ticket)).scalar_one()
    assert request.kind == "payment_arrangement" and request.details["months"] == 6


async def test_an_account_without_debt_is_not_offered_an_arrangement(run):
    outcome = await run(ActionRunJourney(), verified("100200305", "+573001234505", "payment_arrangement"))
    assert "No tienes deuda pendiente" in outcome.text and not outcome.slots().get("arrangement_offer")


async def test_a_bill_of_nothing_is_not_offered_for_payment(run, database_url):
    with session_scope(engine_for(database_url)) as session:  # Lucía's solar credits cover her latest bill
        balance = records.balance(session, records.account_by_number(session, "100200305"), clock.today())
    assert balance.unpaid_bills >= 1 and balance.amount_due <= 0
    outcome = await run(ActionRunJourney(), verified("100200305", "+573001234505"))
    assert "¡Estás al día" in outcome.text and "Pagar" not in [b["title"] for b in outcome.messages[0].get("buttons", [])]


async def test_a_payment_report_takes_the_amount_and_place_given_at_once(run):
    tracker = verified("100200302", "+573001234502", "report_payment", journey_text="ya pagué ayer en el banco 821.655, ¿ya me reconectan?")
    slots = (await run(ActionRunJourney(), tracker)).slots()
    assert slots["payment_amount"] == "821655" and slots["payment_place"] == "en el banco"
    two_numbers = verified("100200302", "+573001234502", "report_payment", journey_text="pagué 2 facturas")
    assert "payment_amount" not in (await run(ActionRunJourney(), two_numbers)).slots()
