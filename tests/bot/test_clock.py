"""One clock for the product: set by tests, read everywhere, never the machine's date directly."""
from __future__ import annotations

import ast
import datetime as dt
from zoneinfo import ZoneInfo

from bot import clock
from bot.formatting import day, moment
from bot.handoff import AgentHours
from bot.settings import Settings
from bot.tickets import business_days_after
from tests.source import offenders

BOGOTA = ZoneInfo("America/Bogota")
# Reading the machine's time is allowed only where the machine's time is what is meant.
ALLOWED = {
    "bot/clock.py": "the one clock",
    "bot/jobs/scheduler.py": "APScheduler runs jobs on the machine's time",
    "scripts/bench.py": "the date a benchmark was measured on",
    "scripts/storm.py": "the date a benchmark was measured on",
}


def _reads_of_the_real_time(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, owner = node.func.attr, node.func.value
            owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, owner_name) in {("now", "datetime"), ("utcnow", "datetime"), ("today", "date"),
                                      ("today", "datetime"), ("time", "time")}:
                yield node.lineno


def test_no_module_reads_the_machines_date_or_hour_but_the_clock():
    assert offenders(_reads_of_the_real_time, ALLOWED) == [], "read the time from bot.clock instead"


def test_the_guard_finds_a_read_of_the_real_date():
    code = "import datetime as dt\nx = dt.date.today()\ny = dt.datetime.now(dt.timezone.utc)\nimport time\nz = time.time()\n"
    assert list(_reads_of_the_real_time(ast.parse(code))) == [2, 3, 5]


def test_the_clock_can_be_set_and_moved():
    with clock.travel_to(dt.datetime(2028, 2, 29, 23, 30, tzinfo=BOGOTA)) as frozen:
        assert clock.today() == dt.date(2028, 2, 29)
        assert clock.now() == dt.datetime(2028, 3, 1, 4, 30, tzinfo=dt.timezone.utc)  # already March in UTC
        frozen.advance(dt.timedelta(minutes=45))
        assert clock.today() == dt.date(2028, 3, 1) and clock.local_now().hour == 0


def test_child_processes_follow_the_offset_from_settings():
    target = dt.datetime(2030, 1, 1, 12, 0, tzinfo=BOGOTA)
    offset = clock.offset_to(target)
    settings = Settings.from_environ({"LUZ_CLOCK_OFFSET": str(offset)})
    moved = clock.SystemClock(dt.timedelta(seconds=settings.clock_offset_seconds))
    assert abs(moved.now() - target) < dt.timedelta(seconds=5)
    assert Settings.from_environ({}).clock_offset_seconds == 0


def test_today_tomorrow_and_weekdays_are_local_across_midnight_and_the_year_end():
    tz = "America/Bogota"
    with clock.travel_to(dt.datetime(2026, 12, 31, 23, 30, tzinfo=BOGOTA)):  # 04:30 on 1 January in UTC
        assert moment(dt.datetime(2026, 12, 31, 23, 50, tzinfo=BOGOTA), tz).startswith("hoy a las 11:50")
        assert moment(dt.datetime(2027, 1, 1, 1, 0, tzinfo=BOGOTA), tz).startswith("mañana a las 1:00")
        assert day(dt.date(2027, 1, 2)) == "2 de enero de 2027"  # another year: said
    with clock.travel_to(dt.datetime(2027, 1, 1, 0, 5, tzinfo=BOGOTA)):
        assert moment(dt.datetime(2027, 1, 1, 3, 0, tzinfo=BOGOTA), tz).startswith("hoy a las 3:00")
        assert moment(dt.datetime(2026, 12, 31, 22, 0, tzinfo=BOGOTA), tz).startswith("ayer a las 10:00")
        assert day(dt.date(2027, 1, 2)) == "2 de enero"
    with clock.travel_to(dt.datetime(2026, 12, 4, 20, 0, tzinfo=BOGOTA)):  # a Friday evening
        assert moment(dt.datetime(2026, 12, 7, 8, 0, tzinfo=BOGOTA), tz).startswith("el lunes 7 de diciembre a las 8:00")


def test_a_deadline_across_the_year_end_skips_christmas_new_year_and_the_holiday_monday():
    # Friday 18 December 2026 + 15 business days: 25 Dec, 1 Jan and Monday 11 Jan (Reyes) are closed
    assert business_days_after(dt.date(2026, 12, 18), 15) == dt.date(2027, 1, 13)
    # filed on Saturday 5 December, the Tuesday 8th (Inmaculada) holiday is skipped
    assert business_days_after(dt.date(2026, 12, 5), 3) == dt.date(2026, 12, 10)


def test_attention_ends_at_closing_time_that_day():
    hours = AgentHours.parse("07:00-19:00", "1-6")
    evening = dt.datetime(2026, 12, 4, 18, 40, tzinfo=BOGOTA)
    assert hours.closing(evening) == dt.datetime(2026, 12, 4, 19, 0, tzinfo=BOGOTA)
    assert hours.closing(dt.datetime(2026, 12, 6, 10, 0, tzinfo=BOGOTA)) is None  # Sunday: closed
    assert AgentHours.parse("00:00-24:00", "1-7").closing(evening) is None  # open until midnight
