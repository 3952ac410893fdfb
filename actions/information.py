"""Information anyone may ask: offices, tariffs, saving tips, becoming a prosumer."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.context import sender_phone, today, with_records
from actions.replies import Reply
from actions.safety import GuardedAction
from bot import records
from bot.formatting import decimal_es, kwh, money, month
from bot.text import fold

OFFICES = (
    ("Sede principal Chapinero", "Calle 57 # 9-31, Bogotá", "lunes a viernes de 7:00 a. m. a 5:00 p. m. y sábados de 8:00 a. m. a 12:00 m."),
    ("Punto de atención Kennedy", "Avenida 1 de Mayo # 72-15, Bogotá", "lunes a viernes de 8:00 a. m. a 5:00 p. m."),
    ("Punto de atención Suba", "Calle 145 # 91-19, Bogotá", "lunes a viernes de 8:00 a. m. a 5:00 p. m."),
    ("Oficina Soacha", "Carrera 7 # 14-40, Soacha", "lunes a viernes de 8:00 a. m. a 4:00 p. m."),
)
TIPS = (
    "1. La nevera gasta hasta un tercio de tu factura: no la pongas junto a la estufa, revisa que el empaque cierre bien "
    "y no guardes comida caliente.\n"
    "2. Cambia bombillos por LED: gastan hasta 80 % menos.\n"
    "3. Desconecta cargadores, televisores y decodificadores que quedan en espera (la lucecita roja también consume).\n"
    "4. Lava con carga completa y agua fría; la ducha eléctrica y la plancha son de los equipos que más gastan: úsalos menos tiempo.\n"
    "5. Aprovecha la luz del día y apaga lo que no uses."
)


class ActionOfficeInfo(GuardedAction):
    def name(self) -> str:
        return "action_office_info"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        lines = "\n".join(f"• {name}: {address}. Horario: {hours}." for name, address, hours in OFFICES)
        Reply(f"Nuestras oficinas:\n{lines}\nCasi todo lo puedes hacer por aquí, sin ir: saldo, copia de factura, "
              "reportes, reclamos y trámites. Línea de atención: 601 555 0100 (24 horas para emergencias).",
              [("Ver lo que puedo hacer aquí", "/help")]).send(dispatcher)
        return []


def asks_for_tariff(text: str, tariff_name: str) -> bool:
    """Whether a message asks about this tariff: "para un local comercial" -> "Comercial", "estrato 4" ->
    "Residencial estratos 3 y 4"."""
    said, name = fold(text), fold(tariff_name)
    if re.search(r"\b(comerci\w*|negocio|local|tienda)\b", said):
        return "comercial" in name
    stratum = re.search(r"\bestrato\s*(\d)\b", said)
    return stratum is not None and "residencial" in name and re.search(rf"\b{stratum.group(1)}\b", name) is not None


class ActionTariffInfo(GuardedAction):
    def name(self) -> str:
        return "action_tariff_info"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        on = today()
        tariffs = await with_records(lambda session: [
            (t.name, t.energy_rate, t.fixed_charge, t.valid_from) for t in records.current_tariffs(session, on)])
        if not tariffs:
            Reply("No tengo la tabla de tarifas disponible en este momento. Puedes consultarla en nuestras oficinas.").send(dispatcher)
            return []
        asked = [t for t in tariffs if asks_for_tariff(tracker.latest_message.get("text") or "", t[0])]
        lines = "\n".join(f"• {name}: {money(rate)} por kWh + cargo fijo de {money(fixed)} al mes"
                          for name, rate, fixed, _ in (asked or tariffs))
        Reply(f"Tarifas vigentes desde {month(tariffs[0][3])}:\n{lines}\nA esto se suma el alumbrado público y, "
              "para comercios, los impuestos. Tu tarifa depende del estrato o del uso del predio y aparece en tu factura.",
              [("Por qué subió mi factura", "/high_bill_inquiry"), ("Consejos de ahorro", "/energy_saving_tips")]).send(dispatcher)
        return []


class ActionEnergySavingTips(GuardedAction):
    def name(self) -> str:
        return "action_energy_saving_tips"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        Reply(f"Cinco consejos para gastar menos luz:\n{TIPS}",
              [("Ver mi consumo", "/consumption_history"), ("Nada más", "/thank")]).send(dispatcher)
        return []


class ActionDistributedGeneration(GuardedAction):
    """A prosumer writing from their registered phone sees their figures; anyone else, how to become one."""

    def name(self) -> str:
        return "action_distributed_generation"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        phone = sender_phone(tracker)

        def lookup(session: Session):
            for account in records.accounts_for_phone(session, phone) if phone else []:
                system = account.generation
                if system is not None and system.periods:
                    recent = system.periods[-6:]
                    return (account.account_number, system.installed_kwp, recent[-1],
                            sum((p.exported_kwh for p in recent), Decimal("0")), sum((p.credit_amount for p in recent), Decimal("0")))
            return None

        found = await with_records(lookup)
        if found:
            number, kwp, last, exported, credits = found
            Reply(f"Tu sistema solar de {decimal_es(kwp)} kWp (cuenta {number}) generó {kwh(last.generated_kwh)} en {month(last.period)} "
                  f"y entregó {kwh(last.exported_kwh)} a la red, que te dieron un crédito de {money(last.credit_amount)} "
                  f"en tu factura. En los últimos 6 meses exportaste {kwh(exported)} y acumulaste {money(credits)} en créditos.",
                  [("Ver mi consumo", "/consumption_history"), ("Nada más", "/thank")]).send(dispatcher)
            return []
        Reply("Puedes generar tu propia energía con paneles solares y entregar a la red lo que te sobre: te lo "
              "descontamos de la factura como crédito (autogeneración a pequeña escala). Los pasos: 1) un instalador "
              "certificado diseña el sistema; 2) solicitas la conexión con el formulario de generación distribuida y el "
              "diagrama unifilar; 3) revisamos la red y cambiamos tu medidor por uno bidireccional, en unos 15 días "
              "hábiles. Si ya eres prosumidor, escríbeme desde el celular registrado en tu cuenta para ver tus créditos.",
              [("Hablar con un asesor", "/request_agent"), ("Nada más", "/thank")]).send(dispatcher)
        return []
