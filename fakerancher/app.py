"""The WSGI app at its edge: limits, the control plane, faults, the call log, who is calling
and the headers every answer carries. The API's views are in `api.py`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from fakerancher import auth, people
from fakerancher.answers import Reply, json_response
from fakerancher.api import (
    CACHED_PATH_LENGTH,
    FORM_TYPE,
    ApiViews,
    Call,
    client_ip,
    request_media_type,
    route,
)
from fakerancher.calls import PARSED_BODY, loggable_body, loggable_query, mask
from fakerancher.errors import ApiError, method_not_allowed
from fakerancher.faults import ConnectionDropped
from fakerancher.limits import (
    MAX_BODY_BYTES,
    buffer_unsized_body,
    read_body,
    request_too_large,
)
from fakerancher.render import format_account_id, kind_of
from fakerancher.schemas import lookup
from fakerancher.store import ADMIN_ACCOUNT_ID, Store
from fakerancher.urls import Urls
from fakerancher.versions import VERSIONS

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from fakerancher.control import ControlRoutes
    from fakerancher.fake import FakeRancher

log = logging.getLogger("fakerancher")

SUPPORTED_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
RANCHER_VERSION = "v1.6.30"
_PROJECT_PATH = re.compile(r"/([^/]+)/projects/([^/]+)(/.+)")
CONTROL_PREFIX = "/_fake"  # the control plane's routes (fakerancher.control)
API_HOST_SETTING = "api.host"  # where agents are sent, when set (registrationUrl, CATTLE_URL)
_CALLER_CACHE_SIZE = 1024
_STATIC_HEADERS = (
    ("X-Rancher-Version", RANCHER_VERSION),
    ("Expires", "Thu, 01 Jan 1970 00:00:00 GMT"),
)
_UNDER_CONTROL = f"{CONTROL_PREFIX}/"  # what every path below the control plane starts with
# One string per verb for the call log's thousands of entries (werkzeug makes a new one for
# every request).
_KNOWN_METHODS = {verb: verb for verb in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")}


class CattleApp:
    """The WSGI callable serving one `FakeRancher`."""

    def __init__(self, fake: FakeRancher) -> None:
        self.fake = fake
        self._control: ControlRoutes | None = None
        self.api = ApiViews(fake)
        self._anonymous_caller: auth.Caller | None = None
        # (account in scope, user row's type and id) -> (its values, the headers naming them)
        self._caller_header_cache: dict[
            tuple[int, str, int], tuple[dict[str, Any], tuple[tuple[str, str], ...]]
        ] = {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            # Not stored back in the environ: that cycle would leave every request's objects
            # to the cyclic garbage collector.
            response = self.respond(Request(environ, populate_request=False))
        except ConnectionDropped:
            # On werkzeug's server: close the socket, or the keep-alive loop would wait for
            # the next request on it while the client waits for this answer.
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            raise
        return response(environ, start_response)

    def respond(self, request: Request) -> Reply:
        """The answer to one request, as a page when a person's browser asks (and the OpenAPI
        document); raises `ConnectionDropped` when a fault drops it.

        Never raises anything else: a bug in the fake is recorded on it (`check_errors`)
        and answered as Cattle answers one, a 500 error document."""
        try:
            return people.respond(self.fake, request, self.answer)
        except ConnectionDropped:
            raise
        except Exception as error:
            return self._bug(request, error)

    def answer(self, request: Request) -> Reply:
        """The API's own answer to one request (JSON for the API and the control plane)."""
        request.max_content_length = MAX_BODY_BYTES
        try:
            refused = request_too_large(request.environ) or buffer_unsized_body(request.environ)
            if refused is not None:
                status, body = self._error_answer(refused)
                # werkzeug's server closes the connection after every answer, so the rest of
                # an oversized request is never read.
                response = json_response(status, body)
                return self._finish(response, _urls_at(_host_url(request)), None, request)
            path = request.path
            if path == CONTROL_PREFIX or path.startswith(_UNDER_CONTROL):
                return self.handle_control(request)
            return self.handle_logged(request)
        except ConnectionDropped:
            raise
        except Exception as error:
            return self._bug(request, error)

    def _bug(self, request: Request, error: Exception) -> Reply:
        self.fake.record_error(error)
        log.error("unexpected error answering %s %s", request.method, request.path, exc_info=error)
        return json_response(500, ApiError(500).document(self.fake.store.new_error_id()))

    def handle_control(self, request: Request) -> Reply:
        if self._control is None:  # imported on first use: most users never call it
            from fakerancher.control import ControlRoutes

            self._control = ControlRoutes(self.fake)
        try:
            status, body = self._control.handle(request, _method(request))
        except (ApiError, HTTPException) as error:
            status, body = self._error_answer(error)
        return json_response(status, body, cattle=False)

    def _error_answer(self, error: ApiError | HTTPException) -> tuple[int, dict[str, Any]]:
        """Status and Cattle error document for a refused request (werkzeug's own errors,
        e.g. a body over `max_content_length`, included)."""
        if isinstance(error, HTTPException):
            code = error.code or 400
            error = ApiError(code, error.name)
        return error.status, error.document(self.fake.store.new_error_id())

    def handle_logged(self, request: Request) -> Reply:
        """`handle`, with fault rules applied first and the call logged after."""
        started = time.perf_counter()
        shape = _shape(request)
        status = 0
        try:
            # Fault rules see the verb of a request `handle` refuses (in Cattle's order).
            method = shape.method or request.method
            response = self._faulted(request, shape.target, method) or self.handle(request, shape)
            status = response.status_code
            return response
        finally:
            try:
                self._log(request, shape, status, time.perf_counter() - started)
            except Exception as error:  # the answer stands: a logging bug is reported apart
                self.fake.record_error(error)

    def _faulted(self, request: Request, target: Target, method: str) -> Reply | None:
        rule = self.fake.faults.fire(method, request.path, target.type, target.action)
        if rule is None:
            return None
        if rule.latency:
            time.sleep(rule.latency)
        if rule.drop:
            raise ConnectionDropped(f"fault rule dropped {method} {request.path}")
        error = rule.error()
        if error is None:
            return None
        status, body = self._error_answer(error)
        return self._finish(
            json_response(status, body), _urls_at(_host_url(request)), None, request
        )

    def _log(self, request: Request, shape: _Shape, status: int, duration: float) -> None:
        reveal = self.fake.reveal_secrets
        params = shape.params
        target = shape.target
        method = request.method
        self.fake.calls.add(
            _KNOWN_METHODS.get(method, method),
            target.path,
            loggable_query(params, reveal=reveal) if params else None,
            status,
            target.type,
            target.id,
            target.action,
            duration,
            _logged_body(request, reveal),
            time.time(),
        )

    def handle(self, request: Request, shape: _Shape) -> Reply:
        """The API's answer to a request of that shape (405 for a method Cattle does not
        serve, once the caller is known)."""
        fake = self.fake
        urls = shape.host_urls
        caller: auth.Caller | None = None
        error_headers: dict[str, str] = {}
        try:
            with fake.operation() as now:
                path, urls = shape.path, shape.urls
                urls = urls.agents_at(fake.resources.setting(API_HOST_SETTING))
                caller = self._caller(request, path, shape.project)
                method = shape.method
                if method is None:
                    raise method_not_allowed()
                schemas = caller.schemas(VERSIONS[urls.version])
                call = Call(
                    request=request,
                    method=method,
                    path=path,
                    params=shape.params,
                    urls=urls,
                    caller=caller,
                    schemas=schemas,
                    renderer=fake.resources.renderer(
                        caller, schemas, urls, now, method, action_links=shape.action_links
                    ),
                    now=now,
                )
                result = self.api.dispatch(call)
                if isinstance(result, Reply):
                    return self._finish(result, urls, caller, request)
                status, body = result
        except ApiError as error:
            status, body = self._error_answer(error)
            error_headers = error.headers
        except HTTPException as error:
            status, body = self._error_answer(error)
        except Exception as error:  # rolled back: a bug must still answer as Cattle would
            return self._finish(self._bug(request, error), urls, caller, request)
        response = self._finish(json_response(status, body), urls, caller, request)
        response.headers.extend(error_headers.items())
        return response

    def _caller(self, request: Request, path: str, raw_project: str | None) -> auth.Caller:
        """Who calls, acting where, in which role; 401 or 403 when it may not."""
        environ = request.environ
        store = self.fake.store
        user = auth.key_account(store, environ.get("HTTP_AUTHORIZATION"))
        scripts = path.split("/")[2:3] == ["scripts"]
        if user is None and not scripts:
            enforced = environ.get("HTTP_X_ENFORCE_AUTHENTICATION", "").lower() == "true"
            if self.fake.access_control or enforced:
                no_challenge = environ.get("HTTP_X_API_NO_CHALLENGE", "").lower() == "true"
                raise auth.unauthorized(not no_challenge)
        if scripts or (user is None and raw_project is None):
            # The scripts handler runs before authentication: no project check.
            return self._anonymous(store)
        requested = None if raw_project is None else self.fake.resources.project(raw_project)
        return auth.resolve(store, user, requested, named=raw_project is not None)

    def _anonymous(self, store: Store) -> auth.Caller:
        """The caller without a key or a named project: made once per admin account row."""
        admin = store.account(ADMIN_ACCOUNT_ID)
        cached = self._anonymous_caller
        if cached is None or cached.user is not admin:
            cached = self._anonymous_caller = auth.resolve(store, None, None, named=False)
        return cached

    def _finish(
        self, response: Reply, urls: Urls, caller: auth.Caller | None, request: Request
    ) -> Reply:
        """Every answer's headers; the caller's only once it is known (not on a 401 or a 403
        of the authenticator, as in Cattle)."""
        headers = response.headers
        headers.append(("X-API-Schemas", urls.schemas))
        if caller is not None:
            headers += self._caller_headers(caller)
            headers.append(("X-API-Client-IP", _client_ip_text(client_ip(request))))
        headers += _STATIC_HEADERS
        return response

    def _caller_headers(self, caller: auth.Caller) -> tuple[tuple[str, str], ...]:
        """The headers naming the caller's accounts, kept while its account row's values are
        the same (an update replaces them)."""
        user = caller.user
        key = (caller.account_id, user.type, user.id)
        cached = self._caller_header_cache.get(key)
        if cached is not None and cached[0] is user.values:
            return cached[1]
        headers = (
            ("X-API-Account-Id", format_account_id(caller.account_id)),
            ("X-API-User-Id", format_account_id(user.id)),
            ("X-API-Account-Kind", kind_of(user)),
            ("X-API-Account-Name", _header_text(user.values.get("name"))),
        )
        if len(self._caller_header_cache) >= _CALLER_CACHE_SIZE:
            self._caller_header_cache.clear()
        self._caller_header_cache[key] = (user.values, headers)
        return headers


