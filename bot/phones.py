"""Phone numbers as the records keep them: E.164 (``+573001234501``)."""
from __future__ import annotations

import re
from typing import Optional

import phonenumbers

# Mexico dropped the "1" after +52 for mobiles in 2019, but WhatsApp (and so Twilio) still sends many Mexican
# senders as whatsapp:+521 and ten digits: the same phone as +52 and the ten digits.
_MEXICAN_MOBILE = re.compile(r"^\+521(\d{10})$")


def to_e164(raw: Optional[str], default_region: str = "CO") -> Optional[str]:
    """The E.164 form of a number written any usual way, or None when it is not a phone.

    Channel prefixes (``whatsapp:``, ``tel:``) are dropped; a number without a
    country code is read in ``default_region``; a Mexican mobile in WhatsApp's old ``+521`` form is ``+52``.
    """
    if not raw:
        return None
    text = raw.strip()
    for prefix in ("whatsapp:", "tel:", "sms:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
    text = _MEXICAN_MOBILE.sub(r"+52\1", text.replace(" ", ""), count=1)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7 or any(ch.isalpha() for ch in text):
        return None
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
