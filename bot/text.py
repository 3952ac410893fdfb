"""How customers' words are compared: the one accent folding, and the short-answer key built on it.

Customers write "Cuándo", "cuando" and "CUANDO" for the same word, so every comparison of their words
with ours (concept expressions, categories, exit words, survey scores, yes/no answers) goes through
``fold`` first. ``ñ`` folds to ``n`` like any accented letter; the expressions are written that way.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "normalise"]

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case without accents: "Cuándo VUELVE" -> "cuando vuelve". Other characters are kept."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """A short answer as a key: folded, ASCII only (emoji and signs dropped), one space, no punctuation at
    the ends. "¡Sí!" -> "si", "5 ⭐" -> "5": how exit words, survey scores and yes/no answers are compared."""
    plain = fold(text).encode("ascii", "ignore").decode()
    return _SPACES.sub(" ", plain).strip(" .!¡?¿,;")