@dataclass(frozen=True, slots=True)
class Target:
    """What a request touches, as the call log and fault rules see it: its path (kept once
    per request shape, and shared by the log entries of that shape), and the type, id and
    action the path and query name."""

    path: str
    type: str | None = None
    id: str | None = None
    action: str | None = None


class _Shape(NamedTuple):
    """What a request's method, path, query and host (and the two headers that name a
    project and ask for action links) decide: the same for every request that has them."""

    target: Target
    # The method Cattle serves it as (`_method` applied); None for one it does not serve.
    method: str | None
    params: tuple[tuple[str, str], ...]
    host_urls: Urls  # the URLs of the host the request was sent to
    # The path to route, the URLs to emit (in the version the path names, scoped to the
    # project it names) and the project the request names, if any (`_scope`).
    path: str
    urls: Urls
    project: str | None
    action_links: bool  # `actionLinks` for `actions`


_SHAPES_KEPT = 1024  # a client sends the same few requests again and again
_shapes: dict[tuple[Any, ...], _Shape] = {}


def _shape(request: Request) -> _Shape:
    """The request's shape, worked out once for all the requests that have it."""
    environ = request.environ
    path = request.path
    query = environ.get("QUERY_STRING", "")
    host = environ.get("HTTP_HOST") or ""
    project = environ.get("HTTP_X_API_PROJECT_ID")
    key = (
        request.method,
        path,
        query,
        host,  # with the scheme and server: what `_host_url` reads
        environ.get("wsgi.url_scheme"),
        environ.get("SERVER_NAME"),
        environ.get("SERVER_PORT"),
        project,
        "HTTP_X_API_ACTION_LINKS" in environ,
    )
    shape = _shapes.get(key)
    if shape is None:
        shape = _shape_of(request)
        # Kept only for a request of the size a client sends: the cache stays small.
        if len(path) + len(query) + len(host) + len(project or "") <= CACHED_PATH_LENGTH:
            if len(_shapes) >= _SHAPES_KEPT:
                _shapes.clear()
            _shapes[key] = shape
    return shape


