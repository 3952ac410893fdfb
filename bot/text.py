"""How customers' words are compared: the one accent folding, and the short-answer key built on it.

Customers write "Cuándo", "cuando" and "CUANDO" for the same word, so every comparison of their words
with ours (concept expressions, categories, exit words, survey scores, yes/no answers) goes through
``fold`` first. ``ñ`` folds to ``n`` like any accented letter; the expressions are written that way.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "normalise", "request_of", "sound_key"]

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case without accents: "Cuándo VUELVE" -> "cuando vuelve". Other characters are kept."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_LEADING = re.compile(
    r"^(?:(?:hola|holi|ola|buen(?:os|as)?\s+(?:dias?|tardes?|noches?)|buen\s+dia|que\s+tal|saludos|"
    r"senorit[ao]|senor[a]?|disculpe?|oiga|oye|buenas|alo|por\s+favor|porfa|muy\s+amable)\b[\s,.;:!¡?¿-]*)+")
_TRAILING = re.compile(
    r"(?:[\s,.;:!¡?¿-]+(?:por\s+favor|porfa(?:vor)?|gracias|muchas\s+gracias|mil\s+gracias|le\s+agradezco|"
    r"te\s+agradezco|senorit[ao]|amable|muy\s+amable|de\s+antemano|que\s+tenga\s+buen\s+dia)\b)+[\s.!?]*$")


def request_of(text: str) -> str:
    """The request without the courtesy around it: "buenas tardes, ¿cuánto me toca pagar? gracias" ->
    "¿cuánto me toca pagar?". A message that is only courtesy ("hola", "muchas gracias") stays whole."""
    folded = fold(text)
    core = _TRAILING.sub("", _LEADING.sub("", folded)).strip(" ,.;:")
    return core if len(core.split()) >= 2 else folded


_SOUNDS = ((re.compile(r"qu(?=[ei])"), "k"), (re.compile(r"c(?=[aou])"), "k"), (re.compile(r"c(?=[ei])"), "s"),
           (re.compile(r"z"), "s"), (re.compile(r"v"), "b"), (re.compile(r"ll"), "y"), (re.compile(r"(?<!c)h"), ""),
           (re.compile(r"([a-z])\1+"), r"\1"))


def sound_key(text: str) -> str:
    """How a message sounds, the way people spell by ear: "kiero saver kuanto deboo" and "quiero saber
    cuánto debo" have the same key ("kiero saber kuanto debo"). For the classifier's character n-grams."""
    key = fold(text)
    for pattern, replacement in _SOUNDS:
        key = pattern.sub(replacement, key)
    return key


def normalise(text: str) -> str:
    """A short answer as a key: folded, ASCII only (emoji and signs dropped), one space, no punctuation at
    the ends. "¡Sí!" -> "si", "5 ⭐" -> "5": how exit words, survey scores and yes/no answers are compared."""
    plain = fold(text).encode("ascii", "ignore").decode()
    return _SPACES.sub(" ", plain).strip(" .!¡?¿,;")
