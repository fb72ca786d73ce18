"""API keys and access control, as Cattle's `ApiAuthenticator` applies them.

Access control is off by default, as on a fresh Cattle: every request is accepted. When it is
on (or a request sends `X-ENFORCE-AUTHENTICATION: true`), a request needs HTTP Basic
credentials of an environment API key: its access key and secret key. The key's project is
the request's project. Missing or wrong credentials get 401 `Unauthorized` with a
`WWW-Authenticate` challenge, unless the request sends `X-API-No-Challenge: true`.

Secret keys are kept only as SHA-256 digests (Cattle hashes `apiKey` secrets too): the secret
is shown once, in the answer that created the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import random
import threading
from dataclasses import dataclass
from typing import Any

from fakerancher import tokens
from fakerancher.errors import ApiError

REALM = 'Basic realm="Enter API access key and secret key as username and password"'


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    public_value: str
    secret_digest: str
    project_id: int

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "publicValue": self.public_value,
            "accountId": f"1a{self.project_id}",
        }

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_digest, digest(secret))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def unauthorized(challenge: bool) -> ApiError:
    error = ApiError(401)
    error.headers = {"WWW-Authenticate": REALM} if challenge else {}
    return error


class ApiKeys:
    """The environment API keys of one fake, and whether access control is on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.access_control = False
        self._keys: dict[str, ApiKey] = {}

    def add(
        self,
        key_id: str,
        project_id: int,
        rng: random.Random,
        public_value: str | None = None,
        secret_value: str | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key; returns it and its secret (the only time the secret is available)."""
        generated_public, generated_secret = tokens.generate_key_pair(rng)
        public = public_value or generated_public
        secret = secret_value or generated_secret
        key = ApiKey(key_id, public, digest(secret), project_id)
        with self._lock:
            if public in self._keys:
                raise ApiError(400, "NotUnique", message="NotUnique", field_name="publicValue")
            self._keys[public] = key
        return key, secret

    def restore(self, keys: list[ApiKey], access_control: bool) -> None:
        with self._lock:
            self._keys = {key.public_value: key for key in keys}
            self.access_control = access_control

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()
            self.access_control = False

    def listed(self) -> list[ApiKey]:
        with self._lock:
            return list(self._keys.values())

    def authenticate(self, authorization: str | None) -> ApiKey | None:
        """The key named by an `Authorization: Basic` header, if its secret matches."""
        if not authorization or authorization[:6].lower() != "basic ":
            return None
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        public, _, secret = decoded.partition(":")
        key = self._keys.get(public)
        return key if key is not None and key.matches(secret) else None

    def document(self) -> dict[str, Any]:
        return {
            "accessControl": self.access_control,
            "apiKeys": [key.document() for key in self.listed()],
        }
