"""Expiring signed links to a customer's documents (bill PDFs, consumption charts).

A link carries what it opens, signed with ``LUZ_SIGNING_SECRET``; anyone
with it can open it until it expires, nobody can forge or alter one, so a
link is only ever sent to the account's verified owner.
"""
from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

DEFAULT_MAX_AGE = 24 * 3600


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


class LinkSigner:
    def __init__(self, secret: str, base_url: str, max_age: int = DEFAULT_MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="luz-files")
        self.base_url = base_url.rstrip("/")
        self.max_age = max_age

    def url(self, kind: str, payload: Any, suffix: str) -> str:
        token = self._serializer.dumps({"k": kind, "p": payload})
        return f"{self.base_url}/files/{kind}/{token}.{suffix}"

    def load(self, kind: str, token: str) -> Any:
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired as error:
            raise LinkExpired(str(error)) from error
        except BadSignature as error:
            raise LinkInvalid(str(error)) from error
        if not isinstance(data, dict) or data.get("k") != kind:
            raise LinkInvalid("link of another kind")
        return data["p"]
