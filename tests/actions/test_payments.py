"""Payments: amounts read as written, instalments, a reported payment, an arrangement, reconnection."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from actions.journeys import ActionRunJourney
from actions.payments import (
    ActionSubmitArrangement,
    ActionSubmitPaymentReport,
    ValidatePaymentReportForm,
    instalment,
    parse_amount,
)
from bot import records
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from tests.actions.conftest import make_tracker
from tests.actions.test_billing import verified


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


async def test_a_payment_report_takes_the_amount_and_place_given_at_once(run):
    tracker = verified("100200302", "+573001234502", "report_payment", journey_text="ya pagué ayer en el banco 821.655, ¿ya me reconectan?")
    slots = (await run(ActionRunJourney(), tracker)).slots()
    assert slots["payment_amount"] == "821655" and slots["payment_place"] == "en el banco"
    two_numbers = verified("100200302", "+573001234502", "report_payment", journey_text="pagué 2 facturas")
    assert "payment_amount" not in (await run(ActionRunJourney(), two_numbers)).slots()


async def test_reconnection_when_suspended_and_unpaid_says_what_is_owed_or_how_the_arrangement_goes(run, database_url):
    with session_scope(engine_for(database_url)) as session:  # no arrangement in study (another test may file one)
        for request in records.open_requests(session, records.account_by_number(session, "100200302"), "payment_arrangement"):
            request.status = m.TicketStatus.resolved
    outcome = await run(ActionRunJourney(), verified("100200302", "+573001234502", "reconnection"))
    assert "Para reconectar tu servicio hay que pagar $" in outcome.text
    filed = await run(ActionSubmitArrangement(), verified("100200302", "+573001234502", "payment_arrangement",
                                                        arrangement_months="3"))
    assert "programamos la reconexión" in filed.text
    outcome = await run(ActionRunJourney(), verified("100200302", "+573001234502", "reconnection"))
    assert f"Tu acuerdo de pago {filed.slots()['last_ticket']} está en estudio" in outcome.text and "cuota inicial" in outcome.text


async def test_reconnection_of_an_active_supply_says_it_is_active(run):
    outcome = await run(ActionRunJourney(), verified("100200301", journey="reconnection"))
    assert "está activo" in outcome.text


async def test_where_one_paid_is_taken_even_when_it_reads_like_a_payment_question(run):
    def answer(text, intent):
        return make_tracker(slots={"requested_slot": "payment_place", "payment_place": text, "journey": "report_payment",
                                   "account_number": "100200301", "account_verified": True},
                            intent=intent, text=text, active_loop="payment_report_form")

    assert (await run(ValidatePaymentReportForm(), answer("por nequi", "pay_bill"))).slots()["payment_place"] == "por nequi"
    other = await run(ValidatePaymentReportForm(), answer("muéstrame mi historial de consumo", "consumption_history"))
    assert other.slots()["payment_place"] is None and "Primero terminemos" in other.text


async def test_a_question_instead_of_the_amount_paid_is_answered_and_the_amount_asked_again(run):
    text = "mándame copia de la factura porfa"
    tracker = make_tracker(slots={"requested_slot": "payment_amount", "payment_amount": text, "journey": "report_payment",
                                  "account_number": "100200301", "account_verified": True},
                           intent="request_bill_copy", text=text, active_loop="payment_report_form")
    outcome = await run(ValidatePaymentReportForm(), tracker)
    assert "/files/bills/" in str(outcome.messages) and "Parece que me pides otra cosa" not in outcome.text
    assert outcome.slots() == {"payment_amount": None}  # the form asks "¿Cuánto pagaste?" again


async def test_a_procedure_of_its_own_instead_of_the_amount_paid_leaves_the_form(run):
    text = "quiero poner un reclamo"
    tracker = make_tracker(slots={"requested_slot": "payment_amount", "payment_amount": text, "journey": "report_payment",
                                  "account_number": "100200301", "account_verified": True},
                           intent="file_complaint", text=text, active_loop="payment_report_form")
    outcome = await run(ValidatePaymentReportForm(), tracker)
    assert "Parece que me pides otra cosa" in outcome.text and "¿Cuánto pagaste?" not in outcome.text
    assert outcome.slots()["requested_slot"] is None and outcome.slots()["payment_report_failed"] is True


async def test_an_amount_not_understood_is_asked_for_once(run):
    tracker = make_tracker(slots={"requested_slot": "payment_amount", "payment_amount": "mucho"}, text="mucho",
                           intent="inform", active_loop="payment_report_form")
    outcome = await run(ValidatePaymentReportForm(), tracker)
    # the reason only: the form itself asks "¿Cuánto pagaste?" next, so the question is never said twice
    assert outcome.text == "No reconocí el valor." and outcome.slots()["payment_amount"] is None
