"""`mock_rancher()`: route `requests` calls under one base URL into a fake, in process.

It owns a `responses.RequestsMock`, patched onto an adapter class of its own that only URLs
under the fake's base reach (`Session.get_adapter` hands it out). A user's own `responses`
mocks patch `HTTPAdapter.send`, a different attribute, so both work whichever starts first,
and a request nobody mocks goes wherever it would have gone without fakerancher.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
import sys
import threading
import weakref
from collections.abc import Callable
from contextlib import ContextDecorator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

from fakerancher.fake import DEFAULT_URL, FakeRancher
from fakerancher.faults import ConnectionDropped
from fakerancher.limits import HEADER_BYTES

if TYPE_CHECKING:
    import requests
    import responses
    from werkzeug.wrappers import Request

    from fakerancher.app import CattleApp

# `requests`, `responses` and werkzeug's wrappers are imported when a mock first starts: with
# them, `from fakerancher import mock_rancher` would take a tenth of a second or more.

R = TypeVar("R")
_UNSET: Any = object()
_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")


@functools.cache
def rancher_adapter() -> type[Any]:
    """Base of the adapters fake URLs are sent through (an `HTTPAdapter`); each mock patches
    its own subclass's `send`, so mocks never chain and may stop in any order."""
    import requests
    from requests.adapters import HTTPAdapter

    def send(self: Any, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        raise requests.ConnectionError(f"no fake Rancher serves {request.url}", request=request)

    return type("RancherAdapter", (HTTPAdapter,), {"send": send, "__module__": __name__})


_lock = threading.Lock()
_active: list[mock_rancher] = []  # started and not yet stopped, oldest first
_original_get_adapter: Callable[..., Any] | None = None
_serial = itertools.count(1)


def _get_adapter(session: requests.Session, url: str) -> Any:
    """`Session.get_adapter` while any mock is active: the newest mock owning `url` wins."""
    assert _original_get_adapter is not None
    real = _original_get_adapter(session, url)
    lowered = url.lower()
    for each in reversed(_active):
        if each.owns(lowered):
            return each.stand_in(real)
    return real


class mock_rancher(ContextDecorator):
    """Context manager and decorator; `with mock_rancher() as fake:` yields the `FakeRancher`
    that every `requests` call under `url` reaches."""

    def __init__(
        self,
        url: str | None = None,
        *,
        fake: FakeRancher | None = None,
        transition_delay: float = _UNSET,
        seed: int | None = _UNSET,
        call_log_limit: int = _UNSET,
        access_control: bool = _UNSET,
        reveal_secrets: bool = _UNSET,
    ) -> None:
        """`url` defaults to the fake's own URL (`http://rancher.test` for a new one);
        `options` are `FakeRancher`'s (transition_delay, seed, call_log_limit,
        access_control, reveal_secrets), for a fake made here: a fake passed in keeps its
        own settings, and options beside it are refused."""
        given: dict[str, Any] = {
            "transition_delay": transition_delay,
            "seed": seed,
            "call_log_limit": call_log_limit,
            "access_control": access_control,
            "reveal_secrets": reveal_secrets,
        }
        options = {name: value for name, value in given.items() if value is not _UNSET}
        if fake is not None:
            if options:
                raise TypeError(
                    f"mock_rancher(fake=...) uses the fake as it is: set "
                    f"{', '.join(sorted(options))} on the FakeRancher instead"
                )
            if url is not None:
                fake.url = url.rstrip("/")
            self.fake = fake
        else:
            self.fake = FakeRancher(url if url is not None else DEFAULT_URL, **options)
        base = self.fake.url
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"mock_rancher needs an http(s) base URL, not {url!r}")
        self._prefix = base.lower()
        self._pattern = re.compile(re.escape(base) + r"(?:[/?#].*)?\Z", re.IGNORECASE)
        self._responses: responses.RequestsMock | None = None
        self._adapter_class: type[Any] | None = None
        self._app: CattleApp | None = None  # the fake's, once started
        self._stand_ins: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    # -- starting and stopping -------------------------------------------------------------
    def start(self) -> FakeRancher:
        global _original_get_adapter
        import requests
        import responses

        with _lock:
            if self._responses is not None:
                return self.fake
            # An adapter class of this mock's own, reachable by the dotted name `responses`
            # patches.
            name = f"_RancherAdapter{next(_serial)}"
            base = rancher_adapter()
            adapter_class = type(name, (base,), {"send": base.send})
            setattr(sys.modules[__name__], name, adapter_class)
            router = responses.RequestsMock(
                assert_all_requests_are_fired=False, target=f"{__name__}.{name}.send"
            )
            for method in _METHODS:
                router.add_callback(method, self._pattern, callback=self._respond)
            self._app = self.fake.wsgi_app
            router.start()
            self._adapter_class, self._responses = adapter_class, router
            if not _active:
                _original_get_adapter = requests.Session.get_adapter
                requests.Session.get_adapter = _get_adapter  # type: ignore[method-assign,assignment]
            _active.append(self)
        return self.fake

    def stop(self) -> None:
        global _original_get_adapter
        with _lock:
            if self._responses is None or self._adapter_class is None:
                return
            import requests

            _active.remove(self)
            if not _active and _original_get_adapter is not None:
                requests.Session.get_adapter = _original_get_adapter  # type: ignore[method-assign]
                _original_get_adapter = None
            self._responses.stop(allow_assert=False)
            self._responses = None
            delattr(sys.modules[__name__], self._adapter_class.__name__)
            self._stand_ins.clear()

    def __enter__(self) -> FakeRancher:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc_type is None:
            self.fake.check_errors()  # a bug in the fake fails the block that met it

    def __call__(self, func: Callable[..., R]) -> Callable[..., R]:  # type: ignore[override]
        """As a decorator the fake is passed as keyword `fake_rancher` when the function takes
        it; otherwise it is only active while the function runs."""
        import inspect

        wants_fake = "fake_rancher" in inspect.signature(func).parameters

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            with self as fake:
                if wants_fake:
                    kwargs["fake_rancher"] = fake
                return func(*args, **kwargs)

        return wrapper

    # -- routing ---------------------------------------------------------------------------
    def owns(self, lowered_url: str) -> bool:
        prefix = self._prefix
        return lowered_url.startswith(prefix) and lowered_url[len(prefix) : len(prefix) + 1] in (
            "",
            "/",
            "?",
            "#",
        )

    def stand_in(self, real: Any) -> Any:
        """This mock's adapter in place of `real`, with its retry policy, so a client's `Retry`
        configuration applies to the fake as it would to Rancher."""
        stand_in = self._stand_ins.get(real)
        if stand_in is None:
            assert self._adapter_class is not None, "a mock hands out adapters once started"
            retries = getattr(real, "max_retries", 0)
            stand_in = self._stand_ins[real] = self._adapter_class(max_retries=retries)
        return stand_in

    def _respond(self, request: requests.PreparedRequest) -> tuple[int, Any, bytes]:
        body = request.body
        if isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:  # responses has already read file-like bodies; anything else is empty
            data = (
                b""
                if body is None
                else b"".join(
                    part.encode() if isinstance(part, str) else part
                    for part in body  # type: ignore[union-attr]
                )
            )
        try:  # not stored back in the environ (a cycle: see CattleApp.__call__)
            assert self._app is not None, "a mock answers only once started"
            response = self._app.respond(
                _werkzeug_request()(wsgi_environ(request, data), populate_request=False)
            )
        except ConnectionDropped as error:
            import requests

            raise requests.ConnectionError(str(error), request=request) from None
        return response.status_code, response.headers, response.body


