"""Phone numbers as the records keep them: E.164 (``+573001234501``)."""
from __future__ import annotations

from typing import Optional

import phonenumbers


def to_e164(raw: Optional[str], default_region: str = "CO") -> Optional[str]:
    """The E.164 form of a number written any usual way, or None when it is not a phone.

    Channel prefixes (``whatsapp:``, ``tel:``) are dropped; a number without a
    country code is read in ``default_region``.
    """
    if not raw:
        return None
    text = raw.strip()
    for prefix in ("whatsapp:", "tel:", "sms:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
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
