"""The actions' domain fixture, shared with tests/actions."""
from tests.actions.conftest import domain  # noqa: F401