def _shape_of(request: Request) -> _Shape:
    try:
        method: str | None = _method(request)
    except ApiError:
        method = None
    host_urls = _urls_at(_host_url(request))
    path, urls, project = _scope(request, host_urls)
    return _Shape(
        _target(request),
        method,
        tuple(_params(request)),
        host_urls,
        path,
        urls,
        project,
        _wants_action_links(request),
    )


def _target(request: Request) -> Target:
    """The type, id and action a request names, read from its path alone."""
    target = _path_target(request.path)
    if target.type is None or request.method != "POST":
        return target
    action = _arg(request, "action")
    return target if action is None else Target(target.path, target.type, target.id, action)


def _path_target(path: str) -> Target:
    routed = path.rstrip("/")
    match = _project_path(routed)
    if match:
        routed = f"/{match.group(1)}{match.group(3)}"
    found = route(routed)
    if found is None:
        return Target(path)
    endpoint, args = found
    if endpoint not in ("collection", "resource", "link"):
        return Target(path)
    rtype = lookup(args["type_name"])
    if rtype is None:
        return Target(path)
    return Target(path, rtype.id, args.get("resource_id"))


def _project_path(path: str) -> re.Match[str] | None:
    """`/<version>/projects/<id>/<rest>` taken apart (the regex runs only on such paths)."""
    return _PROJECT_PATH.fullmatch(path) if "/projects/" in path else None


