"""Is the customer clearly upset? A rule-based reading, deliberately strict.

A false alarm puts a calm customer in a queue; a miss leaves an angry one with
a machine. So only strong signals count: insults and expressions of
exasperation, threats to go to the regulator, or shouting with repeated
exclamation marks.
"""
from __future__ import annotations

import re

from bot.text import fold

STRONG = re.compile(
    r"\b("
    r"pesim[oa]s?|porqueria|una mierda|mierda|ladron(es)?|estafador(es)?|estafa|sinverguenzas?|"
    r"inutiles|incompetentes|verguenza|indignante|inaceptable|abuso|abusivos?|"
    r"estoy (muy |super |re )?(hart[oa]|cansad[oa]|furios[oa]|indignad[oa]|molest[oa]|enojad[oa]|emputad[oa])|"
    r"(ya )?me tienen (hart[oa]|cansad[oa])|"
    r"voy a (denunciar|demandar)|los voy a (denunciar|demandar)|superintendencia|defensoria|"
    r"nadie (me )?(responde|soluciona|ayuda)"
    r")\b"
)


def upset(text: str) -> bool:
    if STRONG.search(fold(text)):
        return True
    letters = [ch for ch in text if ch.isalpha()]
    shouting = len(letters) >= 12 and sum(ch.isupper() for ch in letters) / len(letters) > 0.8
    return shouting and "!!" in text
