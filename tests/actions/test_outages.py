"""Outages and safety: known outages are told, not duplicated; hazards come first."""
from __future__ import annotations

from sqlalchemy import select

from actions.journeys import ActionRunJourney
from actions.outages import ActionHazardLocation, ActionReportHazard
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from tests.actions.conftest import make_tracker
from tests.actions.test_billing import verified


def report(database_url, ticket):
    with session_scope(engine_for(database_url)) as session:
        return session.execute(select(m.OutageReport).where(m.OutageReport.ticket == ticket)).scalar_one()


async def test_a_known_outage_in_the_zone_is_told_with_its_restoration_time(run):
    outcome = await run(ActionRunJourney(), verified("100200304", "+573001234504", "report_outage"))
    assert "Ya sabemos de este corte" in outcome.text
    assert "Estimamos que la energía vuelva" in outcome.text
    assert "last_ticket" not in outcome.slots()  # no new ticket for a known outage


async def test_an_outage_nobody_reported_gets_a_ticket(run, database_url):
    outcome = await run(ActionRunJourney(), verified("100200301", journey="report_outage"))
    ticket = outcome.slots()["last_ticket"]
    assert ticket.startswith("AV-") and ticket in outcome.text
    assert report(database_url, ticket).account_id is not None
    again = await run(ActionRunJourney(), verified("100200301", journey="report_outage"))
    assert f"Ya tienes un reporte abierto, el {ticket}" in again.text


async def test_a_supply_suspended_for_non_payment_is_told_why_it_has_no_power(run):
    outcome = await run(ActionRunJourney(), verified("100200302", "+573001234502", "report_outage"))
    assert "suspendido por falta de pago" in outcome.text


async def test_outage_status_gives_the_estimate(run):
    outcome = await run(ActionRunJourney(), verified("100200304", "+573001234504", "outage_status"))
    assert "Hay un corte en curso" in outcome.text


async def test_planned_outages_of_the_customers_zone_next_two_weeks(run):
    outcome = await run(ActionRunJourney(), verified("100200301", journey="planned_outages"))
    assert "Cortes programados en tu zona (Chapinero)" in outcome.text
    quiet = await run(ActionRunJourney(), verified("100200304", "+573001234504", "planned_outages"))
    assert "No hay cortes programados" in quiet.text


async def test_a_hazard_gets_safety_instructions_first_and_an_emergency_ticket(run, database_url):
    tracker = make_tracker("+573109990001", intent="report_hazard", text="hay un cable caido echando chispas")
    outcome = await run(ActionReportHazard(), tracker)
    assert outcome.texts[0].startswith("⚠️ Por tu seguridad") and "quien esté adentro debe quedarse adentro" in outcome.texts[0]
    ticket = outcome.slots()["hazard_ticket"]
    saved = report(database_url, ticket)
    assert ticket.startswith("EM-") and saved.priority == 1 and saved.kind == "hazard"
    located = await run(ActionHazardLocation(), make_tracker("+573109990001", slots={
        "hazard_ticket": ticket, "hazard_address": "Calle 10 con carrera 5"}))
    assert "Calle 10 con carrera 5" in located.text
    assert report(database_url, ticket).address == "Calle 10 con carrera 5"


async def test_a_hazard_with_its_address_is_not_asked_where(run):
    tracker = make_tracker("+573109990001", intent="report_hazard", text="poste caido en la calle 45 # 12-30",
                           entities=[{"entity": "address", "value": "calle 45 # 12-30"}])
    outcome = await run(ActionReportHazard(), tracker)
    assert outcome.slots()["hazard_ticket"] is None
    assert "calle 45 # 12-30" in outcome.text


async def test_a_street_address_the_entity_extractor_missed_is_not_asked_again(run, database_url):
    tracker = make_tracker("+573109990002", intent="report_hazard", text="hay un poste tirado en la calle Juárez 45, con cables pelados")
    outcome = await run(ActionReportHazard(), tracker)
    assert outcome.slots()["hazard_ticket"] is None and "«calle Juárez 45»" in outcome.text
    assert report(database_url, outcome.slots()["last_ticket"]).address == "calle Juárez 45"


async def test_damaged_appliances_lead_to_a_complaint(run):
    tracker = verified("100200301", journey="report_power_quality", journey_text="con los bajones se me quemo la nevera")
    outcome = await run(ActionRunJourney(), tracker)
    assert outcome.slots()["last_ticket"].startswith("CS-")
    assert outcome.messages[-1]["buttons"][0]["payload"] == "/file_complaint"


