"""`mock_rancher()`: route `requests` calls under one base URL into a fake, in process.

It owns a `responses.RequestsMock`, patched onto an adapter class of its own that only URLs
under the fake's base reach (`Session.get_adapter` hands it out). A user's own `responses`
mocks patch `HTTPAdapter.send`, a different attribute, so both work whichever starts first,
and a request nobody mocks goes wherever it would have gone without fakerancher.
"""

from __future__ import annotations

import functools
import io
import re
import sys
import threading
import weakref
from collections.abc import Callable
from contextlib import ContextDecorator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from werkzeug.wrappers import Request

from fakerancher.calls import DEFAULT_LIMIT
from fakerancher.fake import DEFAULT_URL, FakeRancher
from fakerancher.faults import ConnectionDropped

if TYPE_CHECKING:
    import responses

R = TypeVar("R")
_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")


class RancherAdapter(HTTPAdapter):
    """The adapter fake URLs are sent through; its `send` is what each mock patches."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        raise requests.ConnectionError(f"no fake Rancher serves {request.url}", request=request)


_adapter_lock = threading.Lock()


class mock_rancher(ContextDecorator):
    """Context manager and decorator; `with mock_rancher() as fake:` yields the `FakeRancher`
    that every `requests` call under `url` reaches."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        fake: FakeRancher | None = None,
        transition_delay: float = 0.0,
        seed: int | None = None,
        call_log_limit: int = DEFAULT_LIMIT,
        access_control: bool = False,
    ) -> None:
        self.fake = (
            fake
            if fake is not None
            else FakeRancher(
                url,
                transition_delay=transition_delay,
                seed=seed,
                call_log_limit=call_log_limit,
                access_control=access_control,
            )
        )
        if fake is not None:
            fake.url = url.rstrip("/")
        base = self.fake.url
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"mock_rancher needs an http(s) base URL, not {url!r}")
        self._prefix = base.lower()
        self._pattern = re.compile(re.escape(base) + r"(?:[/?#].*)?\Z", re.IGNORECASE)
        self._responses: responses.RequestsMock | None = None
        self._previous_get_adapter: Any = None

    # -- starting and stopping -------------------------------------------------------------
    def start(self) -> FakeRancher:
        if self._responses is not None:
            return self.fake
        # Imported here: `responses` (with unittest.mock) is a tenth of a second to import,
        # which `import fakerancher` and a plain `from fakerancher import mock_rancher` skip.
        import responses

        with _adapter_lock:
            # Whatever sends adapter traffic now (another fake's mock, or the real send)
            # gets the requests under other fakes' URLs.
            router = responses.RequestsMock(
                assert_all_requests_are_fired=False,
                target=f"{__name__}.RancherAdapter.send",
                real_adapter_send=RancherAdapter.send,  # type: ignore[arg-type]
            )
            router.add_passthru(re.compile(".*"))
            for method in _METHODS:
                router.add_callback(method, self._pattern, callback=self._respond)
            router.start()
            self._responses = router
            self._previous_get_adapter = requests.Session.get_adapter
            requests.Session.get_adapter = self._get_adapter(  # type: ignore[method-assign]
                self._previous_get_adapter
            )
        return self.fake

    def stop(self) -> None:
        with _adapter_lock:
            if self._responses is None:
                return
            requests.Session.get_adapter = self._previous_get_adapter  # type: ignore[method-assign]
            self._responses.stop(allow_assert=False)
            self._responses = None

    def __enter__(self) -> FakeRancher:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

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
    def _get_adapter(self, previous: Callable[..., Any]) -> Callable[..., Any]:
        prefix = self._prefix
        # One stand-in per adapter the session would have used, with its retry policy, so a
        # client's `Retry` configuration applies to the fake as it would to Rancher.
        stand_ins: weakref.WeakKeyDictionary[Any, RancherAdapter] = weakref.WeakKeyDictionary()

        def get_adapter(session: requests.Session, url: str) -> Any:
            real = previous(session, url)
            lowered = url.lower()
            if not (lowered.startswith(prefix) and lowered[len(prefix) : len(prefix) + 1] in "/?#"):
                return real
            stand_in = stand_ins.get(real)
            if stand_in is None:
                retries = getattr(real, "max_retries", 0)
                stand_in = stand_ins[real] = RancherAdapter(max_retries=retries)
            return stand_in

        return get_adapter

    def _respond(self, request: requests.PreparedRequest) -> tuple[int, Any, bytes]:
        body = request.body
        if isinstance(body, str):
            data = body.encode("utf-8")
        elif isinstance(body, bytes):
            data = body
        else:  # responses has already read file-like bodies; anything else is empty
            data = (
                b""
                if body is None
                else b"".join(
                    part.encode() if isinstance(part, str) else part
                    for part in body  # type: ignore[union-attr]
                )
            )
        try:
            response = self.fake.wsgi_app.respond(Request(wsgi_environ(request, data)))
        except ConnectionDropped as error:
            raise requests.ConnectionError(str(error), request=request) from None
        return response.status_code, response.headers.to_wsgi_list(), response.get_data()


def wsgi_environ(request: requests.PreparedRequest, body: bytes) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) of a prepared `requests` request."""
    parts = urlsplit(request.url or "")
    secure = parts.scheme == "https"
    host = parts.hostname or "localhost"
    port = str(parts.port or (443 if secure else 80))
    environ: dict[str, Any] = {
        "REQUEST_METHOD": (request.method or "GET").upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(parts.path, "latin-1") or "/",
        "QUERY_STRING": parts.query,
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            environ[f"HTTP_{key}"] = value
    environ.setdefault("HTTP_HOST", parts.netloc)
    return environ