def _scope(request: Request, urls: Urls) -> tuple[str, Urls, str | None]:
    """The path to route, the URLs to emit (in the version the path names) and the project the
    request names, if any: by path (`/<version>/projects/<id>/...`, which also scopes every URL
    emitted), `X-API-Project-Id` or `projectId`."""
    path = request.path
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    version = path.split("/")[1] if path.count("/") >= 1 else ""
    if version in VERSIONS and version != urls.version:
        urls = urls.in_version(version)
    match = _project_path(path)
    if (
        match
        and match.group(1) in VERSIONS
        and not match.group(3).lower().startswith("/projectmembers")
    ):
        raw_project = match.group(2)
        return f"/{version}{match.group(3)}", urls.scoped_to(raw_project), raw_project
    return path, urls, request.environ.get("HTTP_X_API_PROJECT_ID") or _arg(request, "projectId")


def _method(request: Request) -> str:
    method = (_arg(request, "_method") or request.method).upper()
    if method not in SUPPORTED_METHODS:
        raise method_not_allowed()
    return method


def _arg(request: Request, name: str) -> str | None:
    # MultiDict.get builds a BadRequestKeyError for every miss: far slower than `in`.
    if not request.environ.get("QUERY_STRING"):
        return None
    args = request.args
    return args[name] if name in args else None  # noqa: SIM401


def _params(request: Request) -> list[tuple[str, str]]:
    if not request.environ.get("QUERY_STRING"):
        return []
    return list(request.args.items(multi=True))


def _logged_body(request: Request, reveal: bool) -> Any:
    """The body as the call log shows it: parsed (once, by the view that read it) and masked."""
    environ = request.environ
    parsed = environ.get(PARSED_BODY)
    if parsed is not None:
        return mask(parsed, reveal=reveal)
    if environ.get("CONTENT_LENGTH") in (None, "", "0"):  # no body (a chunked one has a length)
        return None
    try:
        raw = read_body(environ)
    except ApiError:  # over the limit: never read
        return None
    return loggable_body(raw, request_media_type(request) == FORM_TYPE, reveal=reveal)


@functools.lru_cache(maxsize=256)
def _client_ip_text(address: str) -> str:
    return _header_text(address)


def _header_text(value: Any) -> str:
    """A header value as Jetty writes one: ISO-8859-1, what it cannot carry as `?`, on one
    line (an account's name is anybody's text)."""
    text = " ".join(str(value or "").splitlines())
    return text.encode("latin-1", "replace").decode("latin-1")


def _host_url(request: Request) -> str:
    """Scheme and host as the client addressed them, as `Request.host_url` has them (the
    default port dropped), read straight from the environ: werkzeug's parsing of the host
    is a tenth of a by-id GET."""
    environ = request.environ
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if host is None:
        host = f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    default = ":443" if scheme == "https" else ":80"
    if host.endswith(default):
        host = host[: -len(default)]
    return f"{scheme}://{host}"


@functools.lru_cache(maxsize=64)
def _urls_at(host_url: str) -> Urls:
    """The URLs of requests addressed to `host_url` (immutable: shared by its requests)."""
    return Urls(host_url)


def _wants_action_links(request: Request) -> bool:
    """The `X-API-Action-Links` header or `_actionLinks` option: `actionLinks` for `actions`."""
    return "HTTP_X_API_ACTION_LINKS" in request.environ or _arg(request, "_actionLinks") is not None
