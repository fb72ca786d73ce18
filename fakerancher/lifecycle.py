"""Cattle's generic resource processes as a table: pure logic, no I/O, no HTTP.

Every process has the states it may start from, the transitioning state it puts the resource
in, and the resting state it ends in (cattle `DefaultProcessesParser`, the same table for the
`credential` and `storagePool` base types).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Process:
    name: str
    start_states: frozenset[str]
    # Start state -> transitioning state (only `update` depends on where it starts).
    transitioning: dict[str, str]
    # Transitioning state -> done state.
    done: dict[str, str]

    def can_start(self, state: str) -> bool:
        return state in self.start_states

    def transitioning_state(self, state: str) -> str:
        return self.transitioning[state]

    def done_state(self, transitioning_state: str) -> str:
        return self.done[transitioning_state]


def _simple(name: str, starts: tuple[str, ...], during: str, done: str) -> Process:
    return Process(name, frozenset(starts), dict.fromkeys(starts, during), {during: done})


PROCESSES: dict[str, Process] = {
    p.name: p
    for p in (
        _simple("create", ("requested",), "registering", "inactive"),
        _simple("activate", ("inactive", "registering"), "activating", "active"),
        _simple(
            "deactivate",
            (
                "requested",
                "registering",
                "active",
                "activating",
                "updating-active",
                "updating-inactive",
            ),
            "deactivating",
            "inactive",
        ),
        _simple(
            "remove",
            ("requested", "inactive", "registering", "updating-active", "updating-inactive"),
            "removing",
            "removed",
        ),
        _simple("purge", ("removed",), "purging", "purged"),
        # account.upgrade (projects on /v2-beta).
        _simple("upgrade", ("active",), "upgrading", "active"),
        Process(
            "update",
            frozenset(("inactive", "active")),
            {"inactive": "updating-inactive", "active": "updating-active"},
            {"updating-inactive": "inactive", "updating-active": "active"},
        ),
    )
}

PROCESS_NAMES = tuple(PROCESSES)

TRANSITIONING_STATES = frozenset(
    state for p in PROCESSES.values() for state in (*p.transitioning.values(), *p.done.keys())
)

# Actions that exist in a schema but that Cattle never offers (AbstractObjectResourceManager).
NEVER_OFFERED = frozenset({"restore"})

DEFAULT_TRANSITIONING_MESSAGE = "In Progress"


@functools.lru_cache(maxsize=1024)
def available_actions(schema_actions: tuple[str, ...], state: str) -> tuple[str, ...]:
    """The actions a resource in `state` offers, in the schema's `resourceActions` order."""
    return tuple(
        name
        for name in schema_actions
        if name not in NEVER_OFFERED and name in PROCESSES and PROCESSES[name].can_start(state)
    )


def follow_up(process: str) -> str | None:
    """The process Cattle chains after this one (activate-by-default after create)."""
    return "activate" if process == "create" else None
