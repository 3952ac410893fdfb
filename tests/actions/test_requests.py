"""Procedures: each validates what the customer says and leaves a record."""
from __future__ import annotations

from sqlalchemy import select

from actions.information import ActionDistributedGeneration, ActionOfficeInfo, ActionTariffInfo
from actions.journeys import ActionRunJourney
from actions.requests import (
    ActionSubmitChangeOwner,
    ActionSubmitConnection,
    ActionSubmitContact,
    ActionSubmitMeterReading,
    ValidateContactForm,
    ValidateMeterReadingForm,
)
from bot import records
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from tests.actions.conftest import make_tracker
from tests.actions.test_billing import verified


def last_reading(database_url, number):
    with session_scope(engine_for(database_url)) as session:
        return records.last_reading(session, records.account_by_number(session, number)).value_kwh


def reading_form(value, number="100200301", intent="inform"):
    return make_tracker(slots={"requested_slot": "meter_reading", "meter_reading": value, "account_number": number,
                               "account_verified": True}, intent=intent, text=value, active_loop="meter_reading_form")


async def test_a_reading_below_the_last_one_is_refused(run, database_url):
    last = last_reading(database_url, "100200301")
    outcome = await run(ValidateMeterReadingForm(), reading_form(str(int(last) - 1)))
    assert outcome.slots()["meter_reading"] is None and "menor que la última" in outcome.text


async def test_a_reading_below_an_estimate_is_what_corrects_it(run, database_url):
    with session_scope(engine_for(database_url)) as session:  # Pedro's bill was estimated above his meter
        account = records.account_by_number(session, "100200306")
        estimate, measured = records.last_reading(session, account), records.last_reading(session, account, measured_only=True)
        assert estimate.reading_type == m.ReadingType.estimated and estimate.value_kwh > measured.value_kwh
        between = str(int(measured.value_kwh) + 1)
    outcome = await run(ValidateMeterReadingForm(), reading_form(between, "100200306"))
    assert outcome.slots()["meter_reading"] == between


async def test_an_absurd_jump_is_refused_and_letters_are_explained(run, database_url):
    last = last_reading(database_url, "100200301")
    jump = await run(ValidateMeterReadingForm(), reading_form(str(int(last) + 90000)))
    assert "muy por encima de lo normal" in jump.text
    letters = await run(ValidateMeterReadingForm(), reading_form("abc"))
    assert "solo los números" in letters.text
    too_long = await run(ValidateMeterReadingForm(), reading_form("99999999"))
    assert "demasiadas cifras" in too_long.text and too_long.slots()["meter_reading"] is None


async def test_a_plausible_reading_is_recorded_as_a_customer_reading(run, database_url):
    last = last_reading(database_url, "100200301")
    value = str(int(last) + 50)
    valid = await run(ValidateMeterReadingForm(), reading_form(value))
    assert valid.slots()["meter_reading"] == value
    saved = await run(ActionSubmitMeterReading(), verified("100200301", meter_reading=value))
    assert f"registré la lectura {value}" in saved.text
    assert last_reading(database_url, "100200301") == int(value)


async def test_contact_data_is_validated_then_saved(run, database_url):
    bad = await run(ValidateContactForm(), make_tracker(slots={"requested_slot": "contact_value", "contact_value": "ana@@x"},
                                                        text="ana@@x", active_loop="contact_form"))
    assert bad.slots()["contact_value"] is None
    good = await run(ValidateContactForm(), make_tracker(slots={"requested_slot": "contact_value", "contact_value": "Ana.Nueva@Gmail.com"},
                                                         text="Ana.Nueva@Gmail.com", active_loop="contact_form"))
    assert good.slots()["contact_value"] == "ana.nueva@gmail.com"
    await run(ActionSubmitContact(), verified("100200301", contact_value="ana.nueva@gmail.com"))
    with session_scope(engine_for(database_url)) as session:
        assert records.account_by_number(session, "100200301").customer.email == "ana.nueva@gmail.com"


async def test_alerts_consent_is_recorded_both_ways(run, database_url):
    await run(ActionRunJourney(), verified("100200301", journey="unsubscribe_alerts"))
    with session_scope(engine_for(database_url)) as session:
        assert records.account_by_number(session, "100200301").customer.notifications_consent is False
    await run(ActionRunJourney(), verified("100200301", journey="subscribe_alerts"))
    with session_scope(engine_for(database_url)) as session:
        assert records.account_by_number(session, "100200301").customer.notifications_consent is True


async def test_e_billing_enrolment_uses_the_registered_email(run, database_url):
    outcome = await run(ActionRunJourney(), verified("100200304", "+573001234504", "enroll_ebill"))
    assert "@example.com" in outcome.text or "Ya recibes" in outcome.text
    with session_scope(engine_for(database_url)) as session:
        assert records.account_by_number(session, "100200304").e_billing is True


async def test_a_new_connection_request_is_recorded_without_identification(run, database_url):
    tracker = make_tracker("+573109990009", slots={"connection_address": "Vereda El Rosal lote 4", "connection_use": "residencial"})
    outcome = await run(ActionSubmitConnection(), tracker)
    ticket = outcome.slots()["last_ticket"]
    with session_scope(engine_for(database_url)) as session:
        request = session.execute(select(m.ServiceRequest).where(m.ServiceRequest.ticket == ticket)).scalar_one()
    assert request.kind == "new_connection" and request.details["address"] == "Vereda El Rosal lote 4"


