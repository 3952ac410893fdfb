"""TwiML as a caller meets it: what is said, whether a person is dialled, whether the call hangs up, the next turn;
and Twilio's signed form posts, as the phone line's webhooks receive them."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import List, Optional
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

# What the ear cannot follow: "$ 84.350", "2026-12-12", "3:30", "AV-0000123", a mask, a link.
UNSPEAKABLE = re.compile(r"\d|\$|https?://|www\.|\*|#")


@dataclass
class Heard:
    """One TwiML answer as the caller meets it."""

    status: int
    says: List[str] = field(default_factory=list)
    dial: Optional[str] = None
    hangup: bool = False
    next_turn: Optional[int] = None
    gather: Optional[ET.Element] = None
    xml: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.says)


def heard(response) -> Heard:
    """A webhook's answer: anything with ``status_code`` (or ``status``) and ``text`` (or ``body``)."""
    status = getattr(response, "status_code", None) or getattr(response, "status", 0)
    if status != 200:
        return Heard(status)
    return parse(response.text if hasattr(response, "text") else response.body.decode())


def parse(text: str) -> Heard:
    """TwiML as the caller meets it (a call placed with inline TwiML, or a webhook's answer)."""
    root = ET.fromstring(text)
    gather = root.find("Gather")
    dial = root.find("Dial")
    action = (gather.get("action") if gather is not None else None) or (dial.get("action") if dial is not None else None)
    return Heard(200, [say.text or "" for say in root.iter("Say")], root.findtext("Dial"), root.find("Hangup") is not None,
                 int(action.rsplit("turn=", 1)[1]) if action else None, gather, text)


def assert_speakable(result: Heard) -> None:
    """No <Say> holds a raw figure, date, mask or link."""
    for said in result.says:
        assert not UNSPEAKABLE.search(said), said


def signed_request(public_base_url: str, token: str, path: str, form: dict, signature: Optional[str] = None):
    """A request as the voice channel's handlers read it (path, query, headers, body), signed as Twilio signs it."""
    url = public_base_url + path
    signature = RequestValidator(token).compute_signature(url, form) if signature is None else signature
    route, _, query = path.partition("?")
    return SimpleNamespace(path=route, query_string=query, headers={"X-Twilio-Signature": signature},
                           body=urlencode(form).encode())
