"""The shared secret between the Rasa server and the action server (``LUZ_ACTION_SECRET``).

Rasa sends it in a header on every call (``endpoints.yml``: ``action_endpoint.headers``); the action
server refuses any call without it (``bot/rasa_plugins/action_server.py``), so only Rasa can make it read or change
a customer's records. The same secret signs the phone a channel proved (a signed Twilio webhook, the
Telegram contact of the same user): the actions take a phone from a message's metadata only with that
signature, bound to the conversation, so a tracker or metadata written by anyone else names nobody.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Dict, Optional

HEADER = "X-Luz-Action-Secret"
MIN_LENGTH = 32  # production refuses a shorter secret (bot/ops/production.py)
PROOF_KEY = "phone_proof"


def generate() -> str:
    """A fresh secret (43 URL-safe characters), for one run of the embedded profile."""
    return secrets.token_urlsafe(32)


def accepts(secret: str, given: Optional[str]) -> bool:
    """True when ``given`` is the secret; an empty secret accepts nothing."""
    return bool(secret) and hmac.compare_digest((given or "").encode(), secret.encode())


def phone_proof(secret: str, sender_id: str, phone: str) -> str:
    message = f"phone\x00{sender_id}\x00{phone}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_phone(secret: str, sender_id: str, metadata: Dict[str, Any]) -> Dict[str, Any]:
    """The channel's metadata with the proof of its phone (for this conversation) added; unchanged without one."""
    phone = metadata.get("phone")
    if not secret or not phone:
        return metadata
    return {**metadata, PROOF_KEY: phone_proof(secret, sender_id, str(phone))}


def proven_phone(secret: str, sender_id: str, metadata: object) -> Optional[str]:
    """The metadata's phone when a channel signed it for this conversation, else None."""
    if not secret or not isinstance(metadata, dict) or not metadata.get("phone"):
        return None
    proof = metadata.get(PROOF_KEY)
    if not isinstance(proof, str):
        return None
    expected = phone_proof(secret, sender_id, str(metadata["phone"]))
    return str(metadata["phone"]) if hmac.compare_digest(proof.encode(), expected.encode()) else None
