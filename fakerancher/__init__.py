"""fakerancher: the Rancher 1.x (Cattle) v1 API, faked in memory."""

from __future__ import annotations

from fakerancher.errors import ApiError
from fakerancher.fake import FakeRancher

__all__ = ["ApiError", "FakeRancher"]
__version__ = "0.1.0"
