"""Procedures: each validates what the customer says and leaves a record."""
from __future__ import annotations

import re

from sqlalchemy import delete, select

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


def code_sent(database_url, number):
    """The latest contact-change code, as the customer reads it on the channel it went to."""
    with session_scope(engine_for(database_url)) as session:
        account = records.account_by_number(session, number)
        notice = session.execute(select(m.Notification).where(
            m.Notification.account_id == account.id, m.Notification.kind == "contact_code")
            .order_by(m.Notification.id.desc()).limit(1)).scalar_one()
        return re.search(r"\b(\d{6})\b", notice.body).group(1), notice.channel, notice.address


def contact_form(sender, number, slot, value, **slots):
    return make_tracker(sender, slots={"requested_slot": slot, slot: value, "account_number": number,
                                       "account_verified": True, "journey": "update_contact", **slots},
                        intent="inform", text=value, active_loop="contact_form")


async def test_contact_data_is_validated_then_confirmed_with_a_code_then_saved(run, database_url):
    bad = await run(ValidateContactForm(), contact_form("+573001234501", "100200301", "contact_value", "ana@@x"))
    assert bad.slots()["contact_value"] is None and "no parece válido" in bad.text
    good = await run(ValidateContactForm(), contact_form("+573001234501", "100200301", "contact_value", "Ana.Nueva@Gmail.com"))
    assert good.slots()["contact_value"] == "ana.nueva@gmail.com"
    assert "te envié un código de 6 dígitos por" in good.text and "terminado en 4501" in good.text
    code, channel, address = code_sent(database_url, "100200301")
    assert (channel, address) == ("sms", "+573001234501")  # a text to the phone already on the account
    wrong = "000000" if code != "000000" else "111111"
    miss = await run(ValidateContactForm(), contact_form("+573001234501", "100200301", "contact_code", wrong,
                                                         contact_value="ana.nueva@gmail.com"))
    assert miss.slots()["contact_code"] is None and "no coincide. Te quedan 2 intentos" in miss.text
    right = await run(ValidateContactForm(), contact_form("+573001234501", "100200301", "contact_code", f"es {code}",
                                                          contact_value="ana.nueva@gmail.com"))
    assert right.slots()["contact_code"] == "confirmado" and right.text == ""
    done = await run(ActionSubmitContact(), verified("100200301", contact_value="ana.nueva@gmail.com", contact_code="confirmado"))
    assert "actualicé tu correo: ana.nueva@gmail.com" in done.text
    with session_scope(engine_for(database_url)) as session:
        assert records.account_by_number(session, "100200301").customer.email == "ana.nueva@gmail.com"
    again = await run(ActionSubmitContact(), verified("100200301", contact_value="ana.nueva@gmail.com", contact_code="confirmado"))
    assert "no cambié nada" in again.text  # a code is redeemed once


async def test_a_forged_confirmation_changes_nothing(run, database_url):
    # the slots say the code was typed and right; the records say no code was ever confirmed here
    outcome = await run(ActionSubmitContact(), verified("100200302", "+573109990021", "update_contact",
                                                        contact_value="+573109990021", contact_code="confirmado"))
    assert "no cambié nada" in outcome.text and "actualicé" not in outcome.text
    with session_scope(engine_for(database_url)) as session:
        phones = {p.number for p in records.account_by_number(session, "100200302").customer.phones}
    assert "+573109990021" not in phones


