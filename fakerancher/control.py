"""The control plane over HTTP: `/_fake/...` routes with the semantics of `FakeRancher`'s methods.

Never part of `/v1`: no schema, no link from discovery, and calls to it are not logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from fakerancher.clock import to_epoch
from fakerancher.errors import ApiError, method_not_allowed, not_found
from fakerancher.faults import parse_fault
from fakerancher.limits import read_body
from fakerancher.options import invalid_option, require_strings
from fakerancher.transitions import parse_rule
from fakerancher.validation import parse_json_body, parse_json_value

if TYPE_CHECKING:
    from fakerancher.fake import FakeRancher

PREFIX = "/_fake"
View = Callable[[Request, str, Any], tuple[int, Any]]

ROUTES: dict[str, tuple[tuple[str, ...], str]] = {
    "": (("GET",), "this index of the control routes"),
    "/reset": (("POST",), 'back to the initial state; body {"seed": 42} makes ids deterministic'),
    "/state": (("GET", "PUT"), "export (GET) or restore (PUT) everything the fake holds"),
    "/clock": (
        ("GET", "POST"),
        'read now; POST {"freeze": t} | {"advance": s} | {"unfreeze": true}',
    ),
    "/transitions": (
        ("GET", "POST", "DELETE"),
        "transition policy rules: delay, immediate, manual, reads, fail; purgeAfter",
    ),
    "/transitions/advance": (("POST",), 'complete manual transitions; body {"id": "1c1"} for one'),
    "/faults": (
        ("GET", "POST", "DELETE"),
        "fault rules: error status, latency, dropped connection",
    ),
    "/auth": (
        ("GET", "POST", "DELETE"),
        'API keys, access control; POST {"apiKey": {"project": "1a5"}} | {"apiKey": {"account": '
        '"1a1"}} | {"accessControl": true}',
    ),
    "/calls": (("GET", "DELETE"), "the call log, secrets masked; ?method= and ?path= filter it"),
    "/summary": (
        ("GET",),
        "counts by type and state, pending transitions, policies, faults, the call log's totals",
    ),
    "/secrets/<id>": (
        ("GET",),
        "a resource's secret value; only on a fake made with reveal_secrets (tests only)",
    ),
}
URL_MAP = Map([Rule(f"{PREFIX}{path}", endpoint=path) for path in ROUTES], strict_slashes=False)


class ControlRoutes:
    def __init__(self, fake: FakeRancher) -> None:
        self.fake = fake

    def handle(self, request: Request, method: str) -> tuple[int, Any]:
        try:
            route, _ = URL_MAP.bind("fake").match(request.path.rstrip("/") or "/", method="GET")
        except HTTPException:
            raise not_found() from None
        if method not in ROUTES[route][0]:
            raise method_not_allowed()
        raw = read_body(request.environ)
        if route == "/state" and method == "PUT":
            # Any JSON value: `import_state` names the problem with one that is not an object.
            body: Any = parse_json_value(raw)
        else:
            body = parse_json_body(raw) if method in ("POST", "PUT") else {}
        views: dict[str, View] = {
            "": self._index,
            "/reset": self._reset,
            "/state": self._state,
            "/clock": self._clock,
            "/transitions": self._transitions,
            "/transitions/advance": self._transitions_advance,
            "/faults": self._faults,
            "/auth": self._auth,
            "/calls": self._calls,
            "/summary": self._summary,
            "/secrets/<id>": self._secrets,
        }
        return views[route](request, method, body)

    def _index(self, request: Request, method: str, body: dict[str, Any]) -> tuple[int, Any]:
        base = request.host_url.rstrip("/")
        routes = [
            {"path": f"{PREFIX}{path}", "url": f"{base}{PREFIX}{path}", "methods": list(methods)}
            | {"description": text}
            for path, (methods, text) in ROUTES.items()
        ]
        return 200, {"type": "fakerancherControl", "routes": routes}

    def _reset(self, request: Request, method: str, body: dict[str, Any]) -> tuple[int, Any]:
        _only(body, "seed")
        if "seed" in body:
            seed = body["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise invalid_option("seed must be an integer or null")
            self.fake.reset(seed=seed)
        else:
            self.fake.reset()
        return 200, {"reset": True, "seed": self.fake.seed}

    def _state(self, request: Request, method: str, body: Any) -> tuple[int, Any]:
        if method == "PUT":
            self.fake.import_state(body)
        return 200, self.fake.export_state()

    def _clock(self, request: Request, method: str, body: dict[str, Any]) -> tuple[int, Any]:
        clock = self.fake.clock
        if method == "POST":
            _only(body, "freeze", "advance", "set", "unfreeze")
            if not body:
                raise invalid_option("send one of freeze, advance, set or unfreeze")
            try:
                freeze = body.get("freeze")
                moment = None if freeze is None or isinstance(freeze, bool) else to_epoch(freeze)
                at = None if body.get("set") is None else to_epoch(body["set"])
                advance = body.get("advance")
                if advance is not None and (
                    isinstance(advance, bool) or not isinstance(advance, int | float)
                ):
                    raise ValueError("advance must be a number of seconds")
                if advance is not None:
                    advance = to_epoch(advance)
            except ValueError as error:
                raise invalid_option(str(error)) from None
            unfreeze = body.get("unfreeze")
            if unfreeze is not None and not isinstance(unfreeze, bool):
                raise invalid_option("unfreeze must be true")
            with self.fake.lock:
                before = clock.export()
                try:
                    if "freeze" in body and freeze is not False:
                        clock.freeze(moment)
                    if at is not None:
                        clock.set(at)
                    if advance is not None:
                        clock.advance(advance)
                except ValueError as error:  # out of range: all or nothing
                    clock.restore(before)
                    raise invalid_option(str(error)) from None
                if unfreeze is True or freeze is False:
                    clock.unfreeze()
        return 200, clock.document()

    def _transitions(self, request: Request, method: str, body: dict[str, Any]) -> tuple[int, Any]:
        transitions = self.fake.transitions
        if method == "DELETE":
            transitions.clear()
        elif method == "POST":
            if "purgeAfter" in body:
                _only(body, "purgeAfter")
                value = body["purgeAfter"]
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int | float) or value < 0
                ):
                    raise invalid_option("purgeAfter must be seconds >= 0, or null to turn it off")
                transitions.purge_after = None if value is None else float(value)
            else:
                transitions.add(parse_rule(body))
        return 200, transitions.document()

    def _transitions_advance(
        self, request: Request, method: str, body: dict[str, Any]
    ) -> tuple[int, Any]:
        _only(body, "id")
        resource_id = body.get("id")
        if resource_id is not None and not isinstance(resource_id, str):
            raise invalid_option("id must be a resource id string")
        return 200, {"advanced": self.fake.transitions.advance(resource_id)}

    def _faults(self, request: Request, method: str, body: dict[str, Any]) -> tuple[int, Any]:
        faults = self.fake.faults
        if method == "DELETE":
            faults.clear()
        elif method == "POST":
            faults.add_rule(parse_fault(body))
        return 200, {"rules": faults.document()}

    def _auth(self, request: Request, method: str, body: dict[str, Any]) -> tuple[int, Any]:
        fake = self.fake
        if method == "DELETE":
            fake.drop_api_keys()
            fake.access_control = False
            return 200, self._auth_document()
        if method == "GET":
            return 200, self._auth_document()
        _only(body, "apiKey", "accessControl")
        if not body:
            raise invalid_option("send apiKey and/or accessControl")
        enabled = body.get("accessControl")
        if "accessControl" in body and not isinstance(enabled, bool):
            raise invalid_option("accessControl must be true or false")
        spec = body.get("apiKey")
        created: dict[str, Any] | None = None
        if spec is not None:
            if not isinstance(spec, dict):
                raise invalid_option('apiKey is an object, e.g. {"project": "1a5"}')
            keys = ("project", "account", "publicValue", "secretValue")
            _only(spec, *keys)
            require_strings(spec, keys, prefix="apiKey.")
            try:
                created = fake.add_api_key(
                    spec.get("project"),
                    account=spec.get("account"),
                    public_value=spec.get("publicValue"),
                    secret_value=spec.get("secretValue"),
                )
            except ValueError as error:
                raise invalid_option(str(error)) from None
        if isinstance(enabled, bool):
            fake.access_control = enabled
        answer = self._auth_document()
        if created is not None:
            answer["created"] = created  # the one answer that shows the secret key
        return 200, answer

    def _auth_document(self) -> dict[str, Any]:
        return {"accessControl": self.fake.access_control, "apiKeys": self.fake.api_keys}

    def _summary(self, request: Request, method: str, body: dict[str, Any]) -> tuple[int, Any]:
        from fakerancher.dashboard import summary  # the dashboard's data; most never ask

        return 200, summary(self.fake)

    def _secrets(self, request: Request, method: str, body: dict[str, Any]) -> tuple[int, Any]:
        if not self.fake.reveal_secrets:
            raise ApiError(
                403,
                message="secrets are shown only by a fake made with reveal_secrets=True "
                "(fakerancher serve --reveal-secrets)",
            )
        resource_id = request.path.rstrip("/").rsplit("/", 1)[1]
        try:
            secret = self.fake.secret_of(resource_id)
        except KeyError:
            raise ApiError(404, message=f"no resource {resource_id}") from None
        return 200, {"id": resource_id, "secretValue": secret}

    def _calls(self, request: Request, method: str, body: dict[str, Any]) -> tuple[int, Any]:
        calls = self.fake.calls
        if method == "DELETE":
            calls.clear()
            return 200, {"calls": [], "limit": calls.limit}
        wanted_method = request.args.get("method")
        wanted_path = request.args.get("path")
        found = calls.matching(wanted_method, wanted_path)
        return 200, {"calls": [c.document() for c in found], "limit": calls.limit}


def _only(body: dict[str, Any], *keys: str) -> None:
    unknown = set(body) - set(keys)
    if unknown:
        raise invalid_option(
            f"unknown keys: {', '.join(sorted(unknown))}; expected {', '.join(keys)}"
        )
