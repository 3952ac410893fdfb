"""Outages and safety: no power, when it returns, planned interruptions, quality, hazards."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import List, Optional
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.context import sender_phone, settings, with_records
from actions.handoff import hand_off
from actions.journeys import JourneyContext, Outcome, asks_for_another_journey, journey, public_answer
from actions.replies import Reply, send_all
from actions.safety import GuardedAction, GuardedFormValidation
from bot import cases, clock, grouping, records, restoration
from bot.concepts import PATTERNS
from bot.db import models as m
from bot.formatting import mask_address, moment, time_of_day
from bot.text import fold

PLANNED_HORIZON_DAYS = 14
SAFETY_INSTRUCTIONS = (
    "⚠️ Por tu seguridad: aléjate al menos 10 metros y no toques el cable, el poste ni nada que esté en contacto "
    "con ellos (agua, rejas, árboles). Mantén alejados a niños y mascotas. Si un cable cayó sobre un carro, quien "
    "esté adentro debe quedarse adentro hasta que llegue la cuadrilla. Si hay fuego o alguien está herido, "
    "llama ya al 123. No intentes apagarlo con agua."
)
# Smoke, sparks or fire at the meter or inside the home: the breaker, not the street, is what to act on.
SAFETY_AT_HOME = (
    "⚠️ Por tu seguridad: si puedes hacerlo sin acercarte al fuego ni tocar nada mojado, baja el interruptor "
    "general (taco o breaker) de la casa; si no, no te acerques. No toques el medidor ni los cables y no uses "
    "agua: si hay llamas, usa un extintor de polvo químico (o échales sal de cocina) y llama ya al 123. Saca a niños y mascotas."
)
AT_HOME = re.compile(r"\b(medidor|contador|tablero|breaker|taco|enchufe|toma ?corriente|interruptor)\b")


def safety_instructions(text: str) -> str:
    return SAFETY_AT_HOME if AT_HOME.search(fold(text or "")) else SAFETY_INSTRUCTIONS


def _tz() -> str:
    return settings().timezone


def _suspended(ctx: JourneyContext) -> Optional[Outcome]:
    if ctx.account.status == m.AccountStatus.suspended:
        return [Reply(
            f"Tu suministro de la cuenta {ctx.account.account_number} está suspendido por falta de pago; por eso no "
            "tienes luz, no es una falla de la red. Cuando pagues lo pendiente, programamos la reconexión.",
            [("Ver cuánto debo", "/check_balance"), ("Acuerdo de pago", "/payment_arrangement")],
        )], {}
    return None


# Someone at home depends on electricity to stay alive or well: say what to do now, and offer a person.
MEDICAL = re.compile(r"\b(oxigeno|respirador|concentrador|ventilador mecanico|dialisis|electrodependiente|equipo medico|"
                     r"equipos medicos|nebulizador|cpap|bomba de insulina)\b")
MEDICAL_NOTE = (
    "Si alguien en casa depende de un equipo médico, usa ya su batería o respaldo; si no tiene o se está agotando, "
    "acude a un centro de salud o llama al 123. Si quieres, te comunico con una persona de nuestro equipo."
)


def medical_note(outcome: Outcome, ctx: JourneyContext) -> Outcome:
    """The outage answer, followed by the medical advice when the customer mentions medical equipment."""
    replies, slots = outcome
    if MEDICAL.search(fold(ctx.tracker.get_slot("journey_text") or "")):
        replies = replies + [Reply(MEDICAL_NOTE, [("Hablar con un asesor", "/request_agent")])]
    return replies, slots


@journey("report_outage")
def report_outage(session: Session, ctx: JourneyContext) -> Outcome:
    return medical_note(_report_outage(session, ctx), ctx)


def _report_outage(session: Session, ctx: JourneyContext) -> Outcome:
    suspended = _suspended(ctx)
    if suspended:
        return suspended
    outage = records.active_outage_for(session, ctx.account)
    if outage is not None:
        cases.report_problem(session, kind="no_power", channel=ctx.channel, account=ctx.account, phone=ctx.phone,
                             outage=outage, description="Cliente confirma falta de energía (corte conocido)")
        eta = f" {_eta(session, outage)}" if outage.estimated_restoration_at else ""
        text = (
            f"Ya sabemos de este corte: afecta a tu zona ({ctx.account.neighborhood}) desde "
            f"{moment(outage.starts_at, _tz(), ctx.today)} por: {outage.cause.lower()}. Nuestro equipo ya está trabajando."
            f"{eta} No necesitas reportarlo de nuevo; te avisamos cuando se restablezca."
        )
        return [Reply(text, [("Avisarme por aquí", "/subscribe_alerts"), ("Nada más", "/thank")])], {}
    mine = [r for r in records.open_reports(session, ctx.account) if r.kind == "no_power"]
    existing = [r for r in mine if r.ticket]
    if existing:
        return [Reply(
            f"Ya tienes un reporte abierto, el {existing[0].ticket}, y nuestro equipo lo está atendiendo. "
            "Te avisamos en cuanto tengamos novedades.", [("Estado del corte", "/outage_status")])], {}
    suspected = grouping.covering(session, ctx.account)
    if suspected is not None and any(r.suspected_outage_id == suspected.id for r in mine):  # counted already
        return [Reply(_suspected_text(suspected, ctx, reported=False), [("Avisarme por aquí", "/subscribe_alerts")])], {}
    if suspected is not None:  # neighbours behind the same transformer or feeder reported it: counted, no new ticket
        report = cases.report_problem(session, kind="no_power", channel=ctx.channel, account=ctx.account, phone=ctx.phone,
                                      description="Sumado a un posible corte del sector", ticketed=False)
        grouping.count(suspected, report, clock.now())
        return [Reply(_suspected_text(suspected, ctx), [("Avisarme por aquí", "/subscribe_alerts"), ("Nada más", "/thank")])], {}
    report = cases.report_problem(session, kind="no_power", channel=ctx.channel, account=ctx.account, phone=ctx.phone)
    opened = grouping.consider(session, settings(), ctx.account, clock.now())
    advice = (
        "Mientras tanto, revisa si tus vecinos tienen luz y si el interruptor principal (los tacos o breakers) de tu "
        "casa está arriba; desconecta los equipos sensibles para protegerlos cuando vuelva la energía."
    )
    priority = " Como en tu hogar hay equipos médicos, tu caso tiene prioridad." if ctx.account.customer.electro_dependent else ""
    neighbours = " Varios vecinos de tu sector reportaron lo mismo: ya avisamos al equipo de operación." if opened else ""
    text = (
        f"Registré tu reporte de falta de energía en {mask_address(ctx.account.address)}: "
        f"número {report.ticket}. Una cuadrilla lo revisará.{neighbours}{priority} {advice}"
    )
    return [Reply(text, [("Estado del corte", "/outage_status"), ("Nada más", "/thank")])], {"last_ticket": report.ticket}


def _suspected_text(suspected: m.SuspectedOutage, ctx: JourneyContext, reported: bool = True) -> str:
    """A fault several neighbours reported, not yet confirmed: what is known, and no promise of a time."""
    counted = " Sumé tu reporte, así que no necesitas abrir otro." if reported else ""
    return (f"Ya sabemos de una falla que deja sin luz a varios vecinos de tu sector ({ctx.account.neighborhood}); "
            f"la estamos revisando desde {moment(suspected.opened_at, _tz(), ctx.today)}.{counted} Todavía no tenemos la "
            "causa ni una hora estimada de regreso: te avisaremos en cuanto la tengamos.")


@journey("outage_status")
def outage_status(session: Session, ctx: JourneyContext) -> Outcome:
    return medical_note(_outage_status(session, ctx), ctx)


def _outage_status(session: Session, ctx: JourneyContext) -> Outcome:
    suspended = _suspended(ctx)
    if suspended:
        return suspended
    outage = records.active_outage_for(session, ctx.account)
    if outage is not None:
        return [Reply(
            f"Hay un corte en curso en {ctx.account.neighborhood} desde {moment(outage.starts_at, _tz(), ctx.today)} "
            f"({outage.cause.lower()}). {_eta(session, outage)} Te avisaremos si cambia.", [("Nada más", "/thank")])], {}
    suspected = grouping.covering(session, ctx.account)
    if suspected is not None:
        return [Reply(_suspected_text(suspected, ctx, reported=False), [("Avisarme por aquí", "/subscribe_alerts")])], {}
    reports = [r for r in records.open_reports(session, ctx.account) if r.kind == "no_power" and r.ticket]
    if reports:
        return [Reply(
            f"Tu reporte {reports[0].ticket} está {'en atención' if reports[0].status == m.TicketStatus.in_progress else 'recibido'}: "
            "una cuadrilla va en camino. Normalmente restablecemos el servicio en menos de 4 horas.")], {}
    return [Reply(
        f"No tenemos cortes registrados en tu zona ({ctx.account.neighborhood}) en este momento. "
        "Si estás sin luz, repórtalo y lo atendemos.", [("Reportar que no tengo luz", "/report_outage")])], {}


@journey("planned_outages")
def planned_outages(session: Session, ctx: JourneyContext) -> Outcome:
    now = clock.now()
    upcoming = records.planned_outages_for(session, ctx.account, now, now + dt.timedelta(days=PLANNED_HORIZON_DAYS))
    return [_planned_reply(upcoming, f"tu zona ({ctx.account.neighborhood})", now)], {}


@public_answer("planned_outages")
def planned_outages_in_named_zone(session: Session, text: str, phone: Optional[str], channel: str) -> Optional[List[Reply]]:
    """Planned work in a zone the customer names is public: no need to identify anyone."""
    zone = records.zone_named(session, fold(text))
    if zone is None:
        return None
    now = clock.now()
    upcoming = records.planned_outages_in(session, zone.id, now, now + dt.timedelta(days=PLANNED_HORIZON_DAYS))
    return [_planned_reply(upcoming, zone.name, now)]


@public_answer("outage_status")
def outage_in_named_zone(session: Session, text: str, phone: Optional[str], channel: str) -> Optional[List[Reply]]:
    """Whether a zone the customer names has an outage, and when power returns, is public too."""
    zone = records.zone_named(session, fold(text))
    if zone is None:
        return None
    outage = records.active_outage_in(session, zone.id)
    if outage is None:
        return [Reply(f"No tenemos cortes registrados en {zone.name} en este momento. Si no tienes luz, repórtalo y lo revisamos.",
                      [("Reportar que no tengo luz", "/report_outage")])]
    return [_known_outage_reply(session, outage, zone.name)]


@public_answer("report_outage")
def outage_reported_by_anyone(session: Session, text: str, phone: Optional[str], channel: str) -> Optional[List[Reply]]:
    """Someone who is not a registered customer (a tenant, a neighbour) may report where there is no power:
    a known outage in the zone they name is told; otherwise the report is filed at the address they give."""
    if phone and records.accounts_for_phone(session, phone):
        return None  # a customer: identified as usual, so the report is tied to the supply
    zone, street = records.zone_named(session, fold(text)), street_address(text)
    if zone is None and street is None:
        return None
    outage = records.active_outage_in(session, zone.id) if zone else None
    if outage is not None and zone is not None:
        return [_known_outage_reply(session, outage, zone.name)]
    place = ", ".join(part for part in (street, zone.name if zone else None) if part)
    report = cases.report_problem(session, kind="no_power", channel=channel, phone=phone, address=place, description=text[:500])
    return [Reply(f"Registré el reporte de falta de energía en «{place}»: número {report.ticket}. Una cuadrilla lo "
                  "revisará. Si luego tienes el número de cuenta (está en la factura), con él lo ubicamos más rápido.",
                  [("Estado del corte", "/outage_status"), ("Nada más", "/thank")])]


def _eta(session: Session, outage: m.Outage) -> str:
    """When power returns, as may be told now: an estimate already past is said to be so (and noted)."""
    restoration.note_if_expired(session, outage)
    return restoration.estimate_sentence(outage, _tz())


def _known_outage_reply(session: Session, outage: m.Outage, where: str) -> Reply:
    today = clock.today()
    eta = f" {_eta(session, outage)}" if outage.estimated_restoration_at else ""
    return Reply(f"Ya sabemos del corte en {where}: desde {moment(outage.starts_at, _tz(), today)}, por "
                 f"{outage.cause.lower()}. Nuestro equipo ya está trabajando.{eta} No hace falta reportarlo de nuevo.",
                 [("Avisarme cuando vuelva", "/subscribe_alerts"), ("Nada más", "/thank")])


def _planned_item(outage: m.Outage, now: dt.datetime) -> str:
    """``mañana a las 8:00 a. m. hasta las 2:00 p. m.``; work already under way says so (ended work is never listed)."""
    today = now.astimezone(ZoneInfo(_tz())).date()
    end = outage.estimated_restoration_at
    until = f" hasta {moment(end, _tz(), today)}" if end else ""
    if end and end.astimezone(ZoneInfo(_tz())).date() == outage.starts_at.astimezone(ZoneInfo(_tz())).date():
        until = f" hasta las {time_of_day(end.astimezone(ZoneInfo(_tz())))}"
    if outage.starts_at <= now:
        return f"en curso desde {moment(outage.starts_at, _tz(), today)}{until} ({outage.cause.lower()})"
    return f"{moment(outage.starts_at, _tz(), today)}{until} ({outage.cause.lower()})"


def _planned_reply(upcoming: List[m.Outage], where: str, now: dt.datetime) -> Reply:
    if not upcoming:
        return Reply(f"No hay cortes programados en {where} en los próximos {PLANNED_HORIZON_DAYS} días. "
                     "Si quieres, te avisamos cuando haya uno.", [("Avisarme", "/subscribe_alerts"), ("Nada más", "/thank")])
    items = "; ".join(_planned_item(o, now) for o in upcoming)
    return Reply(f"Cortes programados en {where}: {items}. Te recomendamos desconectar equipos sensibles antes del corte.",
                 [("Avisarme antes", "/subscribe_alerts")])


@journey("report_power_quality")
def report_power_quality(session: Session, ctx: JourneyContext) -> Outcome:
    text = (ctx.tracker.get_slot("journey_text") or "")[:500]
    report = cases.report_problem(session, kind="power_quality", channel=ctx.channel, account=ctx.account,
                                  phone=ctx.phone, description=text or None)
    damaged = any(word in text.lower() for word in ("quem", "dañ", "dan", "se daño", "averi", "estropea"))
    advice = (
        "Mientras lo revisamos, desconecta neveras, televisores y computadores cuando notes bajones o subidas, "
        "y usa un protector de voltaje si tienes uno."
    )
    replies = [Reply(f"Registré tu reporte de variaciones de voltaje: número {report.ticket}. Un técnico revisará la red de tu sector. {advice}")]
    if damaged:
        replies.append(Reply(
            "Si un electrodoméstico se dañó por estas variaciones, puedes poner un reclamo para que evaluemos la "
            "reparación o el pago del daño. Guarda el equipo y la factura de compra.",
            [("Poner un reclamo por daño", "/file_complaint"), ("Ahora no", "/deny")]))
    else:
        replies.append(Reply("¿Algún aparato se dañó?", [("Sí, poner un reclamo", "/file_complaint"), ("No", "/deny")]))
    return replies, {"last_ticket": report.ticket}


# A street address written in a message ("en la calle Juárez 45", "Cra 7 # 58-21"), for when the
# entity extractor misses it: street type, up to a few words, a number, and maybe "# 58-21" or "con 5".
STREET_ADDRESS = re.compile(
    r"\b(?:calle|cll?|carrera|cra|kr|avenida|avda|av|diagonal|dg|transversal|tv|pasaje|psje|jir[oó]n|jr|manzana|mz)"
    r"\.?\s+(?:[^\W\d]+\s+){0,3}\d+[a-z]?(?:\s*(?:#|n[o°º]\.?|con|y)\s*\d+[a-z]?(?:\s*-\s*\d+)?)?",
    re.IGNORECASE)


PLACE = PATTERNS["place"]  # "frente al banco", "cerca del parque", "en la esquina"...


def street_address(text: str) -> Optional[str]:
    match = STREET_ADDRESS.search(text or "")
    return match.group(0) if match else None


class ActionReportHazard(GuardedAction):
    """Safety first: instructions at once, then an emergency ticket at the highest priority.

    Needs no identification: anyone may report a danger, and nothing private is said.
    The place comes from the message, the sender's registered supply, or is asked.
    """

    def name(self) -> str:
        return "action_report_hazard"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        Reply(safety_instructions(tracker.latest_message.get("text"))).send(dispatcher)
        phone = sender_phone(tracker)
        address = (tracker.get_slot("hazard_address") or next(tracker.get_latest_entity_values("address"), None)
                   or street_address(tracker.latest_message.get("text")))
        channel = tracker.get_latest_input_channel() or "rest"
        description = (tracker.get_slot("hazard_description") or tracker.latest_message.get("text") or "")[:500]

        at_home = bool(AT_HOME.search(fold(tracker.latest_message.get("text") or "")))

        def file(session: Session):
            accounts = records.accounts_for_phone(session, phone) if phone else []
            home = accounts[0].address if at_home and len(accounts) == 1 else None
            # a hazard is often in the street, not at the sender's home: ask, unless it is at their meter
            place = address or home
            report = cases.report_problem(session, kind="hazard", channel=channel, account=accounts[0] if len(accounts) == 1 else None,
                                          phone=phone, address=place, description=description)
            return report.ticket, place, (mask_address(home) if home and place == home else place)

        ticket, place, shown = await with_records(file)
        if place:
            Reply(f"Reporté la emergencia en «{shown}» con prioridad máxima: número {ticket}. Una cuadrilla va en camino.").send(dispatcher)
            send_all(dispatcher, await hand_off(tracker, "hazard"))
            return [SlotSet("last_ticket", ticket), SlotSet("hazard_ticket", None), SlotSet("hazard_address", place)]
        Reply(f"Registré la emergencia con prioridad máxima: número {ticket}.").send(dispatcher)
        return [SlotSet("last_ticket", ticket), SlotSet("hazard_ticket", ticket)]


class ValidateHazardForm(GuardedFormValidation):
    """Asks where the hazard is only when the first message did not say it."""

    failure_slot = "hazard_ticket"

    def name(self) -> str:
        return "validate_hazard_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[str]:
        return ["hazard_address"] if tracker.get_slot("hazard_ticket") else []

    async def validate_hazard_address(self, value, dispatcher, tracker, domain):
        place = str(value or "").strip()
        said = (tracker.latest_message.get("text") or "").strip()
        if place and said and not said.startswith("/") and place in said:
            place = said  # the whole answer keeps its landmarks ("frente al parque de la calle 10")
        place = place[:200]
        # "quiero poner un reclamo" is no place; but in an emergency, anything that may be one is taken
        if asks_for_another_journey(tracker, confidence=0.9) and not street_address(said) and not PLACE.search(fold(said)):
            dispatcher.utter_message(text="Para enviar la cuadrilla necesito saber dónde está el peligro: la dirección o "
                                          "un punto de referencia. Si prefieres dejarlo, escribe «cancelar» y te ayudo "
                                          "con lo otro.")
            return {"hazard_address": None}
        if len(place) < 3:
            dispatcher.utter_message(text="Necesito una dirección o un punto de referencia para enviar la cuadrilla.")
            return {"hazard_address": None}
        return {"hazard_address": place}


class ActionHazardLocation(GuardedAction):
    """The place of a hazard reported a moment ago, added to its emergency ticket."""

    def name(self) -> str:
        return "action_hazard_location"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        ticket, place = tracker.get_slot("hazard_ticket"), tracker.get_slot("hazard_address")
        if not ticket or not place:
            return [SlotSet("hazard_ticket", None), SlotSet("hazard_address", None)]
        location = (tracker.latest_message.get("metadata") or {}).get("location") or {}

        def update(session: Session) -> bool:
            report = session.execute(select(m.OutageReport).where(m.OutageReport.ticket == ticket)).scalar_one_or_none()
            if report is None:
                return False
            report.address = place
            if location.get("latitude") and location.get("longitude"):  # a location shared on WhatsApp or Telegram
                report.latitude = Decimal(str(location["latitude"])).quantize(Decimal("0.000001"))
                report.longitude = Decimal(str(location["longitude"])).quantize(Decimal("0.000001"))
            return True

        if await with_records(update):
            Reply(f"Gracias. Agregué la ubicación «{place}» a la emergencia {ticket}; la cuadrilla va en camino. "
                  "Recuerda mantenerte lejos del peligro.").send(dispatcher)
            send_all(dispatcher, await hand_off(tracker, "hazard"))
        return [SlotSet("hazard_ticket", None), SlotSet("hazard_address", None)]
