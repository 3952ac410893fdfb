"""The web service in this process (real scheduler, real database) with its channels on the emulators.

Each test gets a zone of its own with customers whose consent, channel and
history are known, so what the emulators must receive is known exactly.
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Dict, List

import httpx
import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

from bot import clock
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.settings import get_settings
from bot.web.api import create_key
from tests.emulators import serving
from tests.product import SMS_FROM, TELEGRAM_SECRET, TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN, VOICE_FROM, WHATSAPP_FROM

_numbers = itertools.count(1)


@dataclass
class Person:
    key: str
    customer_id: int
    account_id: int
    account_number: str
    phone: str
    telegram: str = ""


@dataclass
class Neighbourhood:
    zone_code: str
    people: Dict[str, Person]


def _make_zone(session, suffix: int) -> m.Zone:
    zone = m.Zone(code=f"ZT-{suffix:03d}", name=f"Barrio Prueba {suffix}", city="Bogotá")
    zone.feeders = [m.Feeder(code=f"FT-{suffix:03d}-1")]
    session.add(zone)
    session.flush()
    return zone


def add_person(session, zone: m.Zone, key: str, *, consent=True, channel=m.Channel.sms, telegram=False,
               suspended=False, due_in_days=None) -> Person:
    n = next(_numbers)
    phone = f"+57311{n:07d}"
    customer = m.Customer(national_id=f"9{n:08d}", full_name=f"{key.title()} Prueba", notifications_consent=consent,
                          preferred_channel=channel, telegram_user_id=f"77{n:06d}" if telegram else None)
    customer.phones = [m.Phone(number=phone, is_mobile=True)]
    account = m.Account(account_number=f"9{n:08d}", customer=customer, address=f"Calle {n} # 1-{n}",
                        neighborhood=zone.name, city=zone.city, zone_id=zone.id, feeder_id=zone.feeders[0].id,
                        tariff_code="RES-3", meter_number=f"MT{n:09d}",
                        status=m.AccountStatus.suspended if suspended else m.AccountStatus.active)
    session.add(account)
    session.flush()
    today = clock.today()  # the utility's day, as the jobs count it
    tariff = session.query(m.Tariff).first()
    due = today + dt.timedelta(days=due_in_days if due_in_days is not None else (-20 if suspended else 12))
    bill = m.Bill(account_id=account.id, period=today.replace(day=1), issued_on=today - dt.timedelta(days=10),
                  due_date=due, reading_start=Decimal("100"), reading_end=Decimal("250"), reading_type=m.ReadingType.actual,
                  kwh=Decimal("150"), tariff_id=tariff.id, energy_amount=Decimal("100000"), fixed_amount=Decimal("6800"),
                  public_lighting_amount=Decimal("3000"), taxes_amount=Decimal("0"), total=Decimal("109800"),
                  status=m.BillStatus.unpaid)
    session.add(bill)
    session.flush()
    return Person(key, customer.id, account.id, account.account_number, phone,
                  f"tg:{customer.telegram_user_id}" if telegram else "")


@pytest.fixture()
def neighbourhood(engine) -> Neighbourhood:
    """Seven neighbours, one of each situation the delivery rules tell apart."""
    suffix = next(_numbers)
    with session_scope(engine) as session:
        zone = _make_zone(session, suffix)
        people = {
            "ana": add_person(session, zone, "ana", channel=m.Channel.whatsapp),       # wrote on WhatsApp today
            "beto": add_person(session, zone, "beto", channel=m.Channel.whatsapp),     # silent on WhatsApp for days
            "caro": add_person(session, zone, "caro", channel=m.Channel.sms),
            "dani": add_person(session, zone, "dani", consent=False),                  # never consented
            "eva": add_person(session, zone, "eva"),                                   # texted BAJA
            "fede": add_person(session, zone, "fede", consent=False),                  # reported the outage
            "gabi": add_person(session, zone, "gabi", channel=m.Channel.telegram, telegram=True),
        }
        session.add(m.InboundMessage(channel="whatsapp", provider_id=f"SMtest{suffix}", sender=people["ana"].phone,
                                     received_at=m.utcnow() - dt.timedelta(hours=2)))
        session.add(m.OptOut(channel="sms", address=people["eva"].phone))
        session.add(m.OutageReport(kind="no_power", priority=2, account_id=people["fede"].account_id, channel="sms",
                                   phone=people["fede"].phone, ticket=f"AV-T{suffix:06d}"))
        return Neighbourhood(zone.code, people)


@pytest.fixture()
def service(use_database, monkeypatch, twilio_api, telegram_api):
    """The web service app, started (lifespan: the scheduler runs), with an API key."""
    env = {
        "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "TWILIO_SMS_FROM": SMS_FROM, "TWILIO_API_BASE_URL": twilio_api.url, "TWILIO_VOICE_FROM": VOICE_FROM,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "TELEGRAM_API_BASE_URL": telegram_api.url,
        "LUZ_QUIET_HOURS": "00:00-00:00", "LUZ_WHATSAPP_TEMPLATES": "outage_update=HXupdate0000000000000000000000000",
    }
    for name, value in env.items():
        if name != "LUZ_QUIET_HOURS" or name not in os.environ:  # a test may set its own quiet hours first
            monkeypatch.setenv(name, value)
    _clear_caches()
    from bot.web.app import create_app

    app = create_app(get_settings())
    with session_scope(engine_for(use_database)) as session:
        key = create_key(session, "pruebas")
    with serving(app) as base, httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
        client.app_ref = app
        yield client
    _clear_caches()


def _clear_caches() -> None:
    from bot.jobs.tasks import dispatcher
    from channels.outbound import provider

    get_settings.cache_clear()
    provider.cache_clear()
    dispatcher.cache_clear()


def run_job(client: httpx.Client, job_id: str, timeout: float = 30) -> None:
    """Runs a scheduled job now, through the scheduler, and waits for it to finish."""
    scheduler = client.app_ref.state.scheduler
    done = threading.Event()
    errors: List[BaseException] = []

    requested = dt.datetime.now(dt.timezone.utc)

    def listen(event):  # this run, not one of the job's rounds that was already under way when it was asked for
        if event.job_id == job_id and event.scheduled_run_time >= requested - dt.timedelta(milliseconds=1):
            if event.exception:
                errors.append(event.exception)
            done.set()

    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        scheduler.get_job(job_id).modify(next_run_time=requested)
        scheduler.wakeup()
        assert done.wait(timeout), f"job {job_id} did not run"
    finally:
        scheduler.remove_listener(listen)
    if errors:
        raise errors[0]


def fanned_out(client: httpx.Client, answer: httpx.Response, timeout: float = 30) -> Dict:
    """An outage the API accepted (202), once its notice batch has queued everyone: the batch's progress."""
    assert answer.status_code == 202, answer.text
    progress = answer.json()["notice_batch"]["progress"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = client.get(progress).json()
        if batch["status"] != "queuing":
            return batch
        time.sleep(0.1)
    raise AssertionError(f"the notice batch at {progress} was not queued within {timeout} s")


def sent_to(emulator, address: str) -> List[dict]:
    return emulator.matching(lambda r: r.get("to") == address or str(r.get("data", {}).get("chat_id")) == address)
