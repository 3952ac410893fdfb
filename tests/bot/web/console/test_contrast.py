"""The console's colours keep text readable: every pair of text and background it uses reaches WCAG AA (4.5:1)."""
from __future__ import annotations

import re

import pytest

from bot.web.console.pages import HERE

CSS = (HERE / "static" / "console.css").read_text(encoding="utf-8")
VARIABLES = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6})", CSS.split("}", 1)[0]))
WHITE = "#ffffff"
# (what, text colour, background) as console.css pairs them
PAIRS = [
    ("body text", VARIABLES["ink"], VARIABLES["bg"]), ("muted text on cards", VARIABLES["muted"], WHITE),
    ("muted text on the page", VARIABLES["muted"], VARIABLES["bg"]), ("what Luz understood", VARIABLES["muted"], "#f0f0f4"),
    ("internal notes", VARIABLES["ink"], "#fff7d6"), ("the customer's messages", VARIABLES["ink"], "#e8f1ff"),
    ("links and the brand", VARIABLES["brand"], WHITE), ("primary buttons", WHITE, VARIABLES["brand"]),
    ("danger buttons", WHITE, VARIABLES["danger"]), ("emergency pill", VARIABLES["danger"], "#fde2e0"),
    ("electro-dependent pill", VARIABLES["warn"], "#fff0da"), ("normal pill", "#2a4a9a", "#e8eefc"),
    ("available", "#0b5e35", "#e6f4ea"), ("away", "#8a4b00", "#fff4e5"), ("notices", "#ffffff", "#1d2433"),
    ("links in notices", "#9fd8ff", "#1d2433"), ("urgent notices", WHITE, VARIABLES["danger"]),
]


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(text: str, background: str) -> float:
    lighter, darker = sorted((luminance(text), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("what, text, background", PAIRS)
def test_text_reaches_wcag_aa_contrast(what, text, background):
    assert text.lower() in CSS.lower() or text == WHITE
    assert contrast(text, background) >= 4.5, what
