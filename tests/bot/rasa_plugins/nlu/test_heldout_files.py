"""The held-out files measure understanding only while they stay apart from the training data."""
from __future__ import annotations

import re

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.text import fold
from tests.conftest import PROJECT_ROOT

CONTRACT = PROJECT_ROOT.parent / "shared" / "spec" / "intents.yml"
HELDOUT_FILES = sorted((PROJECT_ROOT / "tests" / "nlu").glob("*.yml"))


def _key(text: str) -> str:
    """Case, accents and punctuation ignored: "¿Hola?" and "hola" are the same message."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w ]", "", fold(text))).strip()


@pytest.mark.parametrize("path", HELDOUT_FILES, ids=lambda p: p.name)
def test_a_heldout_file_is_not_in_the_training_data(path):
    training = {_key(e.get("text")) for e in load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples}
    messages = [e.get("text") for e in load_data(str(path)).intent_examples]
    shared = [m for m in messages if _key(m) in training]
    # Short everyday messages ("hola", "ayuda", "quiero hablar con un asesor") are bound to be in both;
    # more than a quarter in common means the file was trained on.
    assert len(shared) <= len(messages) / 4, f"{len(shared)} of {len(messages)} held-out messages are training examples"


def test_every_intent_of_the_contract_is_in_every_heldout_file():
    names = set(yaml.safe_load(CONTRACT.read_text())["intents"])
    for path in HELDOUT_FILES:
        assert {e.get("intent") for e in load_data(str(path)).intent_examples} == names, path.name
