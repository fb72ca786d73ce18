"""fakerancher: the Rancher 1.x (Cattle) API (`/v1` and `/v2-beta`), faked in memory.

`FakeRancher` is one fake server; `mock_rancher()` routes `requests` to one in process. Both
are imported on first use, so `import fakerancher` stays cheap for the pytest plugin.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakerancher.errors import ApiError
    from fakerancher.fake import FakeRancher
    from fakerancher.mock import mock_rancher

__all__ = ["ApiError", "FakeRancher", "mock_rancher"]
__version__ = "0.1.0"  # the one place; pyproject.toml reads it from here

_HOMES = {
    "ApiError": "fakerancher.errors",
    "FakeRancher": "fakerancher.fake",
    "mock_rancher": "fakerancher.mock",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'fakerancher' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
