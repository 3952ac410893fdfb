"""The demo customers: fixed people whose records show every journey.

They are written first by the seed, with the same numbers on every machine,
so README, tests and a newcomer's first chat can rely on them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Tuple


@dataclass(frozen=True)
class DemoAccount:
    account_number: str
    address: str
    neighborhood: str
    situation: str  # normal, suspended, outage, prosumer, high_bill


@dataclass(frozen=True)
class DemoCustomer:
    full_name: str
    national_id: str
    phone: str
    email: str
    shows: str
    accounts: Tuple[DemoAccount, ...] = field(default_factory=tuple)
    electro_dependent: bool = False


DEMO_CUSTOMERS: Tuple[DemoCustomer, ...] = (
    DemoCustomer(
        "Ana Lucía Restrepo Gómez", "43871234", "+573001234501", "ana.restrepo@example.com",
        "Al día: factura por pagar que vence en unos días.",
        (DemoAccount("100200301", "Calle 45 # 12-30", "Chapinero", "normal"),),
    ),
    DemoCustomer(
        "Carlos Andrés Mejía Ruiz", "79234567", "+573001234502", "carlos.mejia@example.com",
        "Suministro suspendido por falta de pago, tres facturas vencidas.",
        (DemoAccount("100200302", "Carrera 7 # 58-21", "Teusaquillo", "suspended"),),
    ),
    DemoCustomer(
        "María Fernanda Ortiz Vargas", "52345678", "+573001234503", "maria.ortiz@example.com",
        "Dos suministros (su casa y un apartamento que arrienda).",
        (
            DemoAccount("100200303", "Avenida 68 # 24-10", "Modelia", "normal"),
            DemoAccount("100200313", "Calle 80 # 100-05 Apto 302", "Engativá", "normal"),
        ),
    ),
    DemoCustomer(
        "Jorge Iván Castaño López", "80456789", "+573001234504", "jorge.castano@example.com",
        "Vive en la zona con un corte no programado en curso.",
        (DemoAccount("100200304", "Transversal 23 # 41-15", "Kennedy", "outage"),),
    ),
    DemoCustomer(
        "Lucía Herrera Díaz", "1020567890", "+573001234505", "lucia.herrera@example.com",
        "Prosumidora: paneles solares de 5,4 kWp que exportan energía.",
        (DemoAccount("100200305", "Calle 127 # 15-40", "Usaquén", "prosumer"),),
    ),
    DemoCustomer(
        "Pedro Pablo Salazar Niño", "19678901", "+573001234506", "pedro.salazar@example.com",
        "Factura alta (lectura estimada), electrodependiente, reclamo vencido.",
        (DemoAccount("100200306", "Diagonal 32 # 19-08", "Soacha Centro", "high_bill"),),
        electro_dependent=True,
    ),
)


def demo_by_phone(phone: str) -> DemoCustomer:
    return next(c for c in DEMO_CUSTOMERS if c.phone == phone)


@dataclass(frozen=True)
class DemoAgent:
    username: str
    full_name: str
    role: str
    password: str


# The console's people on the embedded default (never created in production: `db setup` seeds an empty database only).
DEMO_AGENTS: Tuple[DemoAgent, ...] = (
    DemoAgent("camila", "Camila Torres", "agent", "camila-demo"),
    DemoAgent("diego", "Diego Rojas", "agent", "diego-demo"),
    DemoAgent("sofia", "Sofía Peña", "supervisor", "sofia-demo"),
)

# The integration API's key on the embedded default (an operator creates real ones with `python -m bot apikey create`).
DEMO_API_KEY = "luz-demo-api-key"
