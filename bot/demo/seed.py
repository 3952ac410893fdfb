"""Deterministic, realistic records for development, demos and tests.

Everything comes from one seed and one reference day, so two runs on the same
day write the same rows. Dates are relative to the reference day: the latest
bill is always about to fall due, the outage is always in progress and the
planned interruptions are always next week.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Dict, Iterator, List, Optional, Tuple
from zoneinfo import ZoneInfo

from faker import Faker
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from bot import clock
from bot.db import models as m
from bot.db.engine import session_scope
from bot.demo.customers import DEMO_CUSTOMERS
from bot.tickets import business_days_after

MONTHS = 24
ZONES: Tuple[Tuple[str, str, str], ...] = (
    ("ZN-01", "Chapinero", "Bogotá"),
    ("ZN-02", "Teusaquillo", "Bogotá"),
    ("ZN-03", "Modelia", "Bogotá"),
    ("ZN-04", "Kennedy", "Bogotá"),
    ("ZN-05", "Engativá", "Bogotá"),
    ("ZN-06", "Usaquén", "Bogotá"),
    ("ZN-07", "Soacha Centro", "Soacha"),
    ("ZN-08", "Suba", "Bogotá"),
    ("ZN-09", "Fontibón", "Bogotá"),
    ("ZN-10", "Bosa", "Bogotá"),
)
OUTAGE_ZONE = "ZN-04"
PLANNED_ZONES = ("ZN-01", "ZN-06")
# (code, name, rate per kWh before and after the mid-year tariff update, fixed charge)
TARIFFS = (
    ("RES-1", "Residencial estratos 1 y 2", Decimal("612.40"), Decimal("655.30"), Decimal("4200")),
    ("RES-3", "Residencial estratos 3 y 4", Decimal("768.90"), Decimal("823.10"), Decimal("6800")),
    ("RES-5", "Residencial estratos 5 y 6", Decimal("922.70"), Decimal("987.60"), Decimal("9500")),
    ("COM", "Comercial", Decimal("941.20"), Decimal("1006.80"), Decimal("15800")),
)
STREETS = ("Calle", "Carrera", "Avenida", "Transversal", "Diagonal")
COMPLAINT_CATEGORIES = (
    "facturacion", "calidad_servicio", "danos_electrodomesticos", "medidor", "atencion", "otro",
)
CENT = Decimal("0.01")


TRANSFORMERS_PER_FEEDER = 8

def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


BILL_TERM_DAYS = 18  # from issue to due date
LATEST_BILL_AGE_DAYS = 10  # the latest bill was issued about this long ago: due in about a week
LAST_BILLING_DAY = 28  # a billing cycle's day exists in every month, February of any year included


def _months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _same_day_months_back(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` earlier (a billing cycle's day is at most the 28th)."""
    return _months_back(day, months).replace(day=day.day)


def billing_day(today: dt.date) -> dt.date:
    """When the latest bill was issued: the demo's billing cycle runs on the day of the month
    ``LATEST_BILL_AGE_DAYS`` ago (the 28th at most), so the latest bill is always due within days
    and every earlier one belongs to its own calendar month."""
    issued = today - dt.timedelta(days=LATEST_BILL_AGE_DAYS)
    return issued if issued.day <= LAST_BILLING_DAY else issued.replace(day=LAST_BILLING_DAY)


@dataclass
class SeedReport:
    customers: int
    accounts: int
    bills: int
    complaints: int