@functools.cache
def _werkzeug_request() -> type[Request]:
    from werkzeug.wrappers import Request

    return Request


def _environ_key(header: str) -> str:
    """A header's WSGI environ key (`Content-Type` -> `CONTENT_TYPE`, else `HTTP_...`)."""
    key = header.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"


# scheme, authority, path and query of an absolute URL (what `requests` prepares)
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?")


@functools.lru_cache(maxsize=64)
def _origin(scheme: str, authority: str) -> tuple[str, dict[str, Any]]:
    """The Host header for a URL's authority, and the environ entries every request to it
    has (copied, never changed); IPv6 literals included."""
    parts = urlsplit(f"{scheme}://{authority}")
    netloc = authority.rpartition("@")[2]  # without user:password
    host, _, port = netloc.partition(":")
    if host.startswith("["):  # an IPv6 literal: urlsplit's parsing handles its brackets
        host, port = parts.hostname or "localhost", str(parts.port or "")
    return netloc, {
        "SCRIPT_NAME": "",
        "SERVER_NAME": host.lower() or "localhost",
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


@functools.lru_cache(maxsize=256)  # a client sends the same few header sets again and again
def _header_environ(pairs: tuple[tuple[str, str], ...]) -> tuple[dict[str, str], int]:
    """The environ entries of a request's headers (Content-Length is the body's own), and the
    size of its header block (with a Host line, when it has none, counted by the caller)."""
    entries = {}
    size = 4  # the blank line that ends the block
    for name, value in pairs:
        key = _environ_key(name)
        if key != "CONTENT_LENGTH":
            entries[key] = value
        size += len(name) + len(value) + 4
    return entries, size


def _uncached_environ(
    method: str, url: str, headers: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    """A request's environ entries but its body's (copied, never changed); the size of its
    header block under `HEADER_BYTES`."""
    matched = _URL.match(url)
    if matched is not None:
        scheme, authority, path, query = matched.group(1, 2, 3, 4)
    else:  # not absolute: what urlsplit makes of it
        split = urlsplit(url)
        scheme, authority, path, query = split.scheme, split.netloc, split.path, split.query
    netloc, origin = _origin(scheme.lower(), authority)
    environ = origin.copy()
    environ["REQUEST_METHOD"] = method.upper()
    environ["PATH_INFO"] = unquote(path, "latin-1") or "/"
    environ["QUERY_STRING"] = query or ""
    environ["REQUEST_URI"] = f"{path or '/'}?{query}" if query else path or "/"  # as sent
    from_headers, size = _header_environ(headers)
    environ.update(from_headers)
    if "HTTP_HOST" not in from_headers:
        environ["HTTP_HOST"] = netloc
        size += 4 + len(netloc)
    environ[HEADER_BYTES] = size
    return environ


# A client sends the same few requests again and again (a poll, a page, a create): what a
# request's environ holds apart from its body is made once per method, URL and header set
# (URLs of any length a client would build; the cache stays small whatever others send).
_environ_without_body = functools.lru_cache(maxsize=512)(_uncached_environ)
_CACHED_URL_LENGTH = 1024


def wsgi_environ(request: requests.PreparedRequest, body: bytes) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) of a prepared `requests` request."""
    headers = request.headers
    # requests' CaseInsensitiveDict keeps its (name, value) pairs in a dict: reading them
    # there is one C-level pass, where its Mapping protocol runs a generator per header.
    kept = getattr(headers, "_store", None)
    pairs = tuple(kept.values() if isinstance(kept, dict) else headers.items())
    method, url = request.method or "GET", request.url or ""
    bodiless = _environ_without_body if len(url) <= _CACHED_URL_LENGTH else _uncached_environ
    environ = bodiless(method, url, pairs).copy()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.errors"] = sys.stderr  # read now: pytest swaps it while capturing
    environ["CONTENT_LENGTH"] = str(len(body))
    return environ
