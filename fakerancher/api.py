"""The API's endpoints: werkzeug routes to one view per endpoint, for one parsed request.

The checks run in Cattle's order (`ValidationHandler`): body, action and method, then the
fields, and only then the row: an unknown id is 404 only for an otherwise valid request.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from fakerancher import listing, tokens
from fakerancher.answers import (
    RenderedDocuments,
    Reply,
    encode,
    json_response,
    media_type,
    text_response,
)
from fakerancher.auth import Caller
from fakerancher.calls import PARSED_BODY
from fakerancher.errors import ApiError, method_not_allowed, not_found, validation_error
from fakerancher.limits import read_body
from fakerancher.render import Renderer
from fakerancher.roles import SchemaSet
from fakerancher.schemas import SCHEMA, ResourceType
from fakerancher.store import Record
from fakerancher.urls import Urls
from fakerancher.validation import invalid_body, parse_id, parse_json_body
from fakerancher.versions import VERSIONS

if TYPE_CHECKING:
    from fakerancher.fake import FakeRancher

FORM_TYPE = "application/x-www-form-urlencoded"
ACCOUNT_LINK = "account"  # every row's link to the account (project) it belongs to
Answer = tuple[int, Any] | Reply

_VERSION = "<any(" + ", ".join(f"'{name}'" for name in VERSIONS) + "):version>"
URL_MAP = Map(
    [
        Rule("/", endpoint="root"),
        Rule(f"/{_VERSION}", endpoint="version"),
        Rule(f"/{_VERSION}/scripts/<token>", endpoint="script"),
        Rule(f"/{_VERSION}/<type_name>", endpoint="collection"),
        Rule(f"/{_VERSION}/<type_name>/<resource_id>", endpoint="resource"),
        Rule(f"/{_VERSION}/<type_name>/<resource_id>/<link>", endpoint="link"),
    ],
    strict_slashes=False,
    merge_slashes=False,
)


CACHED_PATH_LENGTH = 512  # paths (and shapes) longer than this are never cached

# The only literal path segments any rule has: the version (`any(...)`) and `scripts`.
_LITERAL_SEGMENTS = (*VERSIONS, "scripts")
# A non-empty path segment that no rule names literally.
_VARIABLE_SEGMENT = re.compile(
    "(?<=/)(?!(?:" + "|".join(map(re.escape, _LITERAL_SEGMENTS)) + ")(?:/|$))[^/]+"
)
_PLACEHOLDER = "@"
_URL_MATCHER = URL_MAP.bind("fake")


def route(path: str) -> tuple[str, Mapping[str, str]] | None:
    """The endpoint and arguments for a path.

    werkzeug matches the path's shape once: the path with every segment that no rule names
    literally replaced by a placeholder. Every rule's variable parts take any one non-empty
    segment, so paths of one shape route alike; a client reading new ids never pays for a
    fresh match."""
    shape = _VARIABLE_SEGMENT.sub(_PLACEHOLDER, path)
    # Long shapes are matched afresh: the cache stays small whatever clients send.
    matched = _route_shape(shape) if len(shape) <= CACHED_PATH_LENGTH else _match_shape(shape)
    if matched is None:
        return None
    endpoint, names, indices = matched
    return endpoint, dict(zip(names, map(path.split("/").__getitem__, indices), strict=True))


def _match_shape(shape: str) -> tuple[str, tuple[str, ...], tuple[int, ...]] | None:
    """The endpoint, its arguments' names and the index of the segment each takes, for one
    path shape."""
    try:
        endpoint, args = _URL_MATCHER.match(shape, method="GET")
    except HTTPException:
        return None
    # A rule's variables come in path order and take one segment each: a placeholder, or a
    # literal segment of the same text.
    segments = shape.split("/")
    indices: list[int] = []
    for value in args.values():
        indices.append(segments.index(value, indices[-1] + 1 if indices else 0))
    return endpoint, tuple(args), tuple(indices)


_route_shape = functools.lru_cache(maxsize=1024)(_match_shape)


@dataclass(slots=True)
class Call:
    """One parsed API request and who makes it."""

    request: Request
    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    urls: Urls
    caller: Caller
    schemas: SchemaSet  # the caller's, in the version the request names
    renderer: Renderer
    now: float

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)

    def require(self, *methods: str) -> None:
        if self.method not in methods:
            raise method_not_allowed()


class ApiViews:
    """The views of the API, over one fake's resources."""

    def __init__(self, fake: FakeRancher) -> None:
        self.fake = fake
        self.rendered = RenderedDocuments()
        self.views: dict[str, Callable[[Call, Mapping[str, str]], Answer]] = {
            "root": self.versions,
            "version": self.version,
            "script": self.script,
            "collection": self.collection,
            "resource": self.resource,
            "link": self.link,
        }

    def dispatch(self, call: Call) -> Answer:
        found = route(call.path)
        if found is None:
            raise not_found()
        endpoint, args = found
        return self.views[endpoint](call, args)

    def _type(self, call: Call, name: str) -> ResourceType:
        rtype = call.schemas.lookup(name)
        if rtype is None:
            raise not_found()
        if rtype.lists_whole_table:
            call.renderer.table_type = rtype
        return rtype

    # -- discovery ------------------------------------------------------------------------
    def versions(self, call: Call, args: Mapping[str, str]) -> Answer:
        """`GET /`: Cattle 1.6 answers the root version's (`v1`) document there."""
        return self.version(call, args)

    def version(self, call: Call, args: Mapping[str, str]) -> Answer:
        call.require("GET")
        doc = _version_document(call.schemas.version.name, call.request.base_url)
        links = doc["links"]
        for rtype in sorted(call.schemas, key=lambda t: t.plural):
            if "GET" in rtype.collection_methods:
                links[rtype.plural] = call.urls.collection(rtype)
        return 200, doc

    def _schemas(self, call: Call) -> Answer:
        call.require("GET")
        data = [schema_document(s, call.urls) for s in call.schemas]
        return 200, listing.plain_collection("schema", call.request.base_url, data)

    def _schema(self, call: Call, schema_id: str, link: str | None) -> Answer:
        schema = call.schemas.lookup(schema_id)
        if schema is None or link is not None:
            raise not_found()
        call.require("GET")
        return 200, schema_document(schema, call.urls)

    # -- collections ----------------------------------------------------------------------
    def collection(self, call: Call, args: Mapping[str, str]) -> Answer:
        rtype = self._type(call, args["type_name"])
        if rtype is SCHEMA:
            return self._schemas(call)
        resources = self.fake.resources
        if call.method == "POST":
            if call.param("action") is not None:
                raise ApiError(422, "InvalidAction", field_name="action")
            if "POST" not in rtype.collection_methods:
                raise method_not_allowed()
            record = resources.create(rtype, call.caller, request_body(call), call.now)
            return 201, self._shown(call, record)
        call.require("GET")
        if rtype.plain_listing:
            records = resources.listing(
                rtype,
                call.caller,
                listing.wants_removed(call.params),
                every=listing.wants_every(call.params),
            )
            page = listing.plain_filter(records, call.params)
            items = ",".join(self._rendered_text(call, record) for record in page)
            doc = listing.plain_collection(rtype.id, call.request.base_url, [])
            return text_response(200, encode(doc).replace('"data":[]', f'"data":[{items}]', 1))
        query = listing.parse_query(rtype, call.params)
        records = resources.listing(rtype, call.caller, query.include_removed)
        return self._collection_answer(call, rtype, records, query)

    def _collection_answer(
        self, call: Call, rtype: ResourceType, records: list[Record], query: listing.CollectionQuery
    ) -> Reply:
        page, has_more = listing.apply(records, query)
        base_url = call.request.base_url
        if query.include is None and not call.renderer.action_links:
            # The JSON of each resource as a by-id GET shows it (cached), spliced in.
            doc = listing.collection_document(rtype, base_url, call.params, query, [], has_more)
            items = ",".join(self._rendered_text(call, record) for record in page)
            return text_response(200, encode(doc).replace('"data":[]', f'"data":[{items}]', 1))
        data = [call.renderer.resource(r) for r in page]
        if query.include is not None:
            for item, record in zip(data, page, strict=True):
                item[query.include] = self._embedded(call, rtype, record, query.include)
        doc = listing.collection_document(rtype, base_url, call.params, query, data, has_more)
        return json_response(200, doc)

    def _rendered_text(self, call: Call, record: Record) -> str:
        """A resource's JSON as a GET shows it, from the cache while the record is unchanged
        (only for documents that follow the record alone: the cache cannot see other rows)."""
        renderer = call.renderer
        shown_as = renderer.view(record)
        if not renderer.depends_on_record_alone(shown_as):
            return encode(renderer.resource(record, shown_as))
        urls, caller = call.urls, call.caller
        key = (urls.root, urls.api_host, caller.role.name, caller.user.id, shown_as.id)
        text = self.rendered.get(record, key)
        if text is None:
            text = encode(renderer.resource(record, shown_as))
            self.rendered.put(record, key, text)
        return text

    def _shown(self, call: Call, record: Record) -> dict[str, Any]:
        """The create answer: the one that shows what is shown once (an API key's secret)."""
        doc = call.renderer.resource(record)
        record.once = None
        return doc

    # -- one resource ---------------------------------------------------------------------
    def resource(self, call: Call, args: Mapping[str, str]) -> Answer:
        rtype = self._type(call, args["type_name"])
        raw_id = args["resource_id"]
        if rtype is SCHEMA:
            return self._schema(call, raw_id, None)
        keyed = parse_id(raw_id) is None
        if keyed and rtype.upsert_on is None:
            raise not_found()
        resources = self.fake.resources
        caller = call.caller
        method = call.method
        body = request_body(call) if method in ("POST", "PUT") else {}
        if keyed and method == "PUT" and "POST" in rtype.collection_methods:
            # `PUT /v2-beta/settings/api.host`: Cattle has a row for every known setting, so
            # a PUT by name sets it whether or not it was set before.
            assert rtype.upsert_on is not None
            record = resources.create(rtype, caller, {**body, rtype.upsert_on: raw_id}, call.now)
            return 200, call.renderer.resource(record)
        if method == "POST":
            action = call.param("action")
            if action is None:
                raise method_not_allowed()
            if action not in rtype.actions:
                raise validation_error("InvalidAction", "action")
        elif method not in rtype.resource_methods:
            raise method_not_allowed()
        values = resources.validate_update(rtype, caller, body) if method == "PUT" else {}
        record = resources.get(rtype, caller, raw_id)
        if method == "POST":
            assert action is not None
            done = resources.action(rtype, caller, record, action, body, call.now)
            if isinstance(done, list):
                return 200, self._list_document(call, done)
            return 202, call.renderer.resource(done)
        if method == "PUT":
            return 200, call.renderer.resource(
                resources.apply_update(rtype, caller, record, values)
            )
        if method == "DELETE":
            return 200, call.renderer.resource(resources.delete(rtype, caller, record, call.now))
        self.fake.store.read(record, call.now)
        if call.param("include") is not None or call.renderer.action_links:
            return 200, self._with_include(call, rtype, record)
        return text_response(200, self._rendered_text(call, record))

    def _list_document(self, call: Call, records: list[Record]) -> dict[str, Any]:
        data = [call.renderer.resource(r) for r in records]
        kind = records[0].type if records else "resource"
        return listing.plain_collection(kind, call.request.base_url, data)

    def _with_include(self, call: Call, rtype: ResourceType, record: Record) -> dict[str, Any]:
        """A resource read with `include=<link>`: the link's data embedded under its name."""
        doc = call.renderer.resource(record)
        wanted = (call.param("include") or "").lower()
        name = next((n for n in rtype.includeable_links if n.lower() == wanted), None)
        if name is not None:
            doc[name] = self._embedded(call, rtype, record, name)
        return doc

    def link(self, call: Call, args: Mapping[str, str]) -> Answer:
        rtype = self._type(call, args["type_name"])
        if rtype is SCHEMA:
            return self._schema(call, args["resource_id"], args["link"])
        if parse_id(args["resource_id"]) is None:
            raise not_found()
        record = self.fake.resources.get(rtype, call.caller, args["resource_id"])
        name = next((n for n in rtype.link_names if n.lower() == args["link"].lower()), None)
        if name is None:
            raise not_found()
        call.require("GET")
        child = rtype.child_links.get(name)
        if child is not None:
            child_type = call.schemas.lookup(child[0])
            if child_type is None:
                raise not_found()
            query = listing.parse_query(child_type, call.params)
            records = self.fake.resources.children(
                record, child_type.id, child[1], query.include_removed
            )
            return self._collection_answer(call, child_type, records, query)
        embedded = self._embedded(call, rtype, record, name)
        if embedded is None:
            raise not_found()
        if isinstance(embedded, list):
            kind = name.rstrip("s")
            return 200, listing.plain_collection(kind, call.request.base_url, embedded)
        return 200, embedded

    def _embedded(self, call: Call, rtype: ResourceType, record: Record, name: str) -> Any:
        """What a link leads to, as `include=<link>` embeds it."""
        store = self.fake.store
        if name == ACCOUNT_LINK:
            account = store.account(record.account_id)
            return None if account is None else call.renderer.resource(account)
        followed = rtype.reference_links.get(name)
        if followed is not None:
            target_id = record.values.get(followed)
            field = rtype.field(followed)
            assert field is not None
            target = None if target_id is None else store.get(field.reference_type, target_id)
            return None if target is None else call.renderer.resource(target)
        child = rtype.child_links.get(name)
        if child is not None:
            children = self.fake.resources.children(record, *child)
            return [call.renderer.resource(r) for r in children]
        table = rtype.owned_links.get(name)
        if table is not None:
            owned = self.fake.resources.owned_rows(record, table)
            return [
                call.renderer.resource(r) for r in owned if call.schemas.lookup(r.type) is not None
            ]
        return []

    # -- the agent script -----------------------------------------------------------------
    def script(self, call: Call, args: Mapping[str, str]) -> Answer:
        call.require("GET", "POST")
        token = args["token"]
        for record in self.fake.store.owned_all("registrationToken"):
            if (
                record.state == "active"
                and record.removed is None
                and tokens.token_matches(token, record.values["token"], call.now)
            ):
                script = tokens.agent_script(token, call.urls.cattle_url, client_ip(call.request))
                return text_response(200, script, "text/plain; charset=utf-8")
        raise not_found()


