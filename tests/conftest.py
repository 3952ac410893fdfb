"""Shared fixtures: a migrated, seeded records database per test session.

The database is SQLite in a temporary folder, or PostgreSQL when
``TEST_DATABASE_URL`` points at a server (a fresh database is created there
and dropped afterwards). The settings the actions read point at it.

Time is an input: the whole session, and every process it starts, runs on the
product's clock set to ``TEST_INSTANT`` (or ``LUZ_TEST_AT``, an ISO instant
with its offset, to run the suite at another one); no test reads the real
date. ``tests/time/`` travels to many other instants.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from bot import clock
from bot.db.engine import create_engine, engine_for
from bot.db.migrate import upgrade
from bot.demo.seed import seed
from bot.settings import LUZ_CLOCK_OFFSET, Settings, get_settings

TEST_CUSTOMERS = 300
BOGOTA = ZoneInfo("America/Bogota")
# a Wednesday mid-morning, inside agent hours and outside quiet hours
TEST_INSTANT = (dt.datetime.fromisoformat(os.environ["LUZ_TEST_AT"]) if os.environ.get("LUZ_TEST_AT")
                else dt.datetime(2026, 11, 18, 10, 0, tzinfo=BOGOTA))
os.environ[LUZ_CLOCK_OFFSET] = str(clock.offset_to(TEST_INSTANT))  # this process and every one it starts
get_settings.cache_clear()
clock.set_clock(None)
for _name, _value in Settings.from_environ().rasa_environment().items():
    os.environ.setdefault(_name, _value)  # Rasa commands run by tests read endpoints.yml
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _backends():
    yield "sqlite"
    if os.environ.get("TEST_DATABASE_URL"):
        yield "postgresql"


@pytest.fixture(scope="session")
def today() -> dt.date:
    """The utility's day the session runs on (the product's clock)."""
    return clock.today()


def _create_database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'records.db'}"
        return
    admin_url = os.environ["TEST_DATABASE_URL"]
    name = f"luz_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(make_url(admin_url).set(database=name))
    finally:
        engine_for.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=list(_backends()))
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A migrated and seeded database URL, on each configured backend."""
    tmp = tmp_path_factory.mktemp(request.param)
    for url in _create_database(request.param, tmp):
        upgrade(url)
        engine = create_engine(url)
        seed(engine, seed=7, customers=TEST_CUSTOMERS)
        engine.dispose()
        yield url


@pytest.fixture()
def engine(database_url) -> Engine:
    return engine_for(database_url)


@pytest.fixture()
def use_database(database_url, monkeypatch) -> Iterator[str]:
    """Points the process's settings (read by the actions) at the test database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def twilio_api():
    from tests.emulators import TwilioEmulator

    emulator = TwilioEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def telegram_api():
    from tests.emulators import TelegramEmulator

    emulator = TelegramEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def product(tmp_path_factory, twilio_api, telegram_api):
    """The running product (see tests/product.py), shared by the slow end-to-end tests."""
    import subprocess
    import sys

    from tests.product import MODEL, product_environment, start_product, stop_product

    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    tmp = tmp_path_factory.mktemp("e2e")
    env = product_environment(tmp, twilio_api.url, telegram_api.url)
    subprocess.run([sys.executable, "-m", "bot", "db", "setup", "--demo", "--customers", "200"], env=env, check=True,
                   cwd=PROJECT_ROOT, capture_output=True)
    state = {"base": f"http://127.0.0.1:{env['RASA_PORT']}", "env": env, "tmp": tmp,
             "process": start_product(env, tmp)}
    yield state
    assert stop_product(state["process"]) == 0
