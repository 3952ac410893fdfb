"""The product on many days and hours: seeded fresh at each instant, the main journeys are true there.

Every instant is a trap a real calendar sets: the first days of a month (two
bills once fell in one month), month ends of 28 to 31 days, 29 February, the
last half hour of a year and the first minutes of the next, a public holiday,
a Sunday night. The product's one clock (``bot.clock``) is set to each
instant; nothing here reads the real date.
"""
from __future__ import annotations

import datetime as dt
import shutil
from typing import Iterator, List
from zoneinfo import ZoneInfo

import holidays
import pytest
from babel.dates import format_date
from sqlalchemy import select

from actions.journeys import ActionRunJourney
from bot import cases, clock, notifications, records, restoration
from bot.db import models as m
from bot.db.engine import create_engine, engine_for, session_scope
from bot.db.migrate import upgrade
from bot.demo.seed import seed
from bot.formatting import day, moment, money, month, short_month, time_of_day
from bot.settings import get_settings
from tests.actions.conftest import make_tracker

BOGOTA = ZoneInfo("America/Bogota")
CUSTOMERS = 40


def _at(*fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=BOGOTA)


INSTANTS = [
    _at(2026, 11, 1, 0, 0),     # the 1st, at midnight
    _at(2026, 11, 29, 12, 0),   # the 29th
    _at(2026, 11, 30, 19, 30),  # the 30th, evening
    _at(2026, 12, 1, 9, 0),     # the 1st
    _at(2026, 12, 3, 15, 35),   # the 3rd, the hour a stale estimate was once promised
    _at(2026, 12, 4, 21, 0),    # the day the seed broke
    _at(2026, 12, 6, 3, 0),     # 03:00 on a Sunday
    _at(2026, 12, 8, 10, 0),    # a Colombian public holiday (la Inmaculada Concepción)
    _at(2026, 12, 10, 12, 0),   # the 10th
    _at(2026, 12, 31, 23, 30),  # the last half hour of the year
    _at(2027, 1, 1, 0, 5),      # the first minutes of the next
    _at(2027, 1, 10, 8, 0),     # the 10th, a Sunday before a holiday Monday (Reyes)
    _at(2027, 1, 11, 10, 0),    # that holiday Monday
    _at(2027, 2, 28, 12, 0),    # the 28th, last day of a short February
    _at(2027, 3, 29, 12, 0),    # the 29th
    _at(2027, 3, 30, 12, 0),    # the 30th
    _at(2027, 3, 31, 12, 0),    # the 31st
    _at(2027, 5, 31, 7, 0),     # the 31st, early
    _at(2027, 6, 10, 22, 0),    # the 10th, in quiet hours
    _at(2027, 7, 4, 3, 0),      # 03:00 on a Sunday
    _at(2027, 8, 31, 13, 0),    # the 31st
    _at(2027, 10, 31, 23, 59),  # the last minute of a 31-day month
    _at(2028, 2, 28, 18, 0),    # the day before a leap day
    _at(2028, 2, 29, 10, 0),    # 29 February
    _at(2028, 3, 1, 0, 30),     # the day after it
]


@pytest.fixture(scope="module")
def empty_database(tmp_path_factory) -> str:
    """A migrated, empty SQLite file, copied for each instant (migrating 25 times would be slow)."""
    path = tmp_path_factory.mktemp("time") / "empty.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(params=INSTANTS, ids=[i.strftime("%Y-%m-%d_%H%M") for i in INSTANTS])
