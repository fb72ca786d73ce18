"""Fault rules: answer matching API calls with an error, added latency or a dropped connection."""

from __future__ import annotations

import math
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from fakerancher.calls import path_matcher
from fakerancher.errors import STATUS_CODES, ApiError
from fakerancher.options import invalid_option, require_strings, resource_type_id

_KEYS = frozenset(
    {"method", "path", "type", "action", "status", "code", "message", "latency", "drop"}
    | {"times", "probability"}
)
# The methods the API answers (others are refused before any rule could match).
_METHODS = ("GET", "POST", "PUT", "DELETE")


class ConnectionDropped(ConnectionError):
    """Raised by the app when a fault drops the connection.

    A `ConnectionError`, so werkzeug's server treats it as a dropped connection and closes the
    socket without an answer; `mock_rancher` turns it into `requests.ConnectionError`.
    """


@dataclass(slots=True, eq=False)
class FaultRule:
    method: str | None = None
    path: str | None = None
    type: str | None = None
    action: str | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    latency: float = 0.0
    drop: bool = False
    times: int | None = None
    probability: float | None = None
    hits: int = 0
    _path: re.Pattern[str] | None = field(default=None, repr=False)

    def matches(self, method: str, path: str, type_id: str | None, action: str | None) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        if self._path is not None and self._path.fullmatch(path) is None:
            return False
        if self.type is not None and (type_id is None or self.type.lower() != type_id.lower()):
            return False
        return self.action is None or self.action == action

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def error(self) -> ApiError | None:
        if self.status is None:
            return None
        code = self.code or STATUS_CODES.get(self.status, "Error")
        return ApiError(self.status, code, message=self.message or code)

    def document(self) -> dict[str, Any]:
        keys = sorted(_KEYS | {"hits"})
        return {key: getattr(self, key) for key in keys}


def parse_fault(body: Any) -> FaultRule:
    """A rule from its JSON form, e.g. `{"method": "GET", "status": 503, "times": 2}`."""
    if not isinstance(body, dict):
        raise invalid_option("a fault rule is a JSON object")
    unknown = set(body) - _KEYS
    if unknown:
        raise invalid_option(f"unknown fault rule keys: {', '.join(sorted(unknown))}")
    require_strings(body, ("method", "path", "type", "action", "code", "message"))
    method = body.get("method")
    if method is not None:
        method = method.upper()
        if method not in _METHODS:
            raise invalid_option(f"method must be one of {', '.join(_METHODS)}")
    type_id = resource_type_id(body.get("type"))
    status = body.get("status")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
    ):
        raise invalid_option("status must be an HTTP error status, 400 to 599")
    latency = body.get("latency", 0)
    if isinstance(latency, bool) or not isinstance(latency, int | float):
        raise invalid_option("latency must be a number of seconds")
    if not 0 <= latency <= 60:
        raise invalid_option("latency must be between 0 and 60 seconds")
    drop = body.get("drop", False)
    if not isinstance(drop, bool):
        raise invalid_option("drop must be true or false")
    if status is None and not drop and not latency:
        raise invalid_option("a fault needs a status, a latency or drop")
    times = body.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise invalid_option("times must be an integer >= 1")
    probability = body.get("probability")
    if probability is not None and (
        isinstance(probability, bool)
        or not isinstance(probability, int | float)
        or not (math.isfinite(probability) and 0 <= probability <= 1)
    ):
        raise invalid_option("probability must be a number from 0 to 1")
    path = body.get("path")
    try:
        compiled = None if path is None else path_matcher(path)
    except re.error:
        raise invalid_option("path is not a valid pattern") from None
    return FaultRule(
        method=method,
        path=path,
        type=type_id,
        action=body.get("action"),
        status=status,
        code=body.get("code"),
        message=body.get("message"),
        latency=float(latency),
        drop=drop,
        times=times,
        probability=None if probability is None else float(probability),
        _path=compiled,
    )


class Faults:
    """The fault rules of one fake; the first live matching rule fires."""

    def __init__(self, rng: random.Random) -> None:
        self._lock = threading.Lock()
        self.random = rng
        self.rules: list[FaultRule] = []

    def add(self, **rule: Any) -> FaultRule:
        """E.g. `fake.faults.add(method="GET", type="registry", status=503, times=1)`; from
        Python, `path` may also be a compiled regex (matched whole, with its own flags)."""
        path = rule.get("path")
        if isinstance(path, re.Pattern):
            parsed = parse_fault({**rule, "path": path.pattern})
            parsed._path = path
            return self.add_rule(parsed)
        return self.add_rule(parse_fault(rule))

    def add_rule(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def fire(
        self, method: str, path: str, type_id: str | None, action: str | None
    ) -> FaultRule | None:
        """The rule that fires for this call, with its hit counted, or None."""
        if not self.rules:
            return None
        with self._lock:
            for rule in self.rules:
                if rule.exhausted or not rule.matches(method, path, type_id, action):
                    continue
                if rule.probability is not None and self.random.random() >= rule.probability:
                    continue
                rule.hits += 1
                return rule
        return None

    def document(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.document() for rule in self.rules]
