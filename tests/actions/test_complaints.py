"""Complaints get a ticket and a regulatory deadline in business days; status only to the owner."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from actions.complaints import ActionSubmitComplaint, ValidateComplaintForm, category_of
from actions.journeys import ActionRunJourney
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.tickets import business_days_after
from tests.actions.conftest import make_tracker
from tests.actions.test_billing import verified


def test_business_days_skip_weekends_and_public_holidays():
    friday = dt.date(2026, 11, 27)
    assert business_days_after(friday, 1) == dt.date(2026, 11, 30)
    assert business_days_after(friday, 15) == dt.date(2026, 12, 21)  # Tuesday 8 December is a holiday in Colombia
    assert business_days_after(friday, 15, "PE") == dt.date(2026, 12, 22)  # Peru also rests on the 9th (Ayacucho)
    assert business_days_after(dt.date(2026, 12, 30), 1) == dt.date(2026, 12, 31)


def test_the_category_is_understood_from_words_numbers_or_buttons():
    assert category_of("facturacion") == "facturacion"
    assert category_of("3") == "danos_electrodomesticos"
    assert category_of("me cobraron de más") == "facturacion"
    assert category_of("blablá") is None


async def test_a_complaint_is_filed_with_ticket_history_and_deadline(run, database_url):
    tracker = verified("100200301", journey="file_complaint", complaint_category="facturacion",
                       complaint_description="Me cobraron dos veces la factura de octubre")
    outcome = await run(ActionSubmitComplaint(), tracker)
    ticket = outcome.slots()["last_ticket"]
    assert ticket.startswith("RC-") and ticket in outcome.text
    assert "15 días hábiles" in outcome.text
    with session_scope(engine_for(database_url)) as session:
        complaint = session.execute(select(m.Complaint).where(m.Complaint.ticket == ticket)).scalar_one()
        history = [event.status for event in complaint.history]
    assert complaint.status == m.TicketStatus.received and history == [m.TicketStatus.received]
    assert complaint.due_at > complaint.filed_at + dt.timedelta(days=18)


async def test_a_too_short_description_is_asked_again(run):
    tracker = make_tracker(slots={"requested_slot": "complaint_description", "complaint_description": "mal"},
                           text="mal", active_loop="complaint_form")
    outcome = await run(ValidateComplaintForm(), tracker)
    assert outcome.slots()["complaint_description"] is None and "Cuéntame un poco más" in outcome.text


async def test_cancel_leaves_the_form(run):
    tracker = make_tracker(slots={"requested_slot": "complaint_description", "complaint_description": "cancelar"},
                           text="cancelar", active_loop="complaint_form")
    outcome = await run(ValidateComplaintForm(), tracker)
    assert outcome.slots()["complaint_failed"] is True and outcome.slots()["requested_slot"] is None
    assert "lo dejamos aquí" in outcome.text


async def test_an_overdue_complaint_is_said_to_be_past_its_deadline(run):
    outcome = await run(ActionRunJourney(), verified("100200306", "+573001234506", "complaint_status"))
    assert "RC-0000001" in outcome.text and "plazo legal venció" in outcome.text


async def test_another_customers_ticket_reveals_nothing(run):
    tracker = verified("100200301", journey="complaint_status")
    tracker.latest_message["entities"] = [{"entity": "ticket_id", "value": "RC-0000001"}]
    outcome = await run(ActionRunJourney(), tracker)
    assert "No encuentro el reclamo RC-0000001 en tu cuenta" in outcome.text
    assert "Cobro excesivo" not in outcome.text


async def test_the_category_question_lets_the_customer_leave_for_later(run):
    said = "no, mejor lo dejo así, otro día"
    tracker = make_tracker(slots={"requested_slot": "complaint_category", "complaint_category": said}, text=said,
                           active_loop="complaint_form")
    outcome = await run(ValidateComplaintForm(), tracker)
    assert outcome.slots()["complaint_failed"] is True and outcome.slots()["requested_slot"] is None
    assert "lo dejamos aquí" in outcome.text and "No identifiqué el motivo" not in outcome.text


async def test_a_question_at_the_category_question_is_answered_and_the_category_asked_again(run):
    said = "¿cuál es la tarifa del kilovatio?"
    tracker = make_tracker(slots={"requested_slot": "complaint_category", "complaint_category": said, "journey": "file_complaint"},
                           intent="tariff_info", text=said, active_loop="complaint_form")
    outcome = await run(ValidateComplaintForm(), tracker)
    assert "kWh" in outcome.text and "Parece que me pides otra cosa" not in outcome.text
    assert outcome.slots() == {"complaint_category": None}  # the form goes on and asks the category again


async def test_the_balance_asked_at_the_category_question_is_answered_and_the_form_goes_on(run):
    said = "antes dime cuánto debo"
    tracker = make_tracker(slots={"requested_slot": "complaint_category", "complaint_category": said, "journey": "file_complaint",
                                  "account_number": "100200301", "account_verified": True},
                           intent="check_balance", text=said, active_loop="complaint_form")
    outcome = await run(ValidateComplaintForm(), tracker)
    assert "$" in outcome.text and "Parece que me pides otra cosa" not in outcome.text
    assert outcome.slots() == {"complaint_category": None}


async def test_a_procedure_of_its_own_at_the_category_question_leaves_the_form(run):
    said = "mejor actualicen mi correo electrónico"
    tracker = make_tracker(slots={"requested_slot": "complaint_category", "complaint_category": said, "journey": "file_complaint",
                                  "account_number": "100200301", "account_verified": True},
                           intent="update_contact", text=said, active_loop="complaint_form")
    outcome = await run(ValidateComplaintForm(), tracker)
    assert "Parece que me pides otra cosa" in outcome.text and "No identifiqué el motivo" not in outcome.text
    assert outcome.slots()["requested_slot"] is None


async def test_a_category_said_in_the_request_is_not_asked_again(run):
    from actions.journeys import ActionRunJourney
    from tests.actions.test_billing import verified

    said = await run(ActionRunJourney(), verified("100200301", journey="file_complaint", journey_text="me cobraron de más"))
    assert said.slots()["complaint_category"] == "facturacion" and "«Facturación o cobros»" in said.text
    vague = await run(ActionRunJourney(), verified("100200301", journey="file_complaint", journey_text="quiero poner un reclamo"))
    assert "complaint_category" not in vague.slots()  # nothing named: the form asks
