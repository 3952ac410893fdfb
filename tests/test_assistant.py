"""The Rasa project itself: valid data, and conversations that follow the stories."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow
RASA = str(Path(__import__("sys").executable).with_name("rasa"))
SPEC = PROJECT_ROOT.parent / "shared" / "spec" / "intents.yml"


def rasa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([RASA, *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1200)


def test_every_contract_intent_is_in_the_domain_and_the_training_data():
    from rasa.shared.core.domain import Domain
    from rasa.shared.nlu.training_data.loading import load_data

    contract = set(yaml.safe_load(SPEC.read_text())["intents"])
    domain = Domain.load(str(PROJECT_ROOT / "domain"))
    data = load_data(str(PROJECT_ROOT / "data" / "nlu"))
    assert contract <= set(domain.intents)
    counts = {intent: 0 for intent in contract}
    for example in data.intent_examples:
        if example.get("intent") in counts:
            counts[example.get("intent")] += 1
    assert {i: c for i, c in counts.items() if c < 40} == {}


def test_training_data_and_domain_are_valid():
    result = rasa("data", "validate", "--config", "config.yml", "--domain", "domain", "--data", "data")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # Rasa 3.6 reports as unused the responses its own actions use: the questions of forms
    # (utter_ask_<slot>, utter_ask_rephrase) and the last fallback (utter_default). Known false positives.
    warnings = [line for line in output.splitlines()
                if "UserWarning" in line and "'utter_ask_" not in line and "'utter_default'" not in line]
    assert warnings == []


def test_conversation_stories_are_followed(tmp_path):
    result = rasa("test", "core", "--model", "models/luz.tar.gz", "--stories", "tests/stories",
                  "--endpoints", "endpoints.yml", "--fail-on-prediction-errors", "--out", str(tmp_path))
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details + result.stdout[-3000:] + result.stderr[-3000:]


def _user(intent: str) -> list:
    from rasa.shared.core.events import ActionExecuted, UserUttered

    return [ActionExecuted("action_listen"), UserUttered(f"/{intent}", {"name": intent, "confidence": 1.0})]


def _conversation_states(domain) -> dict:
    """Where a customer can be when they write: idle, after each journey, inside each form."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet

    states = {"idle": [ActionExecuted("action_session_start"), SessionStarted()]}
    journeys = next(slot for slot in domain.slots if slot.name == "journey").values
    for journey in journeys:
        states[f"after {journey}"] = _user(journey) + [
            ActionExecuted("action_start_journey"), SlotSet("journey", journey), ActionExecuted("identify_form"),
            ActiveLoop("identify_form"), SlotSet("requested_slot", None), ActiveLoop(None),
            ActionExecuted("action_run_journey")]
    for form in domain.form_names:
        states[f"in {form}"] = _user("greet") + [ActionExecuted("utter_greet"), ActionExecuted(form),
                                                 ActiveLoop(form), SlotSet("requested_slot",
                                                                           domain.required_slots_for_form(form)[0])]
    return states


async def test_every_intent_has_an_answer_wherever_the_customer_is():
    """The dialogue is rules only (no TEDPolicy): a message no rule covers would fall to the core fallback
    and hand the customer to a person. Every intent, in every state a customer can be in, must have a rule."""
    from rasa.core.agent import load_agent
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = await load_agent(model_path=str(PROJECT_ROOT / "models" / "luz.tar.gz"))
    domain = agent.domain
    uncovered = []
    for state, events in _conversation_states(domain).items():
        for intent in domain.intents:
            tracker = DialogueStateTracker.from_events("coverage", events + _user(intent), domain.slots)
            prediction = agent.processor._predict_next_with_tracker(tracker)
            action = domain.action_names_or_texts[prediction.max_confidence_index]
            if action == "action_default_fallback":
                uncovered.append(f"{state}: {intent}")
    assert len(_conversation_states(domain)) > 20 and len(domain.intents) >= 36
    assert uncovered == []
