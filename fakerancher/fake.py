"""`FakeRancher`: one fake Rancher server with its own store, clock, settings and controls."""

from __future__ import annotations

import builtins
import json
import random
import re
import threading
from os import PathLike
from types import TracebackType
from typing import TYPE_CHECKING, Any

from fakerancher import auth
from fakerancher.calls import DEFAULT_LIMIT, Call, CallLog
from fakerancher.clock import Clock
from fakerancher.errors import ApiError
from fakerancher.faults import Faults
from fakerancher.render import Renderer
from fakerancher.resources import Resources
from fakerancher.schemas import ResourceType
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
        reveal_secrets: bool = False,
    ) -> None:
        self.url = url.rstrip("/")
        # Test-only: the call log keeps secrets, and `/_fake/secrets/<id>` answers.
        self.reveal_secrets = reveal_secrets
        self.errors: builtins.list[Exception] = []
        self._errors_lock = threading.Lock()
        self.seed = seed
        self.transition_delay = transition_delay
        self.lock = threading.RLock()
        self.clock = Clock(before_move=self._settle_at)
        self.transitions = Transitions(transition_delay)
        self.transitions._advance = self._advance
        self.calls = CallLog(call_log_limit)
        # When on, every API request needs a valid API key (HTTP Basic); see `auth.py`.
        self.access_control = bool(access_control)
        self.faults = Faults(random.Random(seed))
        self.store = Store(self.transitions, seed)
        self.resources = Resources(self.store)
        self._add_default_project()
        self._app: CattleApp | None = None
        self._servers: list[LiveServer] = []
        self._configured_url = self.url

    def _add_default_project(self) -> None:
        # Under a seed the whole initial state repeats, the seeded rows' dates included.
        created = SEEDED_PROJECT_CREATED if self.seed is not None else self.clock.now()
        self.resources.seed(created, DEFAULT_PROJECT_ID, created)

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
            self.access_control = False
            with self._errors_lock:
                self.errors.clear()
            self._use_store(Store(self.transitions, self.seed))
            self._add_default_project()

    def operation(self) -> Operation:
        """One operation on the fake, all or nothing: holds the lock, completes every
        transition due by now, and undoes every change if the operation raises; `with`
        yields now."""
        return Operation(self)

    @property
    def wsgi_app(self) -> CattleApp:
        """The WSGI app serving this fake (made, and werkzeug imported, on first use)."""
        if self._app is None:
            with self.lock:
                if self._app is None:
                    from fakerancher.app import CattleApp

                    self._app = CattleApp(self)
        return self._app

    def _settle_at(self, moment: float) -> None:
        """Before the clock moves: what is due by the old time completes first, so a move's
        result never depends on whether anyone looked in between."""
        with self.lock:
            self.store.settle(moment)

    # -- bugs in the fake -----------------------------------------------------------------
    def record_error(self, error: Exception) -> None:
        """An unexpected exception inside the fake: kept for `check_errors`."""
        with self._errors_lock:
            self.errors.append(error)

    def check_errors(self) -> None:
        """Raise the first unexpected exception the fake met (a bug in fakerancher), with
        its original traceback, and forget them all; the fixtures and `mock_rancher` call
        this at teardown, so such a bug fails the test that caused it."""
        with self._errors_lock:
            errors, self.errors = self.errors, []
        if errors:
            first = errors[0]
            if len(errors) > 1:
                first.add_note(f"fakerancher: {len(errors) - 1} more unexpected error(s)")
            raise first

    def secret_of(self, id: str) -> str | None:
        """The secret value of a credential, token or API key, as last set: for tests that
        check their code set or rotated it. Never shown by the API after the create answer."""
        with self.lock:
            record = self._find(id)
        if record is None:
            raise KeyError(f"no resource {id}")
        secret: str | None = record.values.get("secretValue")
        return secret

    def _use_store(self, store: Store) -> None:
        self.store = store
        self.resources = Resources(store)

    def export_state(self) -> dict[str, Any]:
        """Everything the fake holds, as JSON-ready data (secret values excepted)."""
        from fakerancher.snapshot import export_state

        with self.operation():
            return export_state(self.store, self.clock.export(), self.access_control)

    def import_state(self, doc: Any) -> None:
        """Restore an `export_state()` document; an unfit one raises `ApiError` (400), naming
        the problem, and changes nothing."""
        from fakerancher.snapshot import build_store, parse_auth

        with self.lock:
            store, clock = build_store(doc, self.seed)
            access_control = parse_auth(doc, store)
            transitions = store.transitions
            store.transitions = self.transitions
            self.transitions.replace_with(transitions)
            self._use_store(store)
            self.clock.restore(clock)
            self.access_control = access_control

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
    def add_api_key(
        self,
        project: str | None = None,
        *,
        account: str | None = None,
        public_value: str | None = None,
        secret_value: str | None = None,
    ) -> dict[str, Any]:
        """An active API key, as `POST /v1/apikeys` would make it: of an account (an account
        key: `account="1a1"` for the admin) or of a project (an environment key; the Default
        `1a5` when neither is named). Returned as its create answer, the only one that shows
        `secretValue`; the fake keeps a digest."""
        if project is not None and account is not None:
            raise ValueError("an API key belongs to a project or to an account, not both")
        owner = account if account is not None else project or "1a5"
        body: dict[str, Any] = {"accountId": owner}
        if public_value is not None:  # else both are generated
            body |= {"publicValue": public_value, "secretValue": secret_value}
        return self.create("apiKey", **body)

    def drop_api_keys(self) -> None:
        """Every API key removed and purged at once: none authenticates any more."""
        with self.operation() as now:
            for key in list(self.store.owned_all("apiKey")):
                if key.removed is None:
                    self.store.purge_now(key, now)

    @property
    def api_keys(self) -> builtins.list[dict[str, Any]]:
        """The live API keys: id, publicValue, accountId (never a secret)."""
        with self.lock:
            keys = sorted(self.store.owned_all("apiKey"), key=lambda r: r.id)
            return [
                {
                    "id": key.api_id,
                    "publicValue": key.values.get("publicValue"),
                    "accountId": f"1a{key.account_id}",
                    "state": key.state,
                }
                for key in keys
                if key.removed is None
            ]

    def _advance(self, resource_id: str | None) -> int:
        with self.operation() as now:
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
    def _caller(self, project: str | None = None) -> auth.Caller:
        """The Python API's caller: Cattle's admin fallback, inside `project` when named."""
        requested = None if project is None else self.resources.project(project)
        return auth.resolve(self.store, None, requested, named=project is not None)

    def create(
        self, type: str, *, project: str | None = None, wait: bool = True, **fields: Any
    ) -> dict[str, Any]:
        """Create a resource as `POST /v1/<type>` would, validated the same way (in the
        Default project `1a5` unless `project` names another).

        With `wait` (the default) it is returned at rest (`active`), whatever the transition
        policies say; `wait=False` leaves it as the API would (`registering`).
        """
        with self.operation() as now:
            caller = self._caller(project)
            rtype = self._type(type, caller)
            record = self.resources.create(rtype, caller, fields, now)
            if wait:
                self.store.finish(record, now)
            # As a GET shows it, but for what only the create answer shows (a key's secret).
            doc = self._renderer(now, caller).resource(record)
            doc.update(record.once or {})
            record.once = None
            return doc

    def action(self, type: str, id: str, name: str, *, wait: bool = True) -> dict[str, Any]:
        """Run an action (`deactivate`, `remove`, `purge`...) as `POST ?action=` would."""
        with self.operation() as now:
            caller = self._caller()
            rtype = self._type(type, caller)
            record = self.resources.get(rtype, caller, id)
            self.resources.action(rtype, caller, record, name, {}, now)
            if wait:
                self.store.finish(record, now)
            return self._renderer(now, caller).resource(record)

    def get(self, type: str, id: str) -> dict[str, Any] | None:
        """The resource as `GET /v1/<type>/<id>` shows it, or None."""
        with self.operation() as now:
            caller = self._caller()
            rtype = self._type(type, caller)
            try:
                record = self.resources.get(rtype, caller, id)
            except ApiError:
                return None
            return self._renderer(now, caller).resource(record)

    def list(
        self, type: str | None = None, *, state: str | None = None, project: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Resources by type (any type when None) and state, removed ones included."""
        with self.operation() as now:
            caller = self._caller()
            rtype = None if type is None else self._type(type, caller)
            renderer = self._renderer(now, caller)
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

    def _type(self, name: str, caller: auth.Caller) -> ResourceType:
        rtype = caller.schemas().lookup(name)
        if rtype is None or rtype.ownership == "none":
            raise ValueError(f"unknown resource type {name!r}")
        return rtype

    def _project(self, raw: str) -> int:
        project = self.resources.project(raw)
        if project is None:
            raise ApiError(403)
        return project.id

    def _renderer(self, now: float, caller: auth.Caller) -> Renderer:
        return self.resources.renderer(caller, caller.schemas(), Urls(self.url), now)

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


_TABLE_ORDER = {"account": 0}  # accounts and projects first


def _display_order(record: Record) -> tuple[int, str, int]:
    return (_TABLE_ORDER.get(record.table, 1), record.type, record.id)


class Operation:
    """`FakeRancher.operation()`: a plain context manager, as every request opens one."""

    __slots__ = ("_fake", "_outer")

    def __init__(self, fake: FakeRancher) -> None:
        self._fake = fake
        self._outer = False  # whether this operation began the store's transaction

    def __enter__(self) -> float:
        fake = self._fake
        fake.lock.acquire()
        try:
            now = fake.clock.now()
            fake.store.settle(now)
            self._outer = fake.store.begin()
        except BaseException:
            fake.lock.release()
            raise
        return now

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._outer:
                if exc_type is None:
                    self._fake.store.commit()
                else:
                    self._fake.store.rollback()
        finally:
            self._fake.lock.release()
