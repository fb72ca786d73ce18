"""Run the unmodified `cattle` 0.5.4 / `gdapi-python` 0.5.3 clients on Python 3.

Both clients were written for Python 2 (spec/real-clients.md §1.11). Nothing in site-packages
is edited: `apply_shims()` patches the classes at runtime, once, and `cattle_client()` builds a
client the way Cattle's own test suites do (`url=…/v1/schemas`, `cache=False`, string keys).

The shims, and why each one exists:

* `RestObject.__len__` / `__getitem__` / `__contains__`. On Python 2 `RestObject` is an
  old-style class, so `len(obj)`, `obj[i]` and `k in obj` went through its `__getattr__`, which
  hands collection specials to `.data` and everything else to `__dict__`. Python 3 looks special
  methods up on the type, so `len(coll)` and `coll[0]` raise `TypeError`, and `k in obj` calls
  `__iter__`, which returns None for non-collections ("iter() returned non-iterator"). The shims
  restore the Python 2 meaning: `.data` for `len`/`[]` on collections, `__dict__` otherwise,
  and `in` tests the attribute names (as Python 2 did, collections included).
* `Client._to_value`. It walks a `RestObject` passed as a value (`client.update(obj, other)`)
  with `vars(value).iteritems()`, which does not exist on Python 3. The replacement is the same
  code with `.items()`.
* A request timeout. gdapi calls `requests` with no timeout, so a server that hangs would hang
  the test run (§1.11). `cattle_client()` returns a `cattle.Client` subclass whose only
  change is a default timeout on its session, set before the first (schema) request.
* String credentials. With no keys gdapi sends Basic auth built from `None`, and current
  `requests` warns (DeprecationWarning) about non-string credentials; Cattle's test suites pass
  keys anyway. `cattle_client()` passes placeholder strings (the fake, like a fresh Cattle with
  access control off, accepts any).
* `cache=False`. With `cache=True` gdapi hashes a `str` (`hashlib.update(str)`), a TypeError on
  Python 3, and a cached schema from an earlier fake on the same port would be reused.

`close_client()` closes the client's `requests.Session`, which gdapi never does; a leaked
keep-alive socket would surface as a ResourceWarning (an error under `filterwarnings=error`).
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import cattle  # type: ignore[import-untyped]
import gdapi  # type: ignore[import-untyped]

DEFAULT_TIMEOUT = 10.0
ACCESS_KEY = "fakerancher-access"
SECRET_KEY = "fakerancher-secret"

_applied = False
_apply_lock = threading.Lock()


def _is_collection(obj: Any) -> bool:
    return isinstance(obj.__dict__.get("data"), list)


def _len(self: Any) -> int:
    if _is_collection(self):
        return len(self.data)
    return len(self.__dict__)


def _getitem(self: Any, key: Any) -> Any:
    if _is_collection(self):
        return self.data[key]
    return self.__dict__[key]


def _contains(self: Any, key: object) -> bool:
    return key in self.__dict__


def _to_value(self: Any, value: Any) -> Any:
    """gdapi's `Client._to_value` with `.items()` for Python 2's `.iteritems()`."""
    if isinstance(value, dict):
        return {k: self._to_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [self._to_value(v) for v in value]
    if isinstance(value, gdapi.RestObject):
        ret: dict[str, Any] = {}
        for k, v in vars(value).items():
            if k.startswith("_"):
                continue
            if isinstance(v, gdapi.RestObject):
                ret[k] = self._to_dict(v)
            elif not callable(v):
                ret[k] = self._to_value(v)
        return ret
    return value


def apply_shims() -> None:
    """Patch gdapi's classes for Python 3; safe to call any number of times."""
    global _applied
    with _apply_lock:
        if _applied:
            return
        gdapi.RestObject.__len__ = _len
        gdapi.RestObject.__getitem__ = _getitem
        gdapi.RestObject.__contains__ = _contains
        gdapi.Client._to_value = _to_value
        _applied = True


class _TimeoutClient(cattle.Client):  # type: ignore[misc]  # cattle is untyped
    """`cattle.Client` whose session has a default timeout, from its first request on."""

    def __init__(self, timeout: float, **kw: Any) -> None:
        self._timeout = timeout
        super().__init__(**kw)

    def _load_schemas(self, force: bool = False) -> None:
        # gdapi.Client.__init__ creates `self._session`, then loads the schemas: the first
        # moment the session exists and before any request.
        session = self._session
        if not isinstance(session.request, functools.partial):
            session.request = functools.partial(session.request, timeout=self._timeout)
        super()._load_schemas(force)


def cattle_client(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
) -> cattle.Client:
    """A `cattle.Client` for `url`: an API URL (`…/v1`, `…/v2-beta/schemas`) is used as given,
    a bare server root gets `/v1/schemas`, as in Cattle's own tests (with `cache=False`).
    """
    apply_shims()
    if "/v1" not in url and "/v2-beta" not in url:
        url = url.rstrip("/") + "/v1/schemas"
    return _TimeoutClient(
        timeout, access_key=access_key, secret_key=secret_key, url=url, cache=False
    )


def close_client(client: cattle.Client) -> None:
    """Close the connections the client keeps alive."""
    client._session.close()
