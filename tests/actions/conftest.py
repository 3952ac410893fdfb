"""Run real actions against the seeded database with rasa_sdk's own Tracker and dispatcher."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return Domain.load(str(PROJECT_ROOT / "domain")).as_dict()


def make_tracker(
    sender: str = "+573001234501",
    slots: Optional[Dict[str, Any]] = None,
    intent: str = "check_balance",
    text: str = "",
    active_loop: Optional[str] = None,
    entities: Optional[List[dict]] = None,
) -> Tracker:
    """A tracker as the action server receives it.

    In a form, the slots named by ``requested_slot`` count as set by the last
    message (a ``slot`` event after the ``user`` event), so they get validated.
    """
    slots = dict(slots or {})
    events: List[Dict[str, Any]] = [{"event": "user", "text": text, "parse_data": {}}]
    requested = slots.get("requested_slot") if active_loop else None
    if requested and requested in slots:
        events.append({"event": "slot", "name": requested, "value": slots[requested]})
    return Tracker(
        sender_id=sender,
        slots=slots,
        latest_message={
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
            "text": text,
        },
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@dataclass
class Outcome:
    messages: List[Dict[str, Any]]
    events: List[Dict[str, Any]]

    @property
    def texts(self) -> List[str]:
        return [m.get("text") or "" for m in self.messages]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    def slots(self) -> Dict[str, Any]:
        return {e["name"]: e["value"] for e in self.events if e.get("event") == "slot"}


@pytest.fixture()
def run(use_database, domain):
    async def _run(action: Action, tracker: Tracker) -> Outcome:
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker, domain)
        return Outcome(dispatcher.messages, events)

    return _run
