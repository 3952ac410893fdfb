"""The understanding bars, asserted: `make test` fails when the model understands customers worse.

The held-out files (tests/nlu/, written apart from the training data and never trained on) are read by the
trained model in models/luz.tar.gz, as customers' messages are; README quotes these figures. The same
messages as people type them (greeting in front, slips, spelled by sound...) are read by the classifier's
own pipeline (scripts/nlu_perturb.py). Issue 19's bar for those lines is 0.95 and not all of them meet it
yet: until they do, each line is held at least where it was measured (``FLOORS``), so nothing slides back
unnoticed, and the lines that meet the bar are held to it. Cross-validation stays in `make nlu-eval` (slow).
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from scripts.nlu_fast import ROOT, examples
from scripts.nlu_perturb import BAR, report
from tests.product import MODEL

HELDOUT_BARS = {"heldout.yml": 0.98, "heldout_fresh.yml": 0.99}  # measured 0.983 and 0.994 (README)
FLOORS = {"greeting in front": 0.85, "courtesy after": 0.925, "two slips": 0.855, "spelled by sound": 0.94}
HELDOUT = sorted((ROOT / "tests" / "nlu").glob("*.yml"))


@pytest.fixture(scope="module")
def agent():
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


@pytest.mark.parametrize("path", HELDOUT, ids=lambda p: p.name)
def test_the_trained_model_reads_messages_written_apart_at_least_as_well_as_the_readme_says(agent, path: Path):
    texts, labels = examples(path)

    async def read():
        return [(await agent.parse_message(text))["intent"]["name"] for text in texts]

    guessed = np.array(asyncio.run(read()))
    accuracy = float((guessed == labels).mean())
    print(f"{path.name}: {len(texts)} messages, intent accuracy {accuracy:.3f}")
    assert accuracy >= HELDOUT_BARS[path.name]


def test_messages_as_people_type_them_do_not_slide_back():
    from bot.rasa_plugins.nlu.linear_intent_classifier import LinearIntentClassifier, build_pipeline

    texts, labels = examples(ROOT / "data" / "nlu")
    model = build_pipeline(LinearIntentClassifier.get_default_config()).fit(texts, labels)
    held_texts, held_labels = [], []
    for path in HELDOUT:
        t, y = examples(path)
        held_texts += t
        held_labels += list(y)
    figures = report(model, held_texts, np.array(held_labels))
    print(figures)
    below = {name: value for name, value in figures.items() if value < FLOORS.get(name, BAR)}
    assert not below, f"below the bar ({BAR}) or the floor measured before: {below}"