async def test_smoke_at_the_meter_of_a_registered_home_gets_home_advice_and_its_address(run, database_url):
    tracker = make_tracker("+573001234505", intent="report_hazard", text="huele a quemado y sale humo del contador de la luz")
    outcome = await run(ActionReportHazard(), tracker)
    assert "interruptor general" in outcome.texts[0] and "no toques el cable, el poste" not in outcome.texts[0]
    assert outcome.slots()["hazard_ticket"] is None and "«Calle 127 # ***»" in outcome.text
    assert report(database_url, outcome.slots()["last_ticket"]).address == "Calle 127 # 15-40"


async def test_medical_equipment_at_home_gets_advice_and_a_person_offered(run):
    tracker = verified("100200304", "+573001234504", "report_outage",
                       journey_text="estamos sin luz en todo el barrio y mi mamá usa oxígeno, cuánto se demoran?")
    outcome = await run(ActionRunJourney(), tracker)
    assert "Ya sabemos de este corte" in outcome.texts[0]
    assert "equipo médico" in outcome.texts[-1] and outcome.messages[-1]["buttons"][0]["payload"] == "/request_agent"
    plain = await run(ActionRunJourney(), verified("100200304", "+573001234504", "outage_status", journey_text="ya volvió la luz?"))
    assert "equipo médico" not in plain.text


async def test_planned_outages_of_a_named_zone_need_no_identification(run, database_url):
    from actions.identity import ActionStartJourney

    with session_scope(engine_for(database_url)) as session:  # a zone with planned work in the seed
        zone = session.execute(select(m.Zone).join(m.OutageArea, m.OutageArea.zone_id == m.Zone.id).join(m.Outage)
                               .where(m.Outage.kind == m.OutageKind.planned)).scalars().first().name
    outcome = await run(ActionStartJourney(), make_tracker("+573109990012", intent="planned_outages",
                                                           text=f"hay cortes programados en {zone.lower()} esta semana?"))
    assert outcome.text.startswith(f"Cortes programados en {zone}:")
    assert outcome.slots()["journey"] is None and outcome.slots()["identify_failed"] is True
    plain = await run(ActionStartJourney(), make_tracker("+573109990012", intent="planned_outages", text="hay cortes programados?"))
    assert plain.slots()["journey"] == "planned_outages" and plain.text == ""


async def test_in_an_emergency_a_landmark_is_a_place_even_when_it_reads_like_a_request(run):
    from actions.outages import ValidateHazardForm

    def answer(text, intent):
        return make_tracker("+573109990015", slots={"requested_slot": "hazard_address", "hazard_address": text,
                                                   "hazard_ticket": "EM-0000001"},
                            intent=intent, text=text, active_loop="hazard_form")

    landmark = await run(ValidateHazardForm(), answer("frente al banco de la esquina", "pay_bill"))
    assert landmark.slots()["hazard_address"] == "frente al banco de la esquina"
    other = await run(ValidateHazardForm(), answer("quiero poner un reclamo", "file_complaint"))
    assert other.slots()["hazard_address"] is None and "dónde está el peligro" in other.text


async def test_anyone_may_report_an_outage_where_they_are_or_ask_about_a_zone(run, database_url):
    from actions.identity import ActionStartJourney, ValidateIdentifyForm

    tenant = await run(ActionStartJourney(), make_tracker("+573109990017", intent="report_outage",
                                                          text="se fue la luz en mi casa, barrio Bosa, cra 80 # 65 sur"))
    assert "Registré el reporte de falta de energía en «cra 80 # 65, Bosa»" in tenant.text
    assert tenant.slots()["journey"] is None
    ticket = next(w.strip(".,:") for w in tenant.text.split() if w.startswith("AV-"))
    assert report(database_url, ticket).phone == "+573109990017"
    kennedy = await run(ActionStartJourney(), make_tracker("+573109990018", intent="outage_status",
                                                           text="cuando vuelve la luz en Kennedy?"))
    assert "Ya sabemos del corte en Kennedy" in kennedy.text
    customer = await run(ActionStartJourney(), make_tracker("+573001234504", intent="report_outage", text="no hay luz en Kennedy"))
    assert customer.slots()["journey"] == "report_outage" and customer.text == ""  # a customer: tied to the supply
    asked = make_tracker("+573109990019", intent="inform", active_loop="identify_form", text="no lo tengo, es en la calle 10 # 5-20 de Suba",
                         slots={"journey": "report_outage", "requested_slot": "account_number",
                                "account_number": "no lo tengo, es en la calle 10 # 5-20 de Suba"})
    located = await run(ValidateIdentifyForm(), asked)
    assert "Registré el reporte de falta de energía en «calle 10 # 5-20, Suba»" in located.text
    assert located.slots()["requested_slot"] is None and located.slots()["journey"] is None