async def test_an_outsider_verified_by_the_id_digits_never_sees_the_code_and_cannot_guess_it(run, database_url):
    outsider = "+573109990023"  # knows Carlos's account and id digits, writes from their own phone
    asked = await run(ValidateContactForm(), contact_form(outsider, "100200302", "contact_value", outsider))
    assert "terminado en 4502" in asked.text  # the code went to Carlos's registered phone, not to the outsider
    code, _, address = code_sent(database_url, "100200302")
    assert address == "+573001234502"
    guesses = [g for g in ("123456", "654321", "111111", "222222") if g != code][:3]
    answers = [await run(ValidateContactForm(), contact_form(outsider, "100200302", "contact_code", g, contact_value=outsider))
               for g in guesses]
    assert "Te quedan 2 intentos" in answers[0].text and "Te queda 1 intento" in answers[1].text
    assert "ya no quedan intentos" in answers[2].text and answers[2].slots()["requested_slot"] is None
    late = await run(ValidateContactForm(), contact_form(outsider, "100200302", "contact_code", code, contact_value=outsider))
    assert late.slots().get("contact_code") is None and "no cambié nada" in late.text  # even the right code, now closed
    submit = await run(ActionSubmitContact(), verified("100200302", outsider, contact_value=outsider, contact_code="confirmado"))
    assert "actualicé" not in submit.text
    with session_scope(engine_for(database_url)) as session:
        assert outsider not in {p.number for p in records.account_by_number(session, "100200302").customer.phones}


async def test_an_expired_code_is_refused(run, database_url):
    import datetime as dt

    from bot import clock

    await run(ValidateContactForm(), contact_form("+573001234503", "100200303", "contact_value", "3001112299"))
    code, _, _ = code_sent(database_url, "100200303")
    with clock.travel_to(clock.now() + dt.timedelta(minutes=11)):
        late = await run(ValidateContactForm(), contact_form("+573001234503", "100200303", "contact_code", code,
                                                             contact_value="+573001112299"))
    assert "ya venció" in late.text and late.slots()["requested_slot"] is None


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


async def test_e_billing_to_another_email_offers_the_change_with_its_code(run, database_url):
    tracker = verified("100200305", "+573001234505", "enroll_ebill",
                       journey_text="quiero la factura virtual pero al correo Lucia.Nueva@gmail.com, por favor")
    outcome = await run(ActionRunJourney(), tracker)
    assert "lu***@example.com" in outcome.text  # enrolled with the registered e-mail
    assert "Para recibirla en lucia.nueva@gmail.com primero cambiamos tu correo" in outcome.text
    assert {"title": "Cambiar mi correo", "payload": "/update_contact"} in outcome.messages[-1]["buttons"]
    with session_scope(engine_for(database_url)) as session:
        account = records.account_by_number(session, "100200305")
        assert account.customer.email == "lucia.herrera@example.com" and account.e_billing is True


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


async def test_a_contact_change_that_cannot_be_confirmed_is_refused_before_the_new_data_is_asked(run, database_url):
    from actions.journeys import ActionRunJourney

    with session_scope(engine_for(database_url)) as session:  # a holder with a landline only: nowhere to send a code
        model = records.account_by_number(session, "100200301")
        holder = m.Customer(national_id="99887766", full_name="Rosa Landline", preferred_channel=m.Channel.sms)
        session.add(holder)
        session.flush()
        session.add(m.Phone(customer_id=holder.id, number="+5716010000", is_mobile=False))
        session.add(m.Account(account_number="100299901", customer_id=holder.id, address="Calle 1 # 2-3",
                              neighborhood=model.neighborhood, city=model.city, zone_id=model.zone_id,
                              feeder_id=model.feeder_id, tariff_code=model.tariff_code, meter_number="MX-99901"))
    try:
        started = await run(ActionRunJourney(), verified("100299901", "+573109990022", "update_contact"))
    finally:  # the population other tests count stays the seed's
        with session_scope(engine_for(database_url)) as session:
            session.execute(delete(m.Account).where(m.Account.account_number == "100299901"))
            session.execute(delete(m.Phone).where(m.Phone.number == "+5716010000"))
            session.execute(delete(m.Customer).where(m.Customer.national_id == "99887766"))
    assert "no tiene ninguno donde enviarlo" in started.text and "/request_agent" in str(started.messages)
    assert started.slots()["contact_failed"] is True
    form = await run(ValidateContactForm(), make_tracker("+573109990022", slots={"contact_failed": True},
                                                         active_loop="contact_form"))
    assert form.messages == [] and form.slots()["requested_slot"] is None  # ends without asking anything
    allowed = await run(ActionRunJourney(), verified("100200302", "+573109990022", "update_contact"))
    assert allowed.text == "" and not allowed.slots().get("contact_failed")  # a code can reach Carlos: the form asks
