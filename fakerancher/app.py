"""The WSGI app: werkzeug routing from HTTP to resource operations, and Cattle JSON back.

Thin on purpose: it parses the request (project scope, method override, strict JSON body),
calls `Resources`, renders with `Renderer` and answers errors as Cattle error documents.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from fakerancher import listing, people, tokens
from fakerancher.answers import RenderedDocuments, encode, json_response, text_response
from fakerancher.auth import ApiKey, unauthorized
from fakerancher.calls import Call as LoggedCall
from fakerancher.calls import loggable_body, loggable_query
from fakerancher.errors import ApiError, method_not_allowed, not_found, validation_error
from fakerancher.faults import ConnectionDropped
from fakerancher.render import Renderer, format_project_id
from fakerancher.schemas import ALL_SCHEMAS, SCHEMA, ResourceType, lookup
from fakerancher.store import DEFAULT_PROJECT_ID, Record
from fakerancher.urls import API_VERSION, Urls
from fakerancher.validation import invalid_body, parse_id, parse_json_body

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from fakerancher.control import ControlRoutes
    from fakerancher.fake import FakeRancher

log = logging.getLogger("fakerancher")

SUPPORTED_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
RANCHER_VERSION = "v1.6.30"
MAX_BODY_BYTES = 16 * 1024 * 1024
_PROJECT_PATH = re.compile(r"/v1/projects/([^/]+)(/.+)")
_FORM_TYPE = "application/x-www-form-urlencoded"
CONTROL_PREFIX = "/_fake"  # the control plane's routes (fakerancher.control)
_STATIC_HEADERS = (
    ("X-API-User-Id", "1a1"),
    ("X-API-Account-Kind", "project"),
    ("X-Rancher-Version", RANCHER_VERSION),
    ("Expires", "Thu, 01 Jan 1970 00:00:00 GMT"),
)

URL_MAP = Map(
    [
        Rule("/", endpoint="root"),
        Rule("/v1", endpoint="version"),
        Rule("/v1/scripts/<token>", endpoint="script"),
        Rule("/v1/<type_name>", endpoint="collection"),
        Rule("/v1/<type_name>/<resource_id>", endpoint="resource"),
        Rule("/v1/<type_name>/<resource_id>/<link>", endpoint="link"),
    ],
    strict_slashes=False,
    merge_slashes=False,
)


@dataclass(slots=True)
class Call:
    """One parsed API request."""

    request: Request
    method: str
    path: str
    params: list[tuple[str, str]]
    urls: Urls
    project_id: int
    renderer: Renderer
    # False when no path, header, query or API key named a project: Cattle's caller is then
    # the admin account, which reads every project's resources (creates go to `1a5`).
    scoped: bool = True

    @property
    def visible_project(self) -> int | None:
        return self.project_id if self.scoped else None

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)


@dataclass(slots=True)
class Target:
    """What a request touches, as the call log and fault rules see it."""

    type: str | None = None
    id: str | None = None
    action: str | None = None


class CattleApp:
    """The WSGI callable serving one `FakeRancher`."""

    def __init__(self, fake: FakeRancher) -> None:
        self.fake = fake
        self._control: ControlRoutes | None = None
        self.rendered = RenderedDocuments()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            response = self.respond(Request(environ))
        except ConnectionDropped:
            # On werkzeug's server: close the socket, or the keep-alive loop would wait for
            # the next request on it while the client waits for this answer.
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            raise
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        """The answer to one request, as a page when a person's browser asks (and the OpenAPI
        document); raises `ConnectionDropped` when a fault drops it."""
        return people.respond(self.fake, request, self.answer)

    def answer(self, request: Request) -> Response:
        """The API's own answer to one request (JSON for the API and the control plane)."""
        request.max_content_length = MAX_BODY_BYTES
        if request.path == CONTROL_PREFIX or request.path.startswith(f"{CONTROL_PREFIX}/"):
            return self.handle_control(request)
        return self.handle_logged(request)

    def handle_control(self, request: Request) -> Response:
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

    def handle_logged(self, request: Request) -> Response:
        """`handle`, with fault rules applied first and the call logged after."""
        started = time.perf_counter()
        target = _target(request)
        status = 0
        try:
            response = self._faulted(request, target) or self.handle(request)
            status = response.status_code
            return response
        finally:
            self._log(request, target, status, time.perf_counter() - started)

    def _faulted(self, request: Request, target: Target) -> Response | None:
        try:
            method = _method(request)
        except ApiError:
            method = request.method
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
        urls = Urls(_host_url(request))
        return self._finish(json_response(status, body), urls, DEFAULT_PROJECT_ID, request)

    def _log(self, request: Request, target: Target, status: int, duration: float) -> None:
        raw = b""
        if request.content_length:
            with contextlib.suppress(HTTPException):  # over max_content_length: never read
                raw = request.get_data(cache=True)
        self.fake.calls.append(
            LoggedCall(
                method=request.method,
                path=request.path,
                query=loggable_query(_params(request)),
                status=status,
                type=target.type,
                id=target.id,
                action=target.action,
                duration=duration,
                body=loggable_body(raw, request.mimetype == _FORM_TYPE),
            )
        )

    def handle(self, request: Request) -> Response:
        fake = self.fake
        path = request.path
        urls = Urls(_host_url(request))
        project_id = DEFAULT_PROJECT_ID
        error_headers: dict[str, str] = {}
        try:
            with fake.lock:
                now = fake.clock.now()
                fake.store.settle(now)
                key = self._authenticate(request)
                path, urls, project_id, scoped = self._scope(request, path, urls, key)
                method = _method(request)
                call = Call(
                    request=request,
                    method=method,
                    path=path,
                    params=_params(request),
                    urls=urls,
                    project_id=project_id,
                    scoped=scoped,
                    renderer=Renderer(urls, now, method, action_links=_wants_action_links(request)),
                )
                result = self._dispatch(call, now)
                if isinstance(result, Response):
                    return self._finish(result, urls, project_id, request)
                status, body = result
        except ApiError as error:
            status, body = self._error_answer(error)
            error_headers = error.headers
        except HTTPException as error:
            status, body = self._error_answer(error)
        except Exception:  # a bug must still answer as Cattle would, never with a traceback
            log.exception("unexpected error answering %s %s", request.method, request.path)
            status, body = 500, ApiError(500).document(fake.store.new_error_id())
        response = self._finish(json_response(status, body), urls, project_id, request)
        response.headers.extend(error_headers)
        return response

    # -- request parsing ------------------------------------------------------------------
    def _authenticate(self, request: Request) -> ApiKey | None:
        """The API key of the request when access control applies; 401 without a valid one."""
        environ = request.environ
        api_keys = self.fake.api_keys
        enforced = environ.get("HTTP_X_ENFORCE_AUTHENTICATION", "").lower() == "true"
        if not (api_keys.access_control or enforced) or "/scripts/" in request.path:
            return None  # the scripts handler runs before authentication, as in Cattle
        key = api_keys.authenticate(environ.get("HTTP_AUTHORIZATION"))
        if key is None:
            raise unauthorized(environ.get("HTTP_X_API_NO_CHALLENGE", "").lower() != "true")
        return key

    def _scope(
        self, request: Request, path: str, urls: Urls, key: ApiKey | None = None
    ) -> tuple[str, Urls, int, bool]:
        """Project scope from the path, the X-API-Project-Id header or `projectId`; an
        environment API key confines the request to its own project."""
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        raw_project: str | None = None
        match = _PROJECT_PATH.fullmatch(path)
        if match and not match.group(2).lower().startswith("/projectmembers"):
            raw_project = match.group(1)
            path = f"/{API_VERSION}{match.group(2)}"
            urls = Urls(urls.host_url, f"/projects/{raw_project}")
        else:
            raw_project = request.environ.get("HTTP_X_API_PROJECT_ID") or _arg(request, "projectId")
        if raw_project is None:
            if key is not None:
                return path, urls, key.project_id, True
            return path, urls, DEFAULT_PROJECT_ID, False
        if path.startswith(f"/{API_VERSION}/scripts/"):
            # The scripts handler runs before authentication: no project check.
            return path, urls, DEFAULT_PROJECT_ID, False
        project = self.fake.resources.project(raw_project)
        if project is None or (key is not None and key.project_id != project.id):
            raise ApiError(403)
        return path, urls, project.id, True

    # -- dispatch -------------------------------------------------------------------------
    def _dispatch(self, call: Call, now: float) -> tuple[int, Any] | Response:
        route = _route(call.path)
        if route is None:
            raise not_found()
        endpoint, args = route
        if endpoint == "root":
            _require(call, "GET")
            return 200, self._versions(call)
        if endpoint == "version":
            _require(call, "GET")
            return 200, self._version(call)
        if endpoint == "script":
            _require(call, "GET", "POST")
            return self._script(call, args["token"], now)
        rtype = lookup(args["type_name"])
        if rtype is None:
            raise not_found()
        if endpoint == "collection":
            return self._collection(call, rtype, now)
        if rtype is SCHEMA:
            return self._schema(call, args["resource_id"], args.get("link"))
        if parse_id(args["resource_id"]) is None:
            raise not_found()
        if endpoint == "resource":
            return self._resource(call, rtype, args["resource_id"], now)
        record = self.fake.resources.get(rtype, call.visible_project, args["resource_id"])
        return self._link(call, rtype, record, args["link"])

    def _versions(self, call: Call) -> dict[str, Any]:
        base = call.urls.host_url.lower()
        version = self._version_document(f"{base}/{API_VERSION}")
        collection = listing.plain_collection("apiVersion", call.request.base_url, [version])
        collection["links"]["latest"] = f"{base}/{API_VERSION}"
        return collection

    def _version(self, call: Call) -> dict[str, Any]:
        doc = self._version_document(call.request.base_url)
        links = doc["links"]
        for rtype in sorted(ALL_SCHEMAS, key=lambda t: t.plural):
            if "GET" in rtype.collection_methods:
                links[rtype.plural] = call.urls.collection(rtype)
        return doc

    @staticmethod
    def _version_document(self_url: str) -> dict[str, Any]:
        return {
            "id": API_VERSION,
            "type": "apiVersion",
            "links": {"self": self_url},
            "actions": {},
            "baseType": "apiVersion",
        }

    def _schema(self, call: Call, schema_id: str, link: str | None) -> tuple[int, Any]:
        schema = lookup(schema_id)
        if schema is None or link is not None:
            raise not_found()
        _require(call, "GET")
        return 200, schema_document(schema, call.urls)

    def _collection(self, call: Call, rtype: ResourceType, now: float) -> tuple[int, Any]:
        resources = self.fake.resources
        if rtype is SCHEMA:
            _require(call, "GET")
            data = [schema_document(s, call.urls) for s in ALL_SCHEMAS]
            return 200, listing.plain_collection("schema", call.request.base_url, data)
        action = call.param("action") if call.method == "POST" else None
        if action is not None:
            raise ApiError(422, "InvalidAction", field_name="action")
        if call.method == "POST":
            if "POST" not in rtype.collection_methods:
                raise method_not_allowed()
            body = _body(call)
            record = resources.create(rtype, call.project_id, body, now)
            return 201, call.renderer.resource(record)
        _require(call, "GET")
        query = listing.parse_query(rtype, call.params)
        records = resources.listing(rtype, call.visible_project, query.include_removed)
        return 200, self._collection_document(call, rtype, records, query)

    def _collection_document(
        self, call: Call, rtype: ResourceType, records: list[Record], query: listing.CollectionQuery
    ) -> dict[str, Any]:
        page, has_more = listing.apply(records, query)
        data = [call.renderer.resource(r) for r in page]
        if query.include is not None:
            for doc, record in zip(data, page, strict=True):
                doc[query.include] = self._embedded(call, rtype, record, query.include)
        return listing.collection_document(
            rtype, call.request.base_url, call.params, query, data, has_more
        )

    def _resource(
        self, call: Call, rtype: ResourceType, raw_id: str, now: float
    ) -> tuple[int, Any] | Response:
        """Checks in Cattle's order (`ValidationHandler`): body, action, method and fields
        come before the row is loaded, so an unknown id is 404 only for a valid request."""
        resources = self.fake.resources
        method = call.method
        body = _body(call) if method in ("POST", "PUT") else {}
        if method == "POST":
            action = call.param("action")
            if action is None:
                raise method_not_allowed()
            if action not in rtype.actions:
                raise validation_error("InvalidAction", "action")
        elif method not in rtype.resource_methods:
            raise method_not_allowed()
        values = resources.validate_update(rtype, call.project_id, body) if method == "PUT" else {}
        record = resources.get(rtype, call.visible_project, raw_id)
        if method == "POST":
            assert action is not None
            return 202, call.renderer.resource(resources.action(rtype, record, action, now))
        if method == "PUT":
            return 200, call.renderer.resource(resources.apply_update(record, values))
        if method == "DELETE":
            return 200, call.renderer.resource(resources.delete(rtype, record, now))
        self.fake.store.read(record, now)
        if call.param("include") is not None or call.renderer.action_links:
            return 200, self._with_include(call, rtype, record)
        root = call.urls.root
        text = self.rendered.get(record, root)
        if text is None:
            text = encode(call.renderer.resource(record))
            self.rendered.put(record, root, text)
        return text_response(200, text)

    def _with_include(self, call: Call, rtype: ResourceType, record: Record) -> dict[str, Any]:
        """A resource read with `include=<link>`: the link's data embedded under its name."""
        doc = call.renderer.resource(record)
        wanted = call.param("include")
        name = next(
            (n for n in rtype.includeable_links if n.lower() == (wanted or "").lower()), None
        )
        if name is not None:
            doc[name] = self._embedded(call, rtype, record, name)
        return doc

    def _link(self, call: Call, rtype: ResourceType, record: Record, link: str) -> tuple[int, Any]:
        name = next((n for n in rtype.link_names if n.lower() == link.lower()), None)
        if name is None:
            raise not_found()
        _require(call, "GET")
        child = rtype.child_links.get(name)
        if child is not None:
            child_type = lookup(child[0])
            assert child_type is not None
            query = listing.parse_query(child_type, call.params)
            records = self.fake.resources.children(
                record, child_type.id, child[1], query.include_removed
            )
            return 200, self._collection_document(call, child_type, records, query)
        embedded = self._embedded(call, rtype, record, name)
        if embedded is None:
            raise not_found()
        if isinstance(embedded, list):
            return 200, listing.plain_collection(name.rstrip("s"), call.request.base_url, [])
        return 200, embedded

    def _embedded(self, call: Call, rtype: ResourceType, record: Record, name: str) -> Any:
        """What a link leads to, as `include=<link>` embeds it."""
        resources = self.fake.resources
        if name == "account":
            project = resources.store.get("project", record.account_id)
            return None if project is None else call.renderer.resource(project)
        followed = rtype.reference_links.get(name)
        if followed is not None:
            target_id = record.values.get(followed)
            field = rtype.field(followed)
            assert field is not None
            target = (
                None if target_id is None else resources.store.get(field.reference_type, target_id)
            )
            return None if target is None else call.renderer.resource(target)
        child = rtype.child_links.get(name)
        if child is not None:
            return [call.renderer.resource(r) for r in resources.children(record, *child)]
        return []

    def _script(self, call: Call, token: str, now: float) -> Response:
        for record in self.fake.resources.store.all_records():
            if (
                record.type == "registrationToken"
                and record.state == "active"
                and record.removed is None
                and tokens.token_matches(token, record.values["token"], now)
            ):
                script = tokens.agent_script(token, call.urls.cattle_url, client_ip(call.request))
                return Response(script, status=200, content_type="text/plain; charset=utf-8")
        raise not_found()

    # -- response -------------------------------------------------------------------------
    def _finish(
        self, response: Response, urls: Urls, project_id: int, request: Request
    ) -> Response:
        project = self.fake.store.get("project", project_id)
        response.headers.extend(
            (
                ("X-API-Schemas", urls.schemas),
                ("X-API-Account-Id", format_project_id(project_id)),
                ("X-API-Account-Name", "" if project is None else project.values.get("name") or ""),
                ("X-API-Client-IP", client_ip(request)),
                *_STATIC_HEADERS,
            )
        )
        return response


