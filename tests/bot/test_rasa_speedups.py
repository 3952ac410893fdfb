"""Action server responses are still checked after the speed-up: good ones pass, bad ones are refused."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

import bot.rasa_speedups  # noqa: F401


def test_good_responses_pass_and_bad_ones_are_refused_with_rasas_message():
    action = RemoteAction("action_start_journey", EndpointConfig("http://127.0.0.1:1/webhook"))
    good = {"events": [{"event": "slot", "name": "journey", "value": "check_balance"}], "responses": [{"text": "hola"}]}
    assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})