class Seeder:
    """Writes the whole data set through bulk inserts (tens of thousands of rows in seconds)."""

    def __init__(self, engine: Engine, seed: int, customers: int, now: dt.datetime, timezone: str) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.fake = Faker(["es_CO", "es_MX", "es_ES"])
        self.fake.seed_instance(seed)
        self.customer_count = customers
        self.tz = ZoneInfo(timezone)
        self.now = now.astimezone(dt.timezone.utc)
        self.today = now.astimezone(self.tz).date()
        self.latest_issue = billing_day(self.today)
        self.rows: Dict[type, List[dict]] = {}  # waiting to be written (``_flush``)
        self.account_refs: List[dict] = []  # every account's id and number, kept after its rows were written
        self.ids: Dict[type, int] = {}

    # --- helpers ---------------------------------------------------------
    def _add(self, model: type, **values) -> int:
        next_id = self.ids.get(model, 0) + 1
        self.ids[model] = next_id
        self.rows.setdefault(model, []).append({"id": next_id, **values})
        return next_id

    def _local(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), self.tz).astimezone(dt.timezone.utc)

    def _address(self) -> str:
        street = self.rng.choice(STREETS)
        return f"{street} {self.rng.randint(1, 170)} # {self.rng.randint(1, 120)}-{self.rng.randint(1, 99):02d}"

    def _phone(self) -> str:
        return f"+573{self.rng.choice(['00', '01', '04', '10', '12', '15', '20', '23'])}{self.rng.randint(1000000, 9999999)}"

    # --- the data set ----------------------------------------------------
    def build(self) -> SeedReport:
        self._zones_and_feeders()
        self._tariffs()
        used_accounts = {a.account_number for c in DEMO_CUSTOMERS for a in c.accounts}
        for demo in DEMO_CUSTOMERS:
            customer_id = self._customer(
                demo.full_name, demo.national_id, demo.email, [demo.phone],
                electro_dependent=demo.electro_dependent, consent=True, channel=m.Channel.whatsapp,
            )
            for account in demo.accounts:
                zone = next(z for z in ZONES if z[1] == account.neighborhood)
                self._account(
                    customer_id, account.account_number, account.address, zone[0],
                    "RES-3", account.situation,
                )
        national_ids = {c.national_id for c in DEMO_CUSTOMERS}
        phones = {c.phone for c in DEMO_CUSTOMERS}
        for written in range(self.customer_count - len(DEMO_CUSTOMERS)):
            if written and written % FLUSH_EVERY == 0:  # a large population is written as it is made: memory stays flat
                self._flush()
            national_id = str(self.rng.randint(10_000_000, 1_099_999_999))
            while national_id in national_ids:
                national_id = str(self.rng.randint(10_000_000, 1_099_999_999))
            national_ids.add(national_id)
            numbers = []
            for _ in range(1 if self.rng.random() < 0.8 else 2):
                phone = self._phone()
                while phone in phones:
                    phone = self._phone()
                phones.add(phone)
                numbers.append(phone)
            name = self.fake.name()
            customer_id = self._customer(
                name, national_id,
                self.fake.email() if self.rng.random() < 0.7 else None, numbers,
                electro_dependent=self.rng.random() < 0.02,
                consent=self.rng.random() < 0.75,
                channel=self.rng.choice([m.Channel.whatsapp, m.Channel.whatsapp, m.Channel.sms, m.Channel.telegram]),
            )
            for _ in range(2 if self.rng.random() < 0.05 else 1):
                number = str(self.rng.randint(100_300_000, 199_999_999))
                while number in used_accounts:
                    number = str(self.rng.randint(100_300_000, 199_999_999))
                used_accounts.add(number)
                roll = self.rng.random()
                situation = (
                    "suspended" if roll < 0.02 else "overdue" if roll < 0.12
                    else "prosumer" if roll < 0.17 else "normal"
                )
                tariff = self.rng.choices(["RES-1", "RES-3", "RES-5", "COM"], [35, 40, 15, 10])[0]
                self._account(customer_id, number, self._address(), self.rng.choice(ZONES)[0], tariff, situation)
        self._outages()
        self._complaints()
        self._flush()
        self._sequences()
        return SeedReport(
            customers=self.ids[m.Customer], accounts=self.ids[m.Account],
            bills=self.ids[m.Bill], complaints=self.ids.get(m.Complaint, 0),
        )

    def _zones_and_feeders(self) -> None:
        self.zone_ids: Dict[str, int] = {}
        self.feeders: Dict[str, List[int]] = {}
        for code, name, city in ZONES:
            zone_id = self._add(m.Zone, code=code, name=name, city=city)
            self.zone_ids[code] = zone_id
            self.feeders[code] = [
                self._add(m.Feeder, code=f"{code}-F{n}", zone_id=zone_id) for n in range(1, 4)
            ]
        self.transformers: Dict[int, List[int]] = {  # each feeder feeds a few transformers, each a few dozen homes
            feeder_id: [self._add(m.Transformer, code=f"{code}-F{n + 1}-T{t}", feeder_id=feeder_id)
                        for t in range(1, TRANSFORMERS_PER_FEEDER + 1)]
            for code, feeders in self.feeders.items() for n, feeder_id in enumerate(feeders)
        }

    def _tariffs(self) -> None:
        self.tariff_change = _months_back(self.today, 5)
        self.tariff_ids: Dict[Tuple[str, bool], int] = {}
        self.tariff_values: Dict[int, Tuple[Decimal, Decimal]] = {}
        for code, name, before, after, fixed in TARIFFS:
            old = self._add(
                m.Tariff, code=code, name=name, energy_rate=before, fixed_charge=fixed,
                valid_from=_months_back(self.today, 36), valid_to=self.tariff_change - dt.timedelta(days=1),
            )
            new = self._add(
                m.Tariff, code=code, name=name, energy_rate=after,
                fixed_charge=(fixed * Decimal("1.05")).quantize(CENT), valid_from=self.tariff_change, valid_to=None,
            )
            self.tariff_ids[(code, False)] = old
            self.tariff_ids[(code, True)] = new
            self.tariff_values[old] = (before, fixed)
            self.tariff_values[new] = (after, (fixed * Decimal("1.05")).quantize(CENT))

    def _customer(self, name, national_id, email, phones, *, electro_dependent, consent, channel) -> int:
        customer_id = self._add(
            m.Customer, national_id=national_id, full_name=name, email=email,
            electro_dependent=electro_dependent, notifications_consent=consent,
            preferred_channel=channel, telegram_user_id=None, created_at=self.now - dt.timedelta(days=900),
        )
        for number in phones:
            self._add(m.Phone, customer_id=customer_id, number=number, is_mobile=True)
        return customer_id

    def _account(self, customer_id, number, address, zone, tariff, situation) -> None:
        zone_name = next(z for z in ZONES if z[0] == zone)
        account_id = self._add(
            m.Account, account_number=number, customer_id=customer_id, address=address,
            neighborhood=zone_name[1], city=zone_name[2], zone_id=self.zone_ids[zone],
            feeder_id=self.feeders[zone][int(number) % 3], tariff_code=tariff,
            transformer_id=self.transformers[self.feeders[zone][int(number) % 3]][int(number) // 3 % TRANSFORMERS_PER_FEEDER],
            meter_number=f"MTR{int(number) * 7 % 10_000_000:07d}{self.ids.get(m.Account, 0):05d}",
            status=m.AccountStatus.suspended if situation == "suspended" else m.AccountStatus.active,
            e_billing=self.rng.random() < 0.3, created_at=self.now - dt.timedelta(days=900),
        )
        self.account_refs.append({"id": account_id, "account_number": number})
        self._bills(account_id, tariff, situation)

    def _bills(self, account_id: int, tariff: str, situation: str) -> None:
        base = self.rng.uniform(90, 320) * (2.5 if tariff == "COM" else 1)
        reading = Decimal(self.rng.randint(2000, 40000))
        unpaid_tail = {"suspended": 3, "overdue": 2}.get(situation, 1)
        kwp = Decimal("5.40") if situation == "prosumer" and account_id <= 10 else _money(self.rng.uniform(2, 8))
        system_id = None
        if situation == "prosumer":
            system_id = self._add(
                m.GenerationSystem, account_id=account_id, technology="solar", installed_kwp=kwp,
                commissioned_on=_months_back(self.today, 20),
            )
        for back in range(MONTHS, 0, -1):
            issued = _same_day_months_back(self.latest_issue, back - 1)
            period = _months_back(issued, 1)  # the calendar month consumed, billed the month after
            season = 1 + 0.12 * math.sin((period.month - 3) / 12 * 2 * math.pi)
            consumption = base * season * self.rng.uniform(0.9, 1.1)
            estimated = self.rng.random() < 0.05
            if situation == "high_bill" and back == 1:
                consumption, estimated = base * 1.85, True
            generated = exported = 0.0
            if system_id and period >= _months_back(self.today, 20):
                generated = float(kwp) * 118 * (1 + 0.1 * math.sin(period.month / 12 * 2 * math.pi))
                exported = generated * self.rng.uniform(0.35, 0.5)
                consumption = max(40.0, consumption - generated * 0.4)
            kwh = _money(consumption)
            start, reading = reading, reading + kwh
            tariff_id = self.tariff_ids[(tariff, period >= self.tariff_change)]
            rate, fixed = self.tariff_values[tariff_id]
            energy = _money(float(kwh * rate))
            lighting = _money(float(energy) * 0.06)
            taxes = _money(float(energy + fixed) * 0.04 if tariff == "COM" else 0)
            credit = Decimal("0.00")
            if exported:
                credit = _money(exported * float(rate) * 0.9)
            total = max(Decimal("0.00"), energy + fixed + lighting + taxes - credit)
            due = issued + dt.timedelta(days=BILL_TERM_DAYS)
            unpaid = back <= unpaid_tail
            paid_on = None if unpaid else due - dt.timedelta(days=self.rng.randint(0, 10))
            status = m.BillStatus.paid
            if unpaid:
                status = m.BillStatus.unpaid if due >= self.today else m.BillStatus.overdue
            bill_id = self._add(
                m.Bill, account_id=account_id, period=period, issued_on=issued, due_date=due,
                reading_start=start, reading_end=reading,
                reading_type=m.ReadingType.estimated if estimated else m.ReadingType.actual,
                kwh=kwh, tariff_id=tariff_id, energy_amount=energy, fixed_amount=fixed,
                public_lighting_amount=lighting, taxes_amount=taxes, generation_credit_amount=credit,
                total=total, status=status,
                paid_on=paid_on,
            )
            self._add(
                m.MeterReading, account_id=account_id, read_at=self._local(issued - dt.timedelta(days=3), 10),
                value_kwh=reading,
                reading_type=m.ReadingType.estimated if estimated else m.ReadingType.actual,
            )
            if paid_on is not None:
                self._add(
                    m.Payment, account_id=account_id, bill_id=bill_id, amount=total,
                    paid_at=self._local(paid_on, self.rng.randint(8, 19)),
                    method=self.rng.choice(["banco", "en_linea", "corresponsal", "oficina"]),
                    reference=f"PG{bill_id:09d}", status=m.PaymentStatus.applied,
                    reported_channel=None, created_at=self._local(paid_on, 20),
                )
            if system_id and exported:
                self._add(
                    m.GenerationPeriod, system_id=system_id, period=period, generated_kwh=_money(generated),
                    exported_kwh=_money(exported), credit_amount=credit,
                )

    def _outages(self) -> None:
        # in progress at the instant of seeding, whatever the hour: started two hours ago, back in three
        started = self.now - dt.timedelta(hours=2)
        outage_id = self._add(
            m.Outage, kind=m.OutageKind.unplanned, status=m.OutageStatus.active,
            cause="Falla en un transformador de la red de distribución", starts_at=started,
            estimated_restoration_at=started + dt.timedelta(hours=5), restored_at=None, created_at=started,
        )
        self._add(m.OutageArea, outage_id=outage_id, zone_id=self.zone_ids[OUTAGE_ZONE], feeder_id=None)
        for offset, zone in enumerate(PLANNED_ZONES):
            day = self.today + dt.timedelta(days=5 + offset)
            planned_id = self._add(
                m.Outage, kind=m.OutageKind.planned, status=m.OutageStatus.scheduled,
                cause="Mantenimiento preventivo de redes", starts_at=self._local(day, 8),
                estimated_restoration_at=self._local(day, 14), restored_at=None, created_at=self.now,
            )
            self._add(m.OutageArea, outage_id=planned_id, zone_id=self.zone_ids[zone], feeder_id=None)
        for back in range(1, 30):
            day = self.today - dt.timedelta(days=back * 12)
            start = self._local(day, self.rng.randint(0, 22))
            past_id = self._add(
                m.Outage, kind=m.OutageKind.unplanned, status=m.OutageStatus.restored,
                cause=self.rng.choice(["Caída de árbol sobre la red", "Descarga atmosférica", "Falla en poste", "Sobrecarga"]),
                starts_at=start, estimated_restoration_at=start + dt.timedelta(hours=3),
                restored_at=start + dt.timedelta(hours=self.rng.uniform(0.5, 6)), created_at=start,
            )
            self._add(m.OutageArea, outage_id=past_id, zone_id=self.rng.choice(list(self.zone_ids.values())), feeder_id=None)

    def _complaints(self) -> None:
        accounts = self.account_refs
        pedro = next(a for a in accounts if a["account_number"] == "100200306")
        deadline = 15
        for index in range(max(40, self.customer_count // 7)):
            account = pedro if index == 0 else accounts[self.rng.randrange(len(accounts))]  # the first: Pedro (demo)
            days_ago = 40 if index == 0 else self.rng.randint(0, 120)
            filed = self.now - dt.timedelta(days=days_ago, hours=self.rng.randint(0, 8))
            due_day = business_days_after(filed.astimezone(self.tz).date(), deadline)
            due = self._local(due_day, 23, 59)
            if index == 0 or due < self.now and self.rng.random() < 0.25:
                status = self.rng.choice([m.TicketStatus.received, m.TicketStatus.in_progress]) if index else m.TicketStatus.in_progress
            else:
                status = self.rng.choice(list(m.TicketStatus))
            resolved = status in (m.TicketStatus.resolved, m.TicketStatus.closed)
            resolved_at = min(self.now, filed + dt.timedelta(days=self.rng.randint(2, 25))) if resolved else None
            complaint_id = self._add(
                m.Complaint, ticket=f"RC-{self.ids.get(m.Complaint, 0) + 1:07d}", account_id=account["id"],
                category="facturacion" if index == 0 else self.rng.choice(COMPLAINT_CATEGORIES),
                channel=self.rng.choice(["whatsapp", "sms", "telegram", "phone", "office"]),
                description="Cobro excesivo en la factura" if index == 0 else self.fake.sentence(nb_words=12),
                status=status, filed_at=filed, due_at=due, resolved_at=resolved_at,
                resolution="Se revisó la lectura y se ajustó el cobro." if resolved else None, attachments=None,
            )
            self._add(m.ComplaintEvent, complaint_id=complaint_id, at=filed, status=m.TicketStatus.received, note="Reclamo recibido")
            if status != m.TicketStatus.received:
                self._add(m.ComplaintEvent, complaint_id=complaint_id, at=min(self.now, filed + dt.timedelta(days=1)),
                          status=m.TicketStatus.in_progress, note="Asignado al área técnica")
            if resolved:
                self._add(m.ComplaintEvent, complaint_id=complaint_id, at=resolved_at, status=m.TicketStatus.resolved,
                          note="Respuesta enviada al cliente")

    def _flush(self) -> None:
        """Writes the rows made so far, in foreign-key order, in one transaction, and forgets them."""
        with session_scope(self.engine) as session:
            for model in ORDER:
                for chunk in _chunks(self.rows.pop(model, []), 5000):
                    session.execute(insert(model.__table__), chunk)

    def _sequences(self) -> None:
        """PostgreSQL's id sequences continue after the ids given here."""
        if self.engine.dialect.name != "postgresql":
            return
        with session_scope(self.engine) as session:
            for model in ORDER:
                table = model.__tablename__
                session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ))


ORDER = [  # foreign keys first
    m.Zone, m.Feeder, m.Transformer, m.Tariff, m.Customer, m.Phone, m.Account, m.Bill, m.Payment, m.MeterReading,
    m.GenerationSystem, m.GenerationPeriod, m.Outage, m.OutageArea, m.Complaint, m.ComplaintEvent,
]
FLUSH_EVERY = 5000  # customers


def _chunks(rows: List[dict], size: int) -> Iterator[List[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def is_empty(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return not session.execute(select(func.count()).select_from(m.Customer)).scalar_one()


def seed(engine: Engine, *, seed: int, customers: int = 2000, now: Optional[dt.datetime] = None,
         timezone: str = "America/Bogota") -> SeedReport:
    """Fill an empty, migrated database, true at ``now`` (the product's clock by default).

    Refuses a database that already has customers.
    """
    if not is_empty(engine):
        raise RuntimeError("the database already has customers; seed only an empty one")
    return Seeder(engine, seed, customers, now or clock.now(), timezone).build()
