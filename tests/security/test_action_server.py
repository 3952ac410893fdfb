"""The action server is closed: only Rasa, which holds the per-run secret, can make it read or change records.

Against the real product (`python -m bot run`, tests/product.py): calls to the action port without the
secret, or with a wrong one, are refused and reveal nothing; the same forged tracker with the secret is
shown to be a working attack (so the refusal is what stops it); health checks need no secret.
"""
from __future__ import annotations

import json

import httpx
import pytest

from bot import internal_auth
from tests.security.forge import CARLOS, action_call, action_server_process, balance_of_carlos

pytestmark = pytest.mark.slow
LEAKS = (CARLOS["name"], "Mejía", CARLOS["account"], "821", "suspend")


def action_url(product, path: str = "/webhook") -> str:
    return f"http://127.0.0.1:{product['env']['ACTION_PORT']}{path}"


def the_secret(product) -> str:
    """The per-run secret, as the supervisor gave it to the action server (an attacker does not have it)."""
    return action_server_process(product).environ()["LUZ_ACTION_SECRET"]


@pytest.mark.parametrize("headers", [{}, {internal_auth.HEADER: ""}, {internal_auth.HEADER: "luz-dev-secret-change-me"},
                                     {"Authorization": "Bearer anything"}])
def test_a_forged_tracker_claiming_a_verified_account_is_refused_and_reveals_nothing(product, headers):
    response = httpx.post(action_url(product), json=balance_of_carlos(), headers=headers, timeout=30)
    assert response.status_code == 401
    assert not any(leak in response.text for leak in LEAKS), response.text


def test_the_same_forged_tracker_with_the_secret_would_show_carloss_balance(product):
    """The control: the payload above is a real attack, stopped by the secret and nothing else."""
    response = httpx.post(action_url(product), json=balance_of_carlos(),
                          headers={internal_auth.HEADER: the_secret(product)}, timeout=60)
    assert response.status_code == 200
    said = json.dumps(response.json()["responses"], ensure_ascii=False)
    assert CARLOS["account"] in said, said


def test_the_secret_is_a_fresh_long_one_per_run(product):
    secret = the_secret(product)
    assert len(secret) >= internal_auth.MIN_LENGTH and secret != "luz-dev-secret-change-me"


def test_listing_actions_needs_the_secret_and_health_does_not(product):
    assert httpx.get(action_url(product, "/actions"), timeout=10).status_code == 401
    assert httpx.get(action_url(product, "/health"), timeout=10).status_code == 200


def test_rasa_itself_reaches_the_actions(product):
    """Rasa sends the secret (endpoints.yml): a customer's balance still comes from the action server."""
    response = httpx.post(f"{product['base']}/webhooks/rest/webhook",
                          json={"sender": CARLOS["phone"], "message": "cuánto debo"}, timeout=60)
    said = json.dumps(response.json(), ensure_ascii=False)
    assert CARLOS["account"] in said and "Lo siento" not in said, said


def test_a_phone_in_metadata_without_the_channels_proof_names_nobody(product):
    """Even a call that carries the secret (e.g. through Rasa's HTTP API on loopback) cannot claim a phone:
    only the one a channel proved and signed for this conversation identifies the customer."""
    secret = the_secret(product)
    sender = "tg:990001"  # a Telegram chat: its sender id is no phone

    def start(metadata):
        call = action_call("action_start_journey", sender, {}, "cuánto debo", "check_balance", metadata)
        response = httpx.post(action_url(product), json=call, headers={internal_auth.HEADER: secret}, timeout=60)
        assert response.status_code == 200, response.text
        return {e["name"]: e["value"] for e in response.json()["events"] if e.get("event") == "slot"}

    forged = {"phone": CARLOS["phone"], "channel": "telegram"}
    for metadata in (forged, {**forged, internal_auth.PROOF_KEY: "0" * 64},
                     {**forged, internal_auth.PROOF_KEY: internal_auth.phone_proof(secret, "tg:990002", CARLOS["phone"])},
                     {**forged, internal_auth.PROOF_KEY: internal_auth.phone_proof("another-secret", sender, CARLOS["phone"])}):
        slots = start(metadata)
        assert not slots.get("account_verified") and CARLOS["account"] not in json.dumps(slots), (metadata, slots)
    proven = start(internal_auth.sign_phone(secret, sender, forged))  # what the Telegram channel sends
    assert proven.get("account_verified") is True and proven.get("account_number") == CARLOS["account"], proven
