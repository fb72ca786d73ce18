"""The fake's notion of "now": `time.time()` (so freezegun applies) unless frozen or offset."""

from __future__ import annotations

import threading
import time


class Clock:
    """Seconds since the epoch, as a float.

    While not frozen it reads `time.time()` on every call, so `freezegun` drives it in process.
    `freeze()`, `advance()` and `set()` exist for a fake served in another thread or process,
    which freezegun cannot reach.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen_at: float | None = None
        self._offset = 0.0

    def now(self) -> float:
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return time.time() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: float | None = None) -> None:
        with self._lock:
            self._frozen_at = self.now() if at is None else float(at)

    def unfreeze(self) -> None:
        """Resume following `time.time()` from the frozen instant on."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def set(self, at: float) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = float(at)
            else:
                self._offset = float(at) - time.time()

    def reset(self) -> None:
        with self._lock:
            self._frozen_at = None
            self._offset = 0.0