@functools.lru_cache(maxsize=4096)
def _route(path: str) -> tuple[str, Mapping[str, str]] | None:
    """The endpoint and arguments for a path; cached, as clients repeat their paths."""
    try:
        endpoint, args = URL_MAP.bind("fake").match(path, method="GET")
    except HTTPException:
        return None
    return endpoint, MappingProxyType(args)


def _target(request: Request) -> Target:
    """The type, id and action a request names, read from its path alone."""
    path = request.path.rstrip("/")
    match = _PROJECT_PATH.fullmatch(path)
    if match:
        path = f"/{API_VERSION}{match.group(2)}"
    route = _route(path)
    if route is None:
        return Target()
    endpoint, args = route
    if endpoint not in ("collection", "resource", "link"):
        return Target()
    rtype = lookup(args["type_name"])
    if rtype is None:
        return Target()
    action = _arg(request, "action") if request.method == "POST" else None
    return Target(rtype.id, args.get("resource_id"), action)


def schema_document(schema: ResourceType, urls: Urls) -> dict[str, Any]:
    return schema.document(urls.schema(schema.id), urls.collection(schema))


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


def client_ip(request: Request) -> str:
    """The first `X-Forwarded-For` address, else the peer's (Cattle's AddClientIpHeader)."""
    forwarded = request.environ.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.remote_addr or ""


