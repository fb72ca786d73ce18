"""The fake's notion of "now": `time.time()` (so freezegun applies) unless frozen or offset."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Instant = float | int | str | datetime
# Cattle renders dates as yyyy-MM-ddTHH:mm:ssZ: the clock stays within what that can show.
EARLIEST = 0.0
LATEST = 253_402_300_799.0  # 9999-12-31T23:59:59Z


def in_range(moment: float) -> float:
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(
            "the clock must stay between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"
        )
    return moment


def to_epoch(value: Instant) -> float:
    """Seconds since the epoch from a number, a datetime (naive = UTC) or an ISO 8601 string."""
    if isinstance(value, bool):
        raise ValueError("a time is a number, a datetime or an ISO 8601 string")
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("a time must be finite")
        return float(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time") from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    raise ValueError("a time is a number, a datetime or an ISO 8601 string")


def format_instant(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


class Clock:
    """Seconds since the epoch, as a float.

    While not frozen it reads `time.time()` on every call, so `freezegun` drives it in process.
    `freeze()`, `advance()` and `set()` exist for a fake served in another thread or process,
    which freezegun cannot reach.
    """

    def __init__(self, before_move: Callable[[float], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen_at: float | None = None
        self._offset = 0.0
        # Called with the time before each move (the fake settles what is due by then).
        self._before_move = before_move

    def _moving(self) -> None:
        if self._before_move is not None:
            self._before_move(self.now())

    def now(self) -> float:
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return time.time() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: Instant | None = None) -> None:
        """Stop the clock now, or at `at` (epoch seconds, datetime or ISO 8601 string)."""
        moment = None if at is None else in_range(to_epoch(at))
        self._moving()
        with self._lock:
            self._frozen_at = self.now() if moment is None else moment

    def unfreeze(self) -> None:
        """Resume following `time.time()` from the frozen instant on."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def advance(self, seconds: float) -> None:
        """Move the clock by `seconds` (negative goes back); ValueError out of range."""
        in_range(self.now() + seconds)
        self._moving()
        with self._lock:
            in_range(self.now() + seconds)
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def set(self, at: Instant) -> None:
        """Jump to `at`; a frozen clock stays frozen there, a running one runs on from it."""
        moment = in_range(to_epoch(at))
        self._moving()
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = moment
            else:
                self._offset = moment - time.time()

    def document(self) -> dict[str, Any]:
        now = self.now()
        return {"now": format_instant(now), "nowTS": round(now * 1000), "frozen": self.frozen}

    def export(self) -> dict[str, Any]:
        return {"frozenAt": self._frozen_at, "offset": self._offset}

    def restore(self, doc: dict[str, Any]) -> None:
        frozen, offset = doc.get("frozenAt"), doc.get("offset", 0.0)
        with self._lock:
            self._frozen_at = None if frozen is None else in_range(to_epoch(frozen))
            self._offset = to_epoch(offset)
            if frozen is None:
                in_range(time.time() + self._offset)

    def __repr__(self) -> str:
        state = "frozen" if self.frozen else "running"
        return f"<Clock {format_instant(self.now())} {state}>"

    def reset(self) -> None:
        with self._lock:
            self._frozen_at = None
            self._offset = 0.0
