"""Figures as they are said aloud in Colombian Spanish."""
import datetime as dt

import pytest

from bot.spoken import date_words, day_words, digits_words, money_words, number_words, time_words


@pytest.mark.parametrize("number, words", [
    (0, "cero"), (1, "uno"), (16, "dieciséis"), (21, "veintiuno"), (22, "veintidós"), (31, "treinta y uno"),
    (100, "cien"), (101, "ciento uno"), (115, "ciento quince"), (500, "quinientos"), (999, "novecientos noventa y nueve"),
    (1000, "mil"), (1001, "mil uno"), (2026, "dos mil veintiséis"), (21000, "veintiún mil"),
    (84350, "ochenta y cuatro mil trescientos cincuenta"), (101000, "ciento un mil"), (1_000_000, "un millón"),
    (2_500_000, "dos millones quinientos mil"), (21_000_000, "veintiún millones"), (-5, "menos cinco"),
])
def test_numbers_are_spelled_as_spoken(number, words):
    assert number_words(number) == words


@pytest.mark.parametrize("amount, words", [
    (84350, "ochenta y cuatro mil trescientos cincuenta pesos"), (1, "un peso"), (21, "veintiún pesos"),
    (31000, "treinta y un mil pesos"), (1_000_000, "un millón de pesos"), (3_000_000, "tres millones de pesos"),
    (1_200_000, "un millón doscientos mil pesos"), (0, "cero pesos"),
])
def test_amounts_agree_with_pesos(amount, words):
    assert money_words(amount) == words


def test_dates_and_times_are_said_as_people_say_them():
    assert date_words(dt.date(2026, 12, 12)) == "doce de diciembre"
    assert date_words(dt.date(2026, 12, 1), with_year=True) == "primero de diciembre de dos mil veintiséis"
    assert day_words(1) == "primero" and day_words(31) == "treinta y uno"
    assert time_words(15, 30) == "tres y media de la tarde"
    assert time_words(8, 0) == "ocho de la mañana" and time_words(12, 0) == "doce del mediodía"
    assert time_words(13, 15) == "una y quince de la tarde" and time_words(19, 0) == "siete de la noche"


def test_codes_are_read_digit_by_digit_in_groups():
    assert digits_words("100200301") == "uno cero cero, dos cero cero, tres cero uno"
    assert digits_words("4501", 4) == "cuatro cinco cero uno"