def _host_url(request: Request) -> str:
    """Scheme and host as the client addressed them (cheaper than `Request.host_url`)."""
    return f"{request.scheme}://{request.host}"


def _wants_action_links(request: Request) -> bool:
    """The `X-API-Action-Links` header or `_actionLinks` option: `actionLinks` for `actions`."""
    return "HTTP_X_API_ACTION_LINKS" in request.environ or _arg(request, "_actionLinks") is not None


def _require(call: Call, *methods: str) -> None:
    if call.method not in methods:
        raise method_not_allowed()


def _body(call: Call) -> dict[str, Any]:
    """The request body (strict JSON whatever the Content-Type) merged over the query."""
    request = call.request
    body: dict[str, Any]
    if request.mimetype == "multipart/form-data":
        body = dict(request.form.items())
    else:
        raw = request.get_data(cache=True)
        if request.mimetype == _FORM_TYPE and not raw.lstrip().startswith((b"{", b"[")):
            # A real form post; a JSON body sent with curl's default form type is still JSON.
            try:
                body = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            except (UnicodeDecodeError, ValueError):
                raise invalid_body() from None
        else:
            body = parse_json_body(raw)
    for key in dict.fromkeys(k for k, _ in call.params):
        if key not in body:
            values = [v for k, v in call.params if k == key]
            body[key] = values[0] if len(values) == 1 else values
    return body
