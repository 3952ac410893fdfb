"""What an attacker who reaches the action port sends: an action call with a tracker of their making."""
from __future__ import annotations

from typing import Dict, Optional

import psutil

CARLOS = {"phone": "+573001234502", "account": "100200302", "name": "Carlos"}


def action_call(action: str, sender: str, slots: Dict, text: str, intent: str, metadata: Optional[Dict] = None) -> Dict:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": [],
              "metadata": metadata or {}}
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": sender, "slots": slots, "latest_message": latest,
            "events": [{"event": "user", "text": text, "parse_data": latest, "input_channel": "telegram",
                        "metadata": metadata or {}}],
            "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
            "latest_input_channel": "telegram",
        },
    }


def balance_of_carlos(sender: str = "attacker") -> Dict:
    """The issue's attack: a tracker claiming Carlos's account is verified, asking for his balance."""
    return action_call("action_run_journey", sender, {"account_verified": True, "account_number": CARLOS["account"],
                                                      "journey": "check_balance"}, "cuánto debo", "check_balance")


def product_processes(product) -> list:
    root = psutil.Process(product["process"].pid)
    return [root] + root.children(recursive=True)


def action_server_process(product) -> psutil.Process:
    found = [p for p in product_processes(product) if "action-server" in p.cmdline()]
    assert len(found) == 1, [p.cmdline() for p in product_processes(product)]
    return found[0]