async def test_a_second_new_connection_question_is_told_the_request_under_way(run):
    from actions.requests import ActionAskConnectionAddress

    first = await run(ActionAskConnectionAddress(), make_tracker("+573109990011"))
    assert "¿Cuál es la dirección del predio" in first.text
    filed = await run(ActionSubmitConnection(), make_tracker("+573109990011", slots={
        "connection_address": "Carrera 15 # 45-20", "connection_use": "residencial"}))
    again = await run(ActionAskConnectionAddress(), make_tracker("+573109990011"))
    assert f"Ya tienes en curso la solicitud de conexión nueva {filed.slots()['last_ticket']}" in again.text
    assert "RETIE" in again.text and "«cancelar»" in again.text


async def test_a_change_of_owner_is_recorded_with_the_documents_to_send(run):
    tracker = make_tracker("+573109990009", slots={"owner_account": "100200301", "new_owner_name": "Luis Pérez"})
    outcome = await run(ActionSubmitChangeOwner(), tracker)
    assert "Luis Pérez" in outcome.text and "documento de identidad" in outcome.text


async def test_tariffs_come_from_the_tariff_table(run, database_url, today):
    outcome = await run(ActionTariffInfo(), make_tracker(intent="tariff_info"))
    with session_scope(engine_for(database_url)) as session:
        tariffs = records.current_tariffs(session, today)
    assert len(tariffs) == 4 and all(t.name in outcome.text for t in tariffs)


async def test_a_prosumer_sees_exported_energy_and_credits(run):
    outcome = await run(ActionDistributedGeneration(), make_tracker("+573001234505", intent="distributed_generation"))
    assert "5,4 kWp" in outcome.text and "créditos" in outcome.text


async def test_anyone_else_learns_how_to_become_a_prosumer(run):
    outcome = await run(ActionDistributedGeneration(), make_tracker("+573001234501", intent="distributed_generation"))
    assert "paneles solares" in outcome.text and "kWp" not in outcome.text


async def test_offices_and_hours(run):
    outcome = await run(ActionOfficeInfo(), make_tracker(intent="office_info"))
    assert "Horario" in outcome.text


async def test_e_billing_to_an_email_given_in_the_request_registers_that_email(run, database_url):
    tracker = verified("100200305", "+573001234505", "enroll_ebill",
                       journey_text="quiero la factura virtual pero al correo Lucia.Nueva@gmail.com, por favor")
    outcome = await run(ActionRunJourney(), tracker)
    assert "lu***@gmail.com" in outcome.text
    with session_scope(engine_for(database_url)) as session:
        account = records.account_by_number(session, "100200305")
        assert account.customer.email == "lucia.nueva@gmail.com" and account.e_billing is True


async def test_the_new_owner_may_be_written_with_their_id_number(run):
    from actions.requests import ValidateChangeOwnerForm

    for said, expected in [("Andrea Gómez Ruiz, cédula 52123456", "Andrea Gómez Ruiz"), ("luis perez cc 1020", "Luis Perez")]:
        tracker = make_tracker("+573109990010", slots={"requested_slot": "new_owner_name", "new_owner_name": said,
                                                       "owner_account": "100200301"}, text=said, active_loop="change_owner_form")
        assert (await run(ValidateChangeOwnerForm(), tracker)).slots()["new_owner_name"] == expected
    tracker = make_tracker("+573109990010", slots={"requested_slot": "new_owner_name", "new_owner_name": "52123456",
                                                   "owner_account": "100200301"}, text="52123456", active_loop="change_owner_form")
    assert "nombre completo" in (await run(ValidateChangeOwnerForm(), tracker)).text


async def test_a_new_connection_address_must_look_like_one(run):
    from actions.requests import ValidateConnectionForm

    async def address(text):
        tracker = make_tracker("+573109990016", slots={"requested_slot": "connection_address", "connection_address": text},
                               intent="inform", text=text, active_loop="connection_form")
        return (await run(ValidateConnectionForm(), tracker)).slots()["connection_address"]

    assert await address("Vereda El Rosal lote 4") == "Vereda El Rosal lote 4"
    assert await address("Cra 15 # 45-20, Bosa") == "Cra 15 # 45-20, Bosa"
    assert await address("mejor después, no tengo la dirección a mano") is None
    assert await address("100200303") is None  # an account number, not a place


async def test_contact_data_change_only_from_a_registered_phone(run, database_url):
    # verified by the id digits from an unknown phone: adding that phone would give lasting access
    outcome = await run(ActionSubmitContact(), verified("100200302", "+573109990021", "update_contact", contact_value="+573109990021"))
    assert "Por seguridad" in outcome.text and "actualicé" not in outcome.text
    with session_scope(engine_for(database_url)) as session:
        phones = {p.number for p in records.account_by_number(session, "100200302").customer.phones}
    assert "+573109990021" not in phones
    owner = await run(ActionSubmitContact(), verified("100200302", "+573001234502", "update_contact", contact_value="+573001112233"))
    assert "actualicé tu celular" in owner.text


async def test_a_contact_change_that_may_not_be_finished_is_refused_before_the_new_data_is_asked(run):
    from actions.journeys import ActionRunJourney

    started = await run(ActionRunJourney(), verified("100200302", "+573109990022", "update_contact"))
    assert "solo se cambian escribiendo desde un celular ya registrado" in started.text
    assert started.slots()["contact_failed"] is True
    form = await run(ValidateContactForm(), make_tracker("+573109990022", slots={"contact_failed": True},
                                                         active_loop="contact_form"))
    assert form.messages == [] and form.slots()["requested_slot"] is None  # ends without asking anything
    allowed = await run(ActionRunJourney(), verified("100200302", "+573001234502", "update_contact"))
    assert allowed.text == "" and not allowed.slots().get("contact_failed")  # the owner's phone: the form asks
