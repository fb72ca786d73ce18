"""Transition policies: how long a process stays transitioning, and whether it fails.

A rule names any of a resource type, a process and a resource id; the most specific matching
rule wins (an id beats a process, a process beats a type), the latest added breaking ties.
Without a rule a process takes the fake's default delay.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from fakerancher.lifecycle import PROCESS_NAMES
from fakerancher.options import invalid_option, require_strings, resource_type_id

MODES = ("delay", "immediate", "manual", "reads", "fail")
_SPECIFICITY = {"id": 4, "process": 2, "type": 1}


@dataclass(frozen=True, slots=True)
class Policy:
    """What a process does once started; `delay` applies to `delay` and `fail`."""

    mode: str = "delay"
    delay: float = 0.0
    reads: int = 0
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    policy: Policy
    type: str | None = None
    process: str | None = None
    id: str | None = None

    def matches(self, type_id: str, process: str, resource_id: str) -> bool:
        return (
            (self.type is None or self.type.lower() == type_id.lower())
            and (self.process is None or self.process == process)
            and (self.id is None or self.id == resource_id)
        )

    @property
    def specificity(self) -> int:
        return sum(weight for key, weight in _SPECIFICITY.items() if getattr(self, key))

    def document(self) -> dict[str, Any]:
        policy = asdict(self.policy)
        return {"type": self.type, "process": self.process, "id": self.id, **policy}


def parse_rule(body: Any) -> Rule:
    """A rule from its JSON form, e.g. `{"type": "registry", "mode": "fail", "message": "x"}`."""
    if not isinstance(body, dict):
        raise invalid_option("a transition rule is a JSON object")
    unknown = set(body) - {"type", "process", "id", "mode", "delay", "reads", "message"}
    if unknown:
        raise invalid_option(f"unknown transition rule keys: {', '.join(sorted(unknown))}")
    mode = body.get("mode", "delay")
    if mode not in MODES:
        raise invalid_option(f"mode must be one of {', '.join(MODES)}")
    process = body.get("process")
    if process is not None and process not in PROCESS_NAMES:
        raise invalid_option(f"process must be one of {', '.join(PROCESS_NAMES)}")
    require_strings(body, ("type", "process", "id"))
    type_id = resource_type_id(body.get("type"))
    delay = body.get("delay", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay < math.inf:
        raise invalid_option("delay must be a number of seconds >= 0")
    reads = body.get("reads", 1 if mode == "reads" else 0)
    if isinstance(reads, bool) or not isinstance(reads, int) or reads < 0:
        raise invalid_option("reads must be an integer >= 0")
    require_strings(body, ("message",))
    message = body.get("message")
    if mode == "fail" and not message:
        message = "Failed"
    policy = Policy(mode, float(delay), reads, message)
    return Rule(policy, type_id, process, body.get("id"))


class Transitions:
    """The policy rules of one fake, plus automatic purging of removed resources."""

    def __init__(self, default_delay: float = 0.0) -> None:
        self._lock = threading.Lock()
        self.default = Policy(delay=default_delay)
        self.rules: list[Rule] = []
        # Seconds after removal at which Cattle's purge monitor purges; None = never.
        self.purge_after: float | None = None
        # Set by the owning fake: completes waiting transitions (see `advance`).
        self._advance: Callable[[str | None], int] | None = None

    def set(
        self,
        mode: str = "delay",
        *,
        type: str | None = None,
        process: str | None = None,
        id: str | None = None,
        delay: float = 0.0,
        reads: int | None = None,
        message: str | None = None,
    ) -> Rule:
        """Add a rule, e.g. `fake.transitions.set("fail", type="registry", message="boom")`."""
        body: dict[str, Any] = {"mode": mode, "type": type, "process": process, "id": id}
        body |= {"delay": delay, "message": message}
        if reads is not None:
            body["reads"] = reads
        return self.add(parse_rule({k: v for k, v in body.items() if v is not None}))

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Drop every rule and turn automatic purging off; the default delay stays."""
        with self._lock:
            self.rules.clear()
            self.purge_after = None

    def replace_with(self, other: Transitions) -> None:
        with self._lock:
            self.default = other.default
            self.rules = list(other.rules)
            self.purge_after = other.purge_after

    def advance(self, id: str | None = None) -> int:
        """Complete the `manual` (and `reads`) transitions now, or only resource `id`'s.

        Returns how many transitions completed.
        """
        if self._advance is None:
            return 0
        return self._advance(id)

    def policy_for(self, type_id: str, process: str, resource_id: str) -> Policy:
        best: Rule | None = None
        for rule in self.rules:
            if rule.matches(type_id, process, resource_id) and (
                best is None or rule.specificity >= best.specificity
            ):
                best = rule
        return self.default if best is None else best.policy

    def document(self) -> dict[str, Any]:
        return {
            "default": asdict(self.default),
            "rules": [rule.document() for rule in self.rules],
            "purgeAfter": self.purge_after,
        }
