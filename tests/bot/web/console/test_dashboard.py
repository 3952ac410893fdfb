"""The dashboard reads its period, channel and grouping from the query string and says what was wrong."""
import datetime as dt
from zoneinfo import ZoneInfo

from bot import clock
from bot.web.console.dashboard import kpi_filters

BOGOTA = ZoneInfo("America/Bogota")
TODAY = dt.date(2026, 11, 20)


def filters_for(query: dict):
    with clock.travel_to(dt.datetime(2026, 11, 20, 10, 0, tzinfo=BOGOTA)):
        return kpi_filters(query, "America/Bogota")


def test_no_query_means_the_last_30_days_of_every_channel_by_day():
    filters, error = filters_for({})
    assert (filters.start, filters.end, filters.channel, filters.every) == (TODAY - dt.timedelta(days=29), TODAY, None, "day")
    assert error is None


def test_dates_given_backwards_are_swapped_and_said_so():
    filters, error = filters_for({"from": "2026-11-10", "to": "2026-11-01"})
    assert (filters.start, filters.end) == (dt.date(2026, 11, 1), dt.date(2026, 11, 10))
    assert error == "La fecha inicial es posterior a la final."


def test_a_range_longer_than_a_year_is_cut_to_one():
    filters, error = filters_for({"from": "2024-01-01", "to": "2026-11-01"})
    assert filters.start == dt.date(2026, 11, 1) - dt.timedelta(days=366)
    assert error == "El rango máximo es de un año."


def test_an_unreadable_date_keeps_the_default_and_unknown_channels_and_groupings_are_ignored():
    filters, error = filters_for({"from": "ayer", "channel": "fax", "every": "hour"})
    assert (filters.start, filters.channel, filters.every) == (TODAY - dt.timedelta(days=29), None, "day")
    assert error == "Fecha no válida: usa el formato AAAA-MM-DD."


def test_a_known_channel_and_grouping_are_kept():
    filters, _ = filters_for({"channel": "whatsapp", "every": "month"})
    assert (filters.channel, filters.every) == ("whatsapp", "month")
