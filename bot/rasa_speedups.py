"""Rasa 3.6 checks every action server response with ``jsonschema.validate``, which first validates
the *schema itself* against the JSON Schema 2020-12 meta-schema, on every call. Under load that was
two thirds of the Rasa server's CPU (py-spy, docs/benchmarks.md). Here the schema is checked once and
each response is still validated, with the same error message when it is wrong.

Imported by the Rasa server's Luz components (bot.tracker_store), so it applies wherever Rasa runs Luz.
"""
from __future__ import annotations

from typing import Any, Dict, Text

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_SCHEMA = RemoteAction.action_response_format_spec()
_VALIDATOR_CLASS = validators.validator_for(_SCHEMA)
_VALIDATOR_CLASS.check_schema(_SCHEMA)
_VALIDATOR = _VALIDATOR_CLASS(_SCHEMA)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _VALIDATOR.validate(result)
        return True
    except ValidationError as e:
        e.message += (
            f". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


RemoteAction._validate_action_result = _validate_action_result
