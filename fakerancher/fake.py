"""`FakeRancher`: one fake Rancher server with its own store, clock, settings and controls."""

from __future__ import annotations

import builtins
import contextlib
import json
import random
import re
import threading
from collections.abc import Iterator
from os import PathLike
from typing import TYPE_CHECKING, Any

from fakerancher.auth import ApiKeys
from fakerancher.calls import DEFAULT_LIMIT, Call, CallLog
from fakerancher.clock import Clock
from fakerancher.errors import ApiError
from fakerancher.faults import Faults
from fakerancher.render import Renderer
from fakerancher.resources import Resources
from fakerancher.schemas import ResourceType, lookup
from fakerancher.store import DEFAULT_PROJECT_ID, Record, Store
from fakerancher.transitions import Transitions
from fakerancher.urls import Urls

if TYPE_CHECKING:
    from fakerancher.app import CattleApp
    from fakerancher.server import LiveServer

DEFAULT_URL = "http://rancher.test"
SEEDED_PROJECT_CREATED = 1_483_228_800  # 2017-01-01T00:00:00Z, the Rancher 1.x era
_UNSET: Any = object()


class FakeRancher:
    """An in-memory Rancher 1.x (Cattle) API.

    Nothing is global: two instances never see each other's data. `wsgi_app` serves the `/v1`
    API and the `/_fake` control routes; `serve()` puts them on a real socket.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        transition_delay: float = 0.0,
        seed: int | None = None,
        call_log_limit: int = DEFAULT_LIMIT,
        access_control: bool = False,
    ) -> None:
        from fakerancher.app import CattleApp

        self.url = url.rstrip("/")
        self.seed = seed
        self.transition_delay = transition_delay
        self.lock = threading.RLock()
        self.clock = Clock()
        self.transitions = Transitions(transition_delay)
        self.transitions._advance = self._advance
        self.calls = CallLog(call_log_limit)
        self.api_keys = ApiKeys()
        self.api_keys.access_control = access_control
        self.faults = Faults(random.Random(seed))
        self.store = Store(self.transitions, seed)
        self.resources = Resources(self.store)
        self._add_default_project()
        self.wsgi_app: CattleApp = CattleApp(self)
        self._servers: list[LiveServer] = []
        self._configured_url = self.url

    def _add_default_project(self) -> None:
        # Under a seed the whole initial state repeats, the Default project's date included.
        created = SEEDED_PROJECT_CREATED if self.seed is not None else self.clock.now()
        self.resources.add_project("Default", created, project_id=DEFAULT_PROJECT_ID)

    # -- control --------------------------------------------------------------------------
    def reset(self, seed: int | None = _UNSET) -> None:
        """Back to the initial state: empty but for the Default project `1a5`, with no rules,
        faults, calls or clock override. A `seed` makes ids, uuids and tokens deterministic;
        without one the fake keeps the seed it was made with."""
        with self.lock:
            if seed is not _UNSET:
                self.seed = seed
            self.clock.reset()
            self.transitions.replace_with(Transitions(self.transition_delay))
            self.faults.clear()
            self.faults.random = random.Random(self.seed)
            self.calls.clear()
            self.api_keys.clear()
            self._use_store(Store(self.transitions, self.seed))
            self._add_default_project()

    @contextlib.contextmanager
    def _settled(self) -> Iterator[float]:
        """Holds the lock with every transition due by now completed; yields now."""
        with self.lock:
            now = self.clock.now()
            self.store.settle(now)
            yield now

    def _use_store(self, store: Store) -> None:
        self.store = store
        self.resources = Resources(store)

    def export_state(self) -> dict[str, Any]:
        """Everything the fake holds, as JSON-ready data (secret values excepted)."""
        from fakerancher.snapshot import export_state

        with self._settled():
            return export_state(self.store, self.clock.export(), self.api_keys)

    def import_state(self, doc: Any) -> None:
        """Restore an `export_state()` document; an unfit one raises `ApiError` (400), naming
        the problem, and changes nothing."""
        from fakerancher.snapshot import build_store, parse_auth

        with self.lock:
            store, clock = build_store(doc, self.seed)
            keys, access_control = parse_auth(doc, store)
            self.api_keys.restore(keys, access_control)
            transitions = store.transitions
            store.transitions = self.transitions
            self.transitions.replace_with(transitions)
            self._use_store(store)
            self.clock.restore(clock)

    def save_state(self, path: str | PathLike[str]) -> None:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(self.export_state(), file, indent=2, sort_keys=True)
            file.write("\n")

    def load_state(self, path: str | PathLike[str]) -> None:
        with open(path, encoding="utf-8") as file:
            try:
                doc = json.load(file)
            except ValueError as error:
                raise ApiError(400, "InvalidState", message=f"{path}: not JSON: {error}") from None
        self.import_state(doc)

    # -- API keys -------------------------------------------------------------------------
    @property
    def access_control(self) -> bool:
        """When on, every API request needs an environment API key (HTTP Basic)."""
        return self.api_keys.access_control

    @access_control.setter
    def access_control(self, enabled: bool) -> None:
        self.api_keys.access_control = bool(enabled)

    def add_api_key(
        self,
        project: str = "1a5",
        *,
        public_value: str | None = None,
        secret_value: str | None = None,
    ) -> dict[str, Any]:
        """An environment API key of `project`: `{"publicValue", "secretValue", ...}`.

        The secret is in this answer only; the fake keeps its digest."""
        with self.lock:
            project_id = self._project(project)
            key_id = f"1c{self.store.next_id('credential')}"
            key, secret = self.api_keys.add(
                key_id, project_id, self.store.random, public_value, secret_value
            )
        return {**key.document(), "secretValue": secret}

    def _advance(self, resource_id: str | None) -> int:
        with self._settled() as now:
            if resource_id is None:
                return self.store.advance(now)
            record = self._find(resource_id)
            if record is None:
                raise ApiError(404, message=f"no resource {resource_id}")
            return self.store.advance(now, record)

    def _find(self, resource_id: str) -> Record | None:
        return next((r for r in self.store.all_records() if r.api_id == resource_id), None)

    def assert_called(
        self, method: str, path: str | re.Pattern[str], times: int | None = None
    ) -> list[Call]:
        """Fail unless `method path` was called (exactly `times` times when given)."""
        return self.calls.assert_called(method, path, times)

    def assert_not_called(self, method: str, path: str | re.Pattern[str]) -> None:
        self.calls.assert_not_called(method, path)

    # -- resources from Python ------------------------------------------------------------
    def create(
        self, type: str, *, project: str = "1a5", wait: bool = True, **fields: Any
    ) -> dict[str, Any]:
        """Create a resource as `POST /v1/<type>` would, validated the same way.

        With `wait` (the default) it is returned at rest (`active`), whatever the transition
        policies say; `wait=False` leaves it as the API would (`registering`).
        """
        rtype = self._type(type)
        with self._settled() as now:
            record = self.resources.create(rtype, self._project(project), fields, now)
            if wait:
                self.store.finish(record, now)
            return self._renderer(now).resource(record)

    def action(self, type: str, id: str, name: str, *, wait: bool = True) -> dict[str, Any]:
        """Run an action (`deactivate`, `remove`, `purge`...) as `POST ?action=` would."""
        rtype = self._type(type)
        with self._settled() as now:
            record = self.resources.get(rtype, None, id)
            self.resources.action(rtype, record, name, now)
            if wait:
                self.store.finish(record, now)
            return self._renderer(now).resource(record)

    def get(self, type: str, id: str) -> dict[str, Any] | None:
        """The resource as `GET /v1/<type>/<id>` shows it, or None."""
        rtype = self._type(type)
        with self._settled() as now:
            try:
                record = self.resources.get(rtype, None, id)
            except ApiError:
                return None
            return self._renderer(now).resource(record)

    def list(
        self, type: str | None = None, *, state: str | None = None, project: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Resources by type (any type when None) and state, removed ones included."""
        rtype = None if type is None else self._type(type)
        with self._settled() as now:
            renderer = self._renderer(now)
            return [renderer.resource(r) for r in self._records(rtype, state, project)]

    def _records(
        self, rtype: ResourceType | None, state: str | None, project: str | None
    ) -> builtins.list[Record]:
        account = None if project is None else self._project(project)
        records = sorted(self.store.all_records(), key=_display_order)
        return [
            r
            for r in records
            if (rtype is None or r.type == rtype.id)
            and (state is None or r.state == state)
            and (account is None or r.account_id == account)
        ]

    def _type(self, name: str) -> ResourceType:
        rtype = lookup(name)
        if rtype is None or rtype.id == "schema":
            raise ValueError(f"unknown resource type {name!r}")
        return rtype

    def _project(self, raw: str) -> int:
        project = self.resources.project(raw)
        if project is None:
            raise ApiError(403)
        return project.id

    def _renderer(self, now: float) -> Renderer:
        return Renderer(Urls(self.url), now, "GET")

    # -- serving --------------------------------------------------------------------------
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> LiveServer:
        """Serve the API on a real socket in a background thread; `url` becomes its URL."""
        from fakerancher.server import LiveServer

        server = LiveServer(self.wsgi_app, host, port)
        if not self._servers:
            self._configured_url = self.url
        self._servers.append(server)
        self.url = server.url
        return server

    def stop(self) -> None:
        """Stop every server started with `serve()`; `url` is the configured one again."""
        if self._servers:
            self.url = self._configured_url
        while self._servers:
            self._servers.pop().stop()

    def __enter__(self) -> FakeRancher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- display --------------------------------------------------------------------------
    def table(self) -> builtins.list[dict[str, str]]:
        """One row per resource: type, id, name, state (what a notebook shows)."""
        rows = []
        for doc in self.list():
            name = doc.get("name") or doc.get("serverAddress") or doc.get("email") or ""
            rows.append(
                {"type": doc["type"], "id": doc["id"], "name": str(name), "state": doc["state"]}
            )
        return rows

    def __repr__(self) -> str:
        rows = self.table()
        head = f"<FakeRancher {self.url}: {len(rows)} resource(s)>"
        if not rows:
            return head
        widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in rows[0]}
        lines = ["  ".join(k.ljust(widths[k]) for k in widths)]
        lines += ["  ".join(r[k].ljust(widths[k]) for k in widths) for r in rows]
        return "\n".join([head, *(line.rstrip() for line in lines)])

    def _repr_html_(self) -> str:
        """The resource table, then a summary: counts by state, clock, pending transitions,
        policies, faults, recent calls (and a plot of them where matplotlib is installed)."""
        from fakerancher.dashboard import notebook_html

        return notebook_html(self)


def _display_order(record: Record) -> tuple[bool, str, int]:
    return (record.type != "project", record.type, record.id)