def _version_document(version: str, self_url: str) -> dict[str, Any]:
    return {
        "id": version,
        "type": "apiVersion",
        "links": {"self": self_url},
        "actions": {},
        "baseType": "apiVersion",
    }


def schema_document(schema: ResourceType, urls: Urls) -> dict[str, Any]:
    return schema.document(urls.schema(schema.id), urls.collection(schema))


def client_ip(request: Request) -> str:
    """The first `X-Forwarded-For` address, else the peer's (Cattle's AddClientIpHeader)."""
    forwarded = request.environ.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.remote_addr or ""


def request_media_type(request: Request) -> str:
    """werkzeug's `mimetype`, read straight from the environ."""
    return media_type(request.environ.get("CONTENT_TYPE"))


def request_body(call: Call) -> dict[str, Any]:
    """The request body (strict JSON whatever the Content-Type) merged over the query."""
    request = call.request
    body: dict[str, Any]
    media_type = request_media_type(request)
    if media_type == "multipart/form-data":
        body = dict(request.form.items())
    else:
        raw = read_body(request.environ)
        if media_type == FORM_TYPE and not raw.lstrip().startswith((b"{", b"[")):
            # A real form post; a JSON body sent with curl's default form type is still JSON.
            try:
                body = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            except (UnicodeDecodeError, ValueError):
                raise invalid_body() from None
        else:
            body = parse_json_body(raw)
            if body:  # for the call log, which would otherwise parse it again
                request.environ[PARSED_BODY] = dict(body) if call.params else body
    for key in dict.fromkeys(k for k, _ in call.params):
        if key not in body:
            values = [v for k, v in call.params if k == key]
            body[key] = values[0] if len(values) == 1 else values
    return body
