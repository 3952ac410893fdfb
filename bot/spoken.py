"""Figures as a Spanish speaker says them: "ochenta y cuatro mil trescientos cincuenta pesos", "el doce de diciembre".

The written forms (``bot/formatting.py``: ``$ 84.350``, ``12 de diciembre``, ``3:30 p. m.``) are for the eye; a
speech synthesiser reads "$ 84.350" as "dólar ochenta y cuatro punto tres cinco cero" or worse. No package of the
lock spells numbers in Spanish (babel formats them, it does not spell them), so this small module does, with the
rules a Colombian listener expects: "un" before a noun and before "mil" ("veintiún mil pesos"), "cien" alone and
"ciento" before more, "un millón de pesos", the first of the month as "primero".
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Union

UNITS = ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce",
         "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve", "veinte", "veintiuno",
         "veintidós", "veintitrés", "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho",
         "veintinueve"]
TENS = {3: "treinta", 4: "cuarenta", 5: "cincuenta", 6: "sesenta", 7: "setenta", 8: "ochenta", 9: "noventa"}
HUNDREDS = {1: "ciento", 2: "doscientos", 3: "trescientos", 4: "cuatrocientos", 5: "quinientos", 6: "seiscientos",
            7: "setecientos", 8: "ochocientos", 9: "novecientos"}
MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre"]
DIGITS = ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"]

Number = Union[int, Decimal]


def _below_thousand(n: int, before_noun: bool) -> str:
    if n == 100:
        return "cien"
    hundreds, rest = divmod(n, 100)
    words = [HUNDREDS[hundreds]] if hundreds else []
    if rest:
        if rest < 30:
            unit = UNITS[rest]
            if before_noun and rest in (1, 21):  # "un peso", "veintiún mil"
                unit = "un" if rest == 1 else "veintiún"
            words.append(unit)
        else:
            tens, unit_value = divmod(rest, 10)
            word = TENS[tens]
            if unit_value:
                word += " y " + ("un" if before_noun and unit_value == 1 else UNITS[unit_value])
            words.append(word)
    return " ".join(words)


def number_words(n: int, before_noun: bool = False) -> str:
    """``84350`` -> "ochenta y cuatro mil trescientos cincuenta". ``before_noun``: "un"/"veintiún" for a noun after it."""
    if n < 0:
        return "menos " + number_words(-n, before_noun)
    if n == 0:
        return "cero"
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    words = []
    if millions:
        words.append("un millón" if millions == 1 else f"{number_words(millions, before_noun=True)} millones")
    if thousands:
        words.append("mil" if thousands == 1 else f"{_below_thousand(thousands, before_noun=True)} mil")
    if units:
        words.append(_below_thousand(units, before_noun))
    return " ".join(words)


def money_words(amount: Number) -> str:
    """Pesos without cents: ``84350`` -> "ochenta y cuatro mil trescientos cincuenta pesos"; "un millón de pesos"."""
    value = int(Decimal(str(amount)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if value in (1, -1):
        return ("menos " if value < 0 else "") + "un peso"
    exact_millions = value != 0 and abs(value) % 1_000_000 == 0
    return f"{number_words(value, before_noun=True)}{' de' if exact_millions else ''} pesos"


def day_words(day_of_month: int) -> str:
    """The day of the month as said aloud: "primero", "doce"."""
    return "primero" if day_of_month == 1 else number_words(day_of_month)


def date_words(date: dt.date, with_year: bool = False) -> str:
    """``2026-12-12`` -> "doce de diciembre" (and "de dos mil veintiséis" with the year)."""
    said = f"{day_words(date.day)} de {MONTHS[date.month - 1]}"
    return f"{said} de {number_words(date.year)}" if with_year else said


def time_words(hour: int, minute: int) -> str:
    """A 24-hour time as said in Colombia: "tres y media de la tarde", "ocho de la mañana", "doce del mediodía"."""
    twelve = hour % 12 or 12
    if hour == 0:
        part = "de la noche"
    elif hour < 12:
        part = "de la mañana"
    elif hour == 12:
        part = "del mediodía"
    elif hour < 19:
        part = "de la tarde"
    else:
        part = "de la noche"
    said = "una" if twelve == 1 else number_words(twelve)
    if minute == 30:
        said += " y media"
    elif minute:
        said += f" y {number_words(minute)}"
    return f"{said} {part}"


def digits_words(digits: str, group: int = 3) -> str:
    """A code read digit by digit in small groups: ``100200301`` -> "uno cero cero, dos cero cero, tres cero uno"."""
    clean = [d for d in digits if d.isdigit()]
    groups = ["".join(clean[i:i + group]) for i in range(0, len(clean), group)]
    return ", ".join(" ".join(DIGITS[int(d)] for d in chunk) for chunk in groups)
