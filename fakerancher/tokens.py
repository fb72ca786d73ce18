"""Registration tokens: key pairs, the yearly token string, and the agent script."""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import random
import time

_SECRET_ALPHABET_DROP = str.maketrans("", "", "O0lI+/=")
_SIGNATURE_DROP = str.maketrans("", "", "/=+")
# registration.token.period.millis: a token stays valid for ten years.
VALIDITY_MS = 315_360_000_000
AGENT_IMAGE = "rancher/agent:v1.2.11"
WINDOWS_COMMAND = (
    'docker run --rm -v "C:\\Program Files\\rancher:C:\\Program Files\\rancher" '
    "rancher/agent-windows:v0.2.0"
)


def generate_key_pair(rng: random.Random) -> tuple[str, str]:
    """ApiKeyFilter#generateKeys: 20 upper-case hex chars, and a 40-char secret."""
    public = rng.getrandbits(80).to_bytes(10, "big").hex().upper()
    secret = ""
    while len(secret) < 40:
        chunk = base64.b64encode(rng.getrandbits(240).to_bytes(30, "big")).decode()
        secret += chunk.translate(_SECRET_ALPHABET_DROP)
    return public, secret[:40]


def year_marker_ms(now: float) -> int:
    """Epoch ms of 00:00 UTC on 31 December of the previous year (Calendar DAY_OF_YEAR=0)."""
    year = time.gmtime(now).tm_year
    return calendar.timegm((year - 1, 12, 31, 0, 0, 0)) * 1000


def signature(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode().translate(_SIGNATURE_DROP)


def make_token(public: str, secret: str, now: float) -> str:
    message = f"{public}:{year_marker_ms(now)}"
    return f"{message}:{signature(secret, message)}"


def token_matches(token: str, issued_token: str, now: float) -> bool:
    """True when `token` is the one issued and still inside its validity window."""
    parts = token.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    if not 0 <= now * 1000 - int(parts[1]) <= VALIDITY_MS:
        return False
    return hmac.compare_digest(token, issued_token)


def register_command(registration_url: str) -> str:
    return (
        "sudo docker run --rm --privileged -v /var/run/docker.sock:/var/run/docker.sock "
        f"-v /var/lib/rancher:/var/lib/rancher {AGENT_IMAGE} {registration_url}"
    )


def agent_script(token: str, cattle_url: str, client_ip: str) -> str:
    """The shell script `GET /v1/scripts/<token>` serves to a new host."""
    return (
        "#!/bin/sh\n\n"
        'export CATTLE_REGISTRATION_ACCESS_KEY="registrationToken"\n'
        f'export CATTLE_REGISTRATION_SECRET_KEY="{token}"\n'
        f'export CATTLE_URL="{cattle_url}"\n'
        f'export DETECTED_CATTLE_AGENT_IP="{client_ip}"\n'
    )