def world(request, empty_database, tmp_path, monkeypatch) -> Iterator[clock.FixedClock]:
    """The product at one instant: the clock there, and a database seeded there."""
    path = tmp_path / "records.db"
    shutil.copy(empty_database, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LUZ_TIMEZONE", "America/Bogota")
    get_settings.cache_clear()
    with clock.travel_to(request.param) as frozen:
        engine = create_engine(url)
        seed(engine, seed=11, customers=CUSTOMERS)
        engine.dispose()
        yield frozen
    engine_for.cache_clear()
    get_settings.cache_clear()


async def ask(domain, number: str, phone: str, journey: str, **slots) -> str:
    from rasa_sdk.executor import CollectingDispatcher

    tracker = make_tracker(phone, slots={"account_number": number, "account_verified": True, "journey": journey, **slots},
                           intent=journey)
    dispatcher = CollectingDispatcher()
    await ActionRunJourney().run(dispatcher, tracker, domain)
    return "\n".join(message.get("text") or "" for message in dispatcher.messages)


def _session():
    return session_scope(engine_for(get_settings().database_url))


def _bills(number: str) -> List[m.Bill]:
    with _session() as session:
        return records.bills(session, records.account_by_number(session, number), 24)


# --- the records seeded at the instant --------------------------------------------------------

def test_the_seed_is_true_on_the_day_it_is_seeded(world):
    now, today = clock.now(), clock.today()
    with _session() as session:
        periods = session.execute(select(m.Bill.account_id, m.Bill.period)).all()
        assert len(periods) == len(set(periods))  # one bill per account and calendar month
        assert all(period.day == 1 for _, period in periods)
        for bill in session.execute(select(m.Bill)).scalars():
            assert bill.issued_on <= today and bill.issued_on > bill.period  # billed after the month consumed
            assert bill.period.month != bill.issued_on.month or bill.period.year != bill.issued_on.year
            if bill.status == m.BillStatus.overdue:
                assert bill.due_date < today
            if bill.status == m.BillStatus.unpaid:
                assert bill.due_date >= today
            if bill.paid_on is not None:
                assert bill.paid_on <= today
        stamped = [(m.MeterReading, "read_at"), (m.Payment, "paid_at"), (m.Complaint, "filed_at"),
                   (m.ComplaintEvent, "at"), (m.Complaint, "resolved_at"), (m.Customer, "created_at")]
        for model, column in stamped:
            moments = [getattr(row, column) for row in session.execute(select(model)).scalars()]
            assert all(at <= now for at in moments if at is not None), f"{model.__tablename__}.{column} in the future"
        [outage] = session.execute(select(m.Outage).where(m.Outage.status == m.OutageStatus.active)).scalars()
        assert outage.starts_at <= now < outage.estimated_restoration_at  # in progress, estimate ahead
        planned = session.execute(select(m.Outage).where(m.Outage.kind == m.OutageKind.planned)).scalars().all()
        assert planned and all(o.starts_at > now for o in planned)


def test_the_latest_bill_falls_due_within_days_and_the_earlier_ones_month_by_month(world):
    today = clock.today()
    history = _bills("100200301")
    assert len(history) == 24
    latest = history[-1]
    assert today < latest.due_date <= today + dt.timedelta(days=10)
    months = [(b.period.year, b.period.month) for b in history]
    expected = [((latest.period.year * 12 + latest.period.month - 1 - back) // 12,
                 (latest.period.year * 12 + latest.period.month - 1 - back) % 12 + 1) for back in range(23, -1, -1)]
    assert months == expected  # consecutive calendar months, none twice, none missing


# --- billing ------------------------------------------------------------------------------------

async def test_the_balance_states_a_due_date_still_ahead(world, domain):
    latest = _bills("100200301")[-1]
    text = await ask(domain, "100200301", "+573001234501", "check_balance")
    assert f"Vence el {day(latest.due_date, clock.today())}." in text and "venció" not in text


async def test_a_suspended_customer_hears_what_is_overdue_and_what_is_not_yet(world, domain):
    today = clock.today()
    unpaid = [b for b in _bills("100200302") if b.status != m.BillStatus.paid]
    overdue = [b for b in unpaid if b.due_date < today]
    pending = [b for b in unpaid if b.due_date >= today]
    assert len(overdue) == 2 and len(pending) == 1
    text = await ask(domain, "100200302", "+573001234502", "check_balance")
    owed = sum(b.total for b in overdue)
    assert (f"{money(owed)} de 2 facturas vencidas y {money(pending[0].total)} de la factura que vence el "
            f"{day(pending[0].due_date, today)}") in text


async def test_a_bill_copy_of_a_named_month_is_that_months_and_tells_its_state(world, domain):
    wanted = _bills("100200301")[-3]  # two months before the latest: paid
    name = format_date(wanted.period, "MMMM", locale="es")
    text = await ask(domain, "100200301", "+573001234501", "request_bill_copy", journey_text=f"mándame la factura de {name}")
    assert f"tu factura de {month(wanted.period)}" in text
    assert f"pagada el {day(wanted.paid_on, clock.today())}" in text and "vence el" not in text


async def test_the_consumption_history_lists_twelve_calendar_months(world, domain):
    history = _bills("100200301")[-12:]
    text = await ask(domain, "100200301", "+573001234501", "consumption_history")
    assert "últimos 12 meses" in text
    table = text.split("(kWh): ")[1].split(". Promedio")[0]
    assert [item.split(":")[0] for item in table.split(", ")] == [short_month(b.period) for b in history]


# --- outages ------------------------------------------------------------------------------------

async def test_an_estimate_is_promised_only_while_it_is_ahead(world, domain):
    with _session() as session:
        outage = records.active_outage_in(session, records.zone_named(session, "kennedy").id)
        eta = outage.estimated_restoration_at
    text = await ask(domain, "100200304", "+573001234504", "outage_status")
    assert f"Estimamos que la energía vuelva {moment(eta, 'America/Bogota')}" in text
    world.advance(eta - clock.now() + dt.timedelta(minutes=35))  # the estimate passes, the power is still out
    late = await ask(domain, "100200304", "+573001234504", "outage_status")
    assert "Estimamos" not in late
    assert f"La hora estimada de regreso ({moment(eta, 'America/Bogota')}) ya pasó y la cuadrilla sigue trabajando" in late
    update_by = (clock.now() + restoration.UPDATE_WITHIN).astimezone(BOGOTA)
    assert f"la tendremos antes de las {time_of_day(update_by)}" in late
    with _session() as session:
        owed = restoration.expired_estimates(session)
        assert [o.id for o in owed] == [outage.id] and owed[0].estimate_expired_at is not None


async def test_planned_work_is_told_ahead_then_under_way_then_no_more(world, domain):
    with _session() as session:
        zone = records.zone_named(session, "chapinero")
        [work] = records.planned_outages_in(session, zone.id, clock.now(), clock.now() + dt.timedelta(days=14))
        starts, ends = work.starts_at, work.estimated_restoration_at
    ahead = await ask(domain, "100200301", "+573001234501", "planned_outages")
    assert f"Cortes programados en tu zona (Chapinero): {moment(starts, 'America/Bogota')}" in ahead
    world.advance(starts - clock.now() + dt.timedelta(hours=1))
    under_way = await ask(domain, "100200301", "+573001234501", "planned_outages")
    assert (f"en curso desde hoy a las {time_of_day(clock.local(starts))} "
            f"hasta las {time_of_day(clock.local(ends))}") in under_way
    world.advance(ends - clock.now() + dt.timedelta(minutes=1))
    over = await ask(domain, "100200301", "+573001234501", "planned_outages")
    assert "No hay cortes programados en tu zona (Chapinero)" in over


# --- complaints -----------------------------------------------------------------------------------

def test_a_complaint_filed_now_is_due_in_fifteen_business_days(world):
    closed = holidays.country_holidays("CO", years=range(2026, 2030))
    with _session() as session:
        account = records.account_by_number(session, "100200301")
        complaint = cases.file_complaint(session, account=account, category="facturacion", description="Cobro doble",
                                         channel="sms", deadline_days=15, timezone="America/Bogota")
        due = complaint.due_at.astimezone(BOGOTA)
    filed = clock.today()
    business = [filed + dt.timedelta(days=n) for n in range(1, (due.date() - filed).days + 1)]
    business = [d for d in business if d.weekday() < 5 and d not in closed]
    assert len(business) == 15 and business[-1] == due.date() and due.time() == dt.time(23, 59)


async def test_an_overdue_complaint_is_told_as_overdue(world, domain):
    text = await ask(domain, "100200306", "+573001234506", "complaint_status")
    with _session() as session:
        due = records.complaint_by_ticket(session, "RC-0000001").due_at.astimezone(BOGOTA).date()  # Pedro's, 40 days old
    assert due < clock.today() and f"Su plazo legal venció el {day(due, clock.today())}" in text


# --- the scheduler's reminders and quiet hours --------------------------------------------------------

def test_bill_reminders_go_three_days_before_and_wait_out_quiet_hours(world):
    settings = get_settings()
    latest = _bills("100200301")[-1]
    reminder_day = latest.due_date - dt.timedelta(days=3)
    world.instant = dt.datetime.combine(reminder_day, dt.time(9, 0), BOGOTA).astimezone(dt.timezone.utc)
    with _session() as session:
        assert notifications.bill_reminders(session, settings) >= 1
        ana = session.execute(select(m.Notification).where(
            m.Notification.kind == "bill_reminder", m.Notification.account_id == latest.account_id)).scalar_one()
        assert ana.not_before == clock.now()  # 09:00 is outside quiet hours: at once
        assert f"vence el {day(latest.due_date, reminder_day)}" in ana.body
    world.instant = dt.datetime.combine(reminder_day, dt.time(22, 30), BOGOTA).astimezone(dt.timezone.utc)
    with _session() as session:
        held = notifications.enqueue(session, kind="test_notice", dedupe_key="quiet-test",
                                     customer=records.account_by_number(session, "100200301").customer,
                                     body="Aviso de prueba", settings=settings)
        morning = dt.datetime.combine(reminder_day + dt.timedelta(days=1), dt.time(7, 0), BOGOTA)
        assert held.not_before == morning.astimezone(dt.timezone.utc)  # 22:30 is quiet: next 07:00 local
