"""The control plane: `/_fake/...` over HTTP and the `FakeRancher` methods behind it.

Most tests take the `driver` fixture and run twice: "inprocess" (the `fake_rancher` fixture,
`requests` against its URL, controls through the Python API) and "live" (the
`fake_rancher_server` fixture, everything over HTTP, controls through `/_fake`). Tests that
call `/_fake` directly do so in both modes, since `mock_rancher` serves it too.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gdapi  # type: ignore[import-untyped]
import pytest
import requests
from cattle_shims import cattle_client, close_client
from freezegun import freeze_time

from fakerancher import ApiError, FakeRancher, mock_rancher

T0 = "2024-01-01T00:00:00Z"
T0_EPOCH = 1704067200
TIMEOUT = 10.0
MASK = "********"
KEEP: Any = object()  # reset() without a seed argument

CONTROL_ROUTES = {
    "/_fake",
    "/_fake/reset",
    "/_fake/state",
    "/_fake/clock",
    "/_fake/transitions",
    "/_fake/transitions/advance",
    "/_fake/faults",
    "/_fake/calls",
    "/_fake/auth",
    "/_fake/secrets/<id>",
    "/_fake/summary",
}
CALL_FIELDS = {
    "method",
    "path",
    "query",
    "status",
    "type",
    "id",
    "action",
    "duration",
    "body",
    "at",
}


class Driver:
    """One fake as a test sees it: HTTP for the API in both modes; the controls through the
    Python API in process ("inprocess") or through `/_fake` over HTTP ("live")."""

    def __init__(self, mode: str, fake: FakeRancher) -> None:
        self.mode = mode
        self.url = fake.url
        # The live mode must not touch the Python object: it stands for another process.
        self._fake = fake if mode == "inprocess" else None
        self.session = requests.Session()

    @property
    def fake(self) -> FakeRancher:
        assert self._fake is not None, "the live mode talks HTTP only"
        return self._fake

    # -- HTTP ---------------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        url = path if path.startswith("http") else f"{self.url}{path}"
        return self.session.request(method, url, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def control(self, method: str, route: str, body: Any = None) -> Any:
        """A `/_fake` call that must succeed; its JSON answer."""
        response = self.request(method, f"/_fake{route}", json=body)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        return response.json()

    # -- controls -----------------------------------------------------------------------------
    @property
    def python(self) -> bool:
        return self._fake is not None

    def reset(self, seed: int | None = KEEP) -> None:
        if self.python:
            if seed is KEEP:
                self.fake.reset()
            else:
                self.fake.reset(seed=seed)
        else:
            answer = self.control("POST", "/reset", None if seed is KEEP else {"seed": seed})
            assert answer["reset"] is True

    def export_state(self) -> dict[str, Any]:
        if self.python:
            # What a state file holds: the document through JSON.
            doc: dict[str, Any] = json.loads(json.dumps(self.fake.export_state()))
            return doc
        state: dict[str, Any] = self.control("GET", "/state")
        return state

    def import_state(self, doc: Any) -> str | None:
        """None when the document is accepted, else the problem the 400 names."""
        if self.python:
            try:
                self.fake.import_state(doc)
            except ApiError as error:
                assert error.status == 400
                assert error.message
                return error.message
            return None
        response = self.put("/_fake/state", json=doc)
        if response.status_code == 200:
            assert response.json() == self.export_state()
            return None
        assert response.status_code == 400, response.text
        body = response.json()
        assert (body["type"], body["status"]) == ("error", 400)
        message: str = body["message"]
        return message

    def clock(self) -> dict[str, Any]:
        if self.python:
            return self.fake.clock.document()
        doc: dict[str, Any] = self.control("GET", "/clock")
        return doc

    def freeze(self, at: str | None = None) -> dict[str, Any]:
        if self.python:
            self.fake.clock.freeze(at)
            return self.fake.clock.document()
        doc: dict[str, Any] = self.control("POST", "/clock", {"freeze": at})
        return doc

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        if self.python:
            self.fake.clock.advance(seconds)
            return self.fake.clock.document()
        doc: dict[str, Any] = self.control("POST", "/clock", {"advance": seconds})
        return doc

    def unfreeze(self) -> dict[str, Any]:
        if self.python:
            self.fake.clock.unfreeze()
            return self.fake.clock.document()
        doc: dict[str, Any] = self.control("POST", "/clock", {"unfreeze": True})
        return doc

    def transition(self, mode: str, **rule: Any) -> None:
        if self.python:
            self.fake.transitions.set(mode, **rule)
        else:
            self.control("POST", "/transitions", {"mode": mode, **rule})

    def transitions(self) -> dict[str, Any]:
        if self.python:
            return self.fake.transitions.document()
        doc: dict[str, Any] = self.control("GET", "/transitions")
        return doc

    def clear_transitions(self) -> None:
        if self.python:
            self.fake.transitions.clear()
        else:
            self.control("DELETE", "/transitions")

    def purge_after(self, seconds: float | None) -> None:
        if self.python:
            self.fake.transitions.purge_after = seconds
        else:
            self.control("POST", "/transitions", {"purgeAfter": seconds})

    def advance(self, resource_id: str | None = None) -> int:
        if self.python:
            return self.fake.transitions.advance(resource_id)
        body = None if resource_id is None else {"id": resource_id}
        advanced: int = self.control("POST", "/transitions/advance", body)["advanced"]
        return advanced

    def fault(self, **rule: Any) -> None:
        if self.python:
            self.fake.faults.add(**rule)
        else:
            self.control("POST", "/faults", rule)

    def faults(self) -> list[dict[str, Any]]:
        if self.python:
            return self.fake.faults.document()
        rules: list[dict[str, Any]] = self.control("GET", "/faults")["rules"]
        return rules

    def clear_faults(self) -> None:
        if self.python:
            self.fake.faults.clear()
        else:
            self.control("DELETE", "/faults")

    def calls(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        if self.python:
            return [call.document() for call in self.fake.calls.matching(method, path)]
        query = {k: v for k, v in (("method", method), ("path", path)) if v is not None}
        response = self.get("/_fake/calls", params=query)
        assert response.status_code == 200, response.text
        calls: list[dict[str, Any]] = response.json()["calls"]
        return calls

    def clear_calls(self) -> None:
        if self.python:
            self.fake.calls.clear()
        else:
            self.control("DELETE", "/calls")


@pytest.fixture(params=["inprocess", "live"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    fixture = "fake_rancher" if request.param == "inprocess" else "fake_rancher_server"
    fake: FakeRancher = request.getfixturevalue(fixture)
    driver = Driver(request.param, fake)
    try:
        yield driver
    finally:
        driver.session.close()


# -- resources, through HTTP ----------------------------------------------------------------


def created(d: Driver, collection: str, body: dict[str, Any]) -> dict[str, Any]:
    response = d.post(f"/v1/{collection}", json=body)
    assert response.status_code == 201, response.text
    doc: dict[str, Any] = response.json()
    return doc


def read(d: Driver, doc: dict[str, Any]) -> dict[str, Any]:
    response = d.get(doc["links"]["self"])
    assert response.status_code == 200, response.text
    again: dict[str, Any] = response.json()
    return again


def act(d: Driver, doc: dict[str, Any], name: str) -> dict[str, Any]:
    response = d.post(doc["links"]["self"], params={"action": name})
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def registry(d: Driver, address: str = "quay.io") -> dict[str, Any]:
    """A registry, read back once it is active (default policy)."""
    doc = read(d, created(d, "registries", {"serverAddress": address}))
    assert doc["state"] == "active"
    return doc


def credential(d: Driver, registry_doc: dict[str, Any]) -> dict[str, Any]:
    body = {
        "registryId": registry_doc["id"],
        "email": "ci@example.com",
        "publicValue": "robot",
        "secretValue": "hunter2",
    }
    doc = read(d, created(d, "registrycredentials", body))
    assert doc["state"] == "active"
    return doc


def states(d: Driver, *docs: dict[str, Any]) -> list[str]:
    return [read(d, doc)["state"] for doc in docs]


def clock_document(epoch: int, *, frozen: bool) -> dict[str, Any]:
    """What `GET /_fake/clock` shows at a whole second."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))
    return {"now": now, "nowTS": epoch * 1000, "frozen": frozen}


def answer_bytes(response: requests.Response) -> bytes:
    """Status, headers (but the server's Date) and body, as bytes."""
    headers = sorted(
        (k.lower(), v) for k, v in response.headers.items() if k.lower() not in ("date", "server")
    )
    return f"{response.status_code} {headers}\n".encode() + response.content


# -- index and discovery --------------------------------------------------------------------


def test_index_lists_every_control_route_with_a_description(driver: Driver) -> None:
    for path in ("/_fake", "/_fake/"):
        response = driver.get(path)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/json")
        routes = response.json()["routes"]
        assert {route["path"] for route in routes} == CONTROL_ROUTES
        for route in routes:
            description = route["description"]
            assert isinstance(description, str) and description.strip()
            assert "\n" not in description
            assert route["methods"] and set(route["methods"]) <= {"GET", "POST", "PUT", "DELETE"}
            assert route["url"] == f"{driver.url}{route['path']}"
    methods = {
        route["path"]: set(route["methods"]) for route in driver.get("/_fake").json()["routes"]
    }
    assert methods["/_fake/state"] == {"GET", "PUT"}
    assert methods["/_fake/transitions"] == {"GET", "POST", "DELETE"}


def test_control_routes_never_appear_in_discovery_or_schemas(driver: Driver) -> None:
    driver.transition("delay", type="registry", delay=1)
    driver.fault(path="/v1/nothing", status=500)
    pages = ["/", "/v1", "/v1/schemas", "/v1/projects", "/v1/projects/1a5"]
    schemas = driver.get("/v1/schemas").json()["data"]
    assert schemas
    pages += [schema["links"]["self"] for schema in schemas]
    for page in pages:
        response = driver.get(page)
        assert response.status_code == 200, page
        assert "_fake" not in response.text, page
        assert "fakerancher" not in response.text.lower(), page
        assert "_fake" not in response.headers.get("X-API-Schemas", ""), page
    assert {schema["id"] for schema in schemas}.isdisjoint({"_fake", "fake", "control"})
    for missing in ("/v1/_fake", "/v1/schemas/_fake", "/v1/projects/1a5/_fake"):
        response = driver.get(missing)
        assert response.status_code == 404, missing
        assert response.json()["type"] == "error"


# -- reset and seed -------------------------------------------------------------------------


def test_reset_goes_back_to_the_initial_state(driver: Driver) -> None:
    driver.freeze(T0)
    reg = registry(driver)
    credential(driver, reg)
    driver.transition("manual", process="deactivate")
    driver.purge_after(30)
    driver.fault(path="/v1/nothing", status=500)
    assert driver.calls()

    driver.reset()

    assert driver.calls() == []
    assert driver.transitions()["rules"] == []
    assert driver.transitions()["purgeAfter"] is None
    assert driver.faults() == []
    assert driver.clock()["frozen"] is False
    # Cattle's seeded accounts (admin 1a1, system, superadmin, token), the Default project 1a5
    # owned by the admin (member 1pm1), and the public project templates.
    assert [r["id"] for r in driver.export_state()["records"]] == [
        "1a1",
        "1a2",
        "1a3",
        "1a4",
        "1a5",
        "1pm1",
        "1pt1",
        "1pt2",
        "1pt3",
        "1pt4",
        "1pt5",
    ]
    projects = driver.get("/v1/projects").json()["data"]
    assert [(p["id"], p["name"], p["state"]) for p in projects] == [("1a5", "Default", "active")]
    assert driver.get("/v1/registries").json()["data"] == []
    assert driver.get("/v1/registrycredentials").json()["data"] == []
    assert driver.get(reg["links"]["self"]).status_code == 404
    # Ids start over, and the old manual rule is gone: a deactivation completes.
    again = registry(driver, "docker.io")
    assert again["id"] == reg["id"] == "1sp1"
    act(driver, again, "deactivate")
    assert read(driver, again)["state"] == "inactive"


def test_reset_over_http_takes_an_optional_seed(driver: Driver) -> None:
    def first_registry() -> dict[str, Any]:
        driver.control("POST", "/clock", {"freeze": T0})
        doc = created(driver, "registries", {"serverAddress": "quay.io"})
        assert doc["id"] == "1sp1"
        return doc

    assert driver.control("POST", "/reset", {"seed": 42}) == {"reset": True, "seed": 42}
    seeded = first_registry()
    # No body keeps the seed; an explicit null drops it.
    assert driver.control("POST", "/reset") == {"reset": True, "seed": 42}
    assert first_registry() == seeded
    assert driver.control("POST", "/reset", {"seed": 43})["seed"] == 43
    assert first_registry()["uuid"] != seeded["uuid"]
    assert driver.control("POST", "/reset", {"seed": None}) == {"reset": True, "seed": None}
    assert first_registry()["uuid"] != seeded["uuid"]


@pytest.mark.fake_rancher(seed=42)
def test_a_seed_at_construction_matches_a_reset_with_that_seed(driver: Driver) -> None:
    def scenario() -> list[bytes]:
        driver.freeze(T0)
        answers = [
            driver.post("/v1/registries", json={"serverAddress": "quay.io"}),
            driver.post("/v1/registrationtokens", json={}),
        ]
        answers.append(driver.get(answers[1].json()["links"]["self"]))
        token = answers[2].json()
        assert token["state"] == "active"
        assert token["token"]  # public key, year marker and a signature by the secret
        return [answer_bytes(a) for a in answers]

    from_construction = scenario()
    driver.reset(seed=42)
    assert scenario() == from_construction
    driver.reset(seed=7)
    assert scenario() != from_construction


def seeded_scenario(d: Driver, seed: int) -> list[bytes]:
    """A scenario touching ids, uuids, tokens, generated secrets and error ids."""
    d.reset(seed=seed)
    d.freeze(T0)
    answers: list[requests.Response] = []
    reg = d.post("/v1/registries", json={"serverAddress": "quay.io"})
    answers += [reg, d.get(reg.json()["links"]["self"])]
    body = {"registryId": reg.json()["id"], "email": "ci@example.com", "secretValue": "hunter2"}
    answers.append(d.post("/v1/registrycredentials", json=body))
    token = d.post("/v1/registrationtokens", json={"name": "agents"})
    answers.append(token)
    d.advance_clock(5)
    answers.append(d.get(token.json()["links"]["self"]))
    answers.append(d.post(reg.json()["links"]["self"], params={"action": "deactivate"}))
    answers.append(d.get("/v1/registries"))
    answers.append(d.get("/v1/registrycredentials"))
    answers.append(d.get("/v1/registrationtokens"))
    answers.append(d.get("/v1/registries/1sp99"))  # 404: an error document with an id
    answers.append(d.post("/v1/registries", json={}))  # 422 MissingRequired
    assert [a.status_code for a in answers] == [
        201,
        200,
        201,
        201,
        200,
        202,
        200,
        200,
        200,
        404,
        422,
    ]
    return [answer_bytes(a) for a in answers]


def test_a_seeded_scenario_gives_byte_identical_responses(driver: Driver) -> None:
    first = seeded_scenario(driver, 42)
    second = seeded_scenario(driver, 42)
    assert second == first
    # The seed is what makes them repeat: another seed gives other uuids and tokens.
    other = seeded_scenario(driver, 43)
    assert other != first
    assert other[0] != first[0] and other[3] != first[3]


def test_the_default_project_is_identical_across_seeded_runs(fake_rancher: FakeRancher) -> None:
    answers = []
    for wall_clock in ("2024-03-01 10:00:00", "2024-03-01 10:00:01"):
        with freeze_time(wall_clock):
            fake_rancher.reset(seed=42)
            fake_rancher.clock.freeze(T0)
            answers.append(answer_bytes(requests.get(f"{fake_rancher.url}/v1/projects/1a5")))
    assert answers[0] == answers[1]


# -- snapshots ------------------------------------------------------------------------------


def test_state_round_trip_keeps_resources_and_pending_transitions(driver: Driver) -> None:
    driver.freeze(T0)
    a, b = registry(driver, "a.io"), registry(driver, "b.io")
    cred = credential(driver, a)
    driver.transition("manual", id=a["id"], process="deactivate")
    driver.transition("reads", id=b["id"], reads=2)
    driver.transition("delay", type="registryCredential", delay=10)
    driver.purge_after(60)
    for doc in (a, b, cred):
        assert act(driver, doc, "deactivate")["state"] == "deactivating"
    assert read(driver, b)["state"] == "deactivating"  # the first of its two reads

    saved = driver.export_state()
    assert (saved["format"], saved["version"]) == ("fakerancher-state", 2)
    records = {r["id"]: r for r in saved["records"]}
    assert set(records) - {f"1pt{n}" for n in range(1, 6)} == {
        "1a1",
        "1a2",
        "1a3",
        "1a4",
        "1a5",
        "1pm1",
        "1sp1",
        "1sp2",
        "1c1",
    }
    assert [records[i]["state"] for i in ("1sp1", "1sp2", "1c1")] == ["deactivating"] * 3
    assert records["1sp1"]["pending"]["processes"] == ["deactivate"]
    assert records["1sp1"]["pending"]["due"] is None  # manual
    assert records["1sp2"]["pending"]["readsLeft"] == 1
    assert records["1c1"]["pending"]["due"] == T0_EPOCH + 10
    assert records["1a5"]["pending"] is None
    assert saved["sequences"] == {
        "credential": 2,
        "storagePool": 3,
        "account": 6,
        "projectMember": 2,
        "projectTemplate": 6,
        "setting": 1,
        "zone": 1,
    }
    assert saved["clock"]["frozenAt"] == T0_EPOCH
    assert saved["transitions"]["purgeAfter"] == 60
    assert len(saved["transitions"]["rules"]) == 3
    assert "hunter2" not in json.dumps(saved)

    driver.reset()
    assert driver.get("/v1/registries").json()["data"] == []
    assert driver.import_state(saved) is None
    assert driver.export_state() == saved  # exactly
    assert driver.clock() == clock_document(T0_EPOCH, frozen=True)

    # The pending transitions go on where they stood.
    assert read(driver, a)["state"] == "deactivating"
    assert driver.advance(a["id"]) == 1
    assert read(driver, a)["state"] == "inactive"
    assert read(driver, b)["state"] == "deactivating"  # the second read
    assert read(driver, b)["state"] == "inactive"
    assert read(driver, cred)["state"] == "deactivating"
    driver.advance_clock(10)
    assert read(driver, cred)["state"] == "inactive"
    # The id sequences too.
    assert created(driver, "registries", {"serverAddress": "c.io"})["id"] == "1sp3"


def test_a_restored_seeded_fake_goes_on_exactly_as_the_original(driver: Driver) -> None:
    def continuation() -> list[bytes]:
        answers = [
            driver.post("/v1/registries", json={"serverAddress": "next.io"}),
            driver.post("/v1/registrationtokens", json={}),
            driver.get("/v1/registries"),
        ]
        return [answer_bytes(a) for a in answers]

    driver.reset(seed=5)
    driver.freeze(T0)
    registry(driver, "first.io")
    saved = driver.export_state()
    original = continuation()
    assert driver.import_state(saved) is None
    assert continuation() == original
    uuids = [r["uuid"] for r in driver.export_state()["records"]]
    assert len(uuids) == len(set(uuids)) == 14  # 11 seeded rows, 2 registries, a token


def _record_index(doc: dict[str, Any], record_id: str) -> int:
    return next(i for i, r in enumerate(doc["records"]) if r["id"] == record_id)


def _with_record(record_id: str, **changes: Any) -> Callable[[dict[str, Any]], Any]:
    def change(doc: dict[str, Any]) -> Any:
        doc["records"][_record_index(doc, record_id)].update(changes)
        return doc

    return change


def _duplicate(doc: dict[str, Any]) -> Any:
    doc["records"].append(copy.deepcopy(doc["records"][_record_index(doc, "1sp1")]))
    return doc


def _without_project(doc: dict[str, Any]) -> Any:
    del doc["records"][_record_index(doc, "1a5")]
    return doc


def _pending_process(doc: dict[str, Any]) -> Any:
    doc["records"][_record_index(doc, "1sp1")]["pending"]["processes"] = ["explode"]
    return doc


def _rule_mode(doc: dict[str, Any]) -> Any:
    doc["transitions"]["rules"][0]["mode"] = "sometimes"
    return doc


UNFIT_STATES: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "a list": (lambda doc: [doc], "JSON object"),
    "a string": (lambda doc: "fakerancher-state", "JSON object"),
    "null": (lambda doc: None, "JSON object"),
    "another format": (lambda doc: {**doc, "format": "rancher-backup"}, '"format"'),
    "another version": (lambda doc: {**doc, "version": 3}, "version 3"),
    "no version": (lambda doc: {k: v for k, v in doc.items() if k != "version"}, "version"),
    "a bad id": (_with_record("1sp1", id="1sp-one"), "'1sp-one'"),
    "an id of another type": (_with_record("1sp1", id="1c7"), "1c7"),
    "an unknown state": (_with_record("1sp1", state="sleeping"), "'sleeping'"),
    "an unknown type": (_with_record("1sp1", type="host"), "'host'"),
    "duplicate ids": (_duplicate, "duplicate id 1sp1"),
    "no Default project": (_without_project, "1a5"),
    "an unknown pending process": (_pending_process, "pending.processes"),
    "records not a list": (lambda doc: {**doc, "records": {}}, "records"),
    "a sequence behind its ids": (
        lambda doc: {**doc, "sequences": {**doc["sequences"], "storagePool": 1}},
        "sequences.storagePool",
    ),
    "an unknown rule mode": (_rule_mode, "transitions.rules[0]"),
    "a clock that is not a number": (
        lambda doc: {**doc, "clock": {"frozenAt": "noon", "offset": 0}},
        "clock.frozenAt",
    ),
    "a broken random state": (lambda doc: {**doc, "random": "AAAA"}, "random"),
}


@pytest.mark.parametrize("case", list(UNFIT_STATES))
def test_an_unfit_state_document_is_rejected_and_the_state_kept(driver: Driver, case: str) -> None:
    driver.freeze(T0)
    reg = registry(driver)
    driver.transition("manual", process="deactivate")
    act(driver, reg, "deactivate")
    before = driver.export_state()
    make_unfit, named = UNFIT_STATES[case]

    problem = driver.import_state(make_unfit(copy.deepcopy(before)))

    assert problem is not None and named in problem, problem
    if case in ("a bad id", "an unknown state"):
        assert f"records[{_record_index(before, '1sp1')}]" in problem
    if case == "duplicate ids":  # the copy, appended last
        assert f"records[{len(before['records'])}]" in problem
    assert driver.export_state() == before
    assert read(driver, reg)["state"] == "deactivating"
    assert driver.advance(reg["id"]) == 1
    assert read(driver, reg)["state"] == "inactive"


def test_put_state_answers_with_the_restored_state(driver: Driver) -> None:
    driver.control("POST", "/clock", {"freeze": T0})
    registry(driver)
    saved = driver.control("GET", "/state")
    registry(driver, "docker.io")
    assert driver.control("PUT", "/state", saved) == saved
    addresses = [r["serverAddress"] for r in driver.get("/v1/registries").json()["data"]]
    assert addresses == ["quay.io"]


# -- clock ----------------------------------------------------------------------------------


def test_clock_freeze_advance_and_unfreeze_move_a_ten_second_transition(driver: Driver) -> None:
    driver.transition("delay", process="deactivate", delay=10)
    frozen = driver.freeze(T0)
    assert frozen == {"now": "2024-01-01T00:00:00.000Z", "nowTS": T0_EPOCH * 1000, "frozen": True}
    assert frozen == clock_document(T0_EPOCH, frozen=True)
    assert driver.clock() == frozen
    assert driver.control("GET", "/clock") == frozen
    reg = registry(driver)
    assert reg["created"] == "2024-01-01T00:00:00Z"

    act(driver, reg, "deactivate")
    assert driver.advance_clock(9)["now"] == "2024-01-01T00:00:09.000Z"
    assert read(driver, reg)["state"] == "deactivating"
    driver.advance_clock(1)
    assert read(driver, reg)["state"] == "inactive"

    # Unfrozen, the clock runs on from where it stood; advancing still moves transitions.
    running = driver.unfreeze()
    assert running["frozen"] is False
    assert (T0_EPOCH + 10) * 1000 <= running["nowTS"] < (T0_EPOCH + 10 + 60) * 1000
    act(driver, reg, "activate")
    assert read(driver, reg)["state"] == "active"
    act(driver, reg, "deactivate")
    assert read(driver, reg)["state"] == "deactivating"
    moved = driver.advance_clock(30)
    assert moved["frozen"] is False
    assert moved["nowTS"] >= running["nowTS"] + 30_000
    assert read(driver, reg)["state"] == "inactive"


def test_clock_accepts_an_epoch_and_a_freeze_false(driver: Driver) -> None:
    answer = driver.control("POST", "/clock", {"freeze": T0_EPOCH + 60})
    assert answer == clock_document(T0_EPOCH + 60, frozen=True)
    assert answer["now"] == "2024-01-01T00:01:00.000Z"
    assert driver.control("POST", "/clock", {"freeze": False})["frozen"] is False


def test_freezegun_drives_a_ten_second_transition_in_process(fake_rancher: FakeRancher) -> None:
    url = fake_rancher.url
    fake_rancher.transitions.set("delay", process="deactivate", delay=10)
    with freeze_time("2024-01-01 00:00:00") as frozen:
        reg = requests.post(f"{url}/v1/registries", json={"serverAddress": "quay.io"}).json()
        assert reg["created"] == "2024-01-01T00:00:00Z"
        self_url = reg["links"]["self"]
        assert requests.get(self_url).json()["state"] == "active"
        requests.post(self_url, params={"action": "deactivate"})
        frozen.tick(9)
        assert requests.get(self_url).json()["state"] == "deactivating"
        frozen.tick(1)
        assert requests.get(self_url).json()["state"] == "inactive"

        requests.post(self_url, params={"action": "activate"})
        assert requests.get(self_url).json()["state"] == "active"
        requests.post(self_url, params={"action": "deactivate"})  # at 00:00:10
        frozen.move_to("2024-01-01 00:00:19")
        assert requests.get(self_url).json()["state"] == "deactivating"
        frozen.move_to("2024-01-01 00:00:20")
        assert requests.get(self_url).json()["state"] == "inactive"
        clock = requests.get(f"{url}/_fake/clock").json()
        assert clock == clock_document(T0_EPOCH + 20, frozen=False)

        # Once the fake's own clock is frozen, freezegun no longer moves it.
        requests.post(self_url, params={"action": "activate"})
        requests.get(self_url)
        requests.post(self_url, params={"action": "deactivate"})
        fake_rancher.clock.freeze()
        frozen.tick(3600)
        assert fake_rancher.get("registry", reg["id"]) is not None
        assert requests.get(self_url).json()["state"] == "deactivating"
        fake_rancher.clock.unfreeze()
        frozen.tick(10)
        assert requests.get(self_url).json()["state"] == "inactive"


# -- transitions ----------------------------------------------------------------------------


def test_immediate_policy_answers_with_the_resting_state(driver: Driver) -> None:
    driver.transition("immediate", type="registry")
    answer = created(driver, "registries", {"serverAddress": "quay.io"})
    assert (answer["state"], answer["transitioning"]) == ("active", "no")
    deactivated = act(driver, answer, "deactivate")
    assert (deactivated["state"], deactivated["transitioning"]) == ("inactive", "no")
    rules = driver.transitions()["rules"]
    assert [(r["type"], r["mode"]) for r in rules] == [("registry", "immediate")]


def test_manual_policy_waits_for_advance(driver: Driver) -> None:
    driver.freeze(T0)
    a, b = registry(driver, "a.io"), registry(driver, "b.io")
    driver.transition("manual", process="deactivate")
    act(driver, a, "deactivate")
    act(driver, b, "deactivate")
    driver.advance_clock(3600)
    assert states(driver, a, b) == ["deactivating", "deactivating"]
    assert read(driver, a)["transitioning"] == "yes"

    assert driver.advance(a["id"]) == 1
    assert states(driver, a, b) == ["inactive", "deactivating"]
    assert driver.advance() == 1
    assert states(driver, a, b) == ["inactive", "inactive"]
    assert driver.advance() == 0


def test_reads_policy_completes_after_n_reads(driver: Driver) -> None:
    reg = registry(driver)
    driver.transition("reads", process="deactivate", reads=3)
    act(driver, reg, "deactivate")
    # Listing does not count: only reads of that resource by id.
    for _ in range(5):
        listed = driver.get("/v1/registries").json()["data"]
        assert listed[0]["state"] == "deactivating"
    assert states(driver, reg, reg, reg) == ["deactivating"] * 3
    assert read(driver, reg)["state"] == "inactive"


def test_fail_policy_ends_in_error_with_its_message(driver: Driver) -> None:
    driver.freeze(T0)
    reg = registry(driver)
    driver.transition("fail", type="registry", process="deactivate", message="disk full", delay=5)
    answer = act(driver, reg, "deactivate")
    assert (answer["state"], answer["transitioning"]) == ("deactivating", "yes")
    assert read(driver, reg)["transitioning"] == "yes"
    driver.advance_clock(5)
    failed = read(driver, reg)
    assert (failed["state"], failed["transitioning"]) == ("deactivating", "error")
    assert failed["transitioningMessage"] == "disk full"
    driver.advance_clock(3600)
    assert read(driver, reg)["transitioning"] == "error"


def test_fail_policy_makes_cattle_wait_success_raise(driver: Driver) -> None:
    driver.transition("fail", type="registry", process="create", message="registry unreachable")
    client = cattle_client(driver.url)
    try:
        registering = client.create_registry(serverAddress="quay.io")
        with pytest.raises(gdapi.ClientApiError, match="registry unreachable"):
            client.wait_success(registering, timeout=5)
        # Without the rule the same client's wait succeeds.
        driver.clear_transitions()
        other = client.wait_success(client.create_registry(serverAddress="docker.io"), timeout=5)
        assert other.state == "active"
    finally:
        close_client(client)


def test_the_most_specific_rule_wins(driver: Driver) -> None:
    driver.freeze(T0)
    a, b = registry(driver, "a.io"), registry(driver, "b.io")
    cred = credential(driver, a)
    # Added from the most specific to the least: the tie-break on the latest rule cannot be
    # what decides.
    driver.transition("fail", id=a["id"], message="only a fails")
    driver.transition("immediate", type="registry", process="deactivate")
    driver.transition("manual", process="activate")
    driver.transition("delay", type="registry", delay=30)

    # id beats type + process.
    act(driver, a, "deactivate")
    failed = read(driver, a)
    assert (failed["transitioning"], failed["transitioningMessage"]) == ("error", "only a fails")
    # type + process beats type.
    assert act(driver, b, "deactivate")["state"] == "inactive"
    # process beats type.
    act(driver, b, "activate")
    driver.advance_clock(3600)
    assert read(driver, b)["state"] == "activating"
    assert driver.advance(b["id"]) == 1
    assert read(driver, b)["state"] == "active"
    # type alone: b's remove takes 30 s.
    act(driver, b, "deactivate")
    assert driver.delete(b["links"]["self"]).json()["state"] == "removing"
    driver.advance_clock(29)
    assert read(driver, b)["state"] == "removing"
    driver.advance_clock(1)
    assert read(driver, b)["state"] == "removed"
    # No rule names credentials' deactivate: the default applies.
    act(driver, cred, "deactivate")
    assert read(driver, cred)["state"] == "inactive"

    assert len(driver.transitions()["rules"]) == 4
    driver.clear_transitions()
    assert driver.transitions()["rules"] == []
    c = registry(driver, "c.io")
    act(driver, c, "deactivate")
    assert read(driver, c)["state"] == "inactive"


def test_a_rule_may_name_its_type_by_plural_or_in_any_case(driver: Driver) -> None:
    reg = registry(driver)
    driver.transition("fail", type="Registries", process="deactivate", message="no")
    assert driver.transitions()["rules"][0]["type"] == "registry"
    act(driver, reg, "deactivate")
    assert read(driver, reg)["transitioning"] == "error"


def test_removed_resources_are_purged_after_purge_after(driver: Driver) -> None:
    driver.freeze(T0)
    kept, purged = registry(driver, "kept.io"), registry(driver, "purged.io")
    assert driver.transitions()["purgeAfter"] is None  # off by default
    act(driver, kept, "deactivate")
    assert driver.delete(kept["links"]["self"]).status_code == 200
    driver.advance_clock(10**6)
    assert read(driver, kept)["state"] == "removed"

    driver.purge_after(60)
    assert driver.transitions()["purgeAfter"] == 60
    act(driver, purged, "deactivate")
    driver.delete(purged["links"]["self"])
    assert read(driver, purged)["state"] == "removed"
    driver.advance_clock(59)
    assert read(driver, purged)["state"] == "removed"
    driver.advance_clock(1)
    assert read(driver, purged)["state"] == "purged"
    assert read(driver, kept)["state"] == "removed"
    driver.purge_after(None)
    assert driver.transitions()["purgeAfter"] is None


# -- faults ---------------------------------------------------------------------------------


def test_a_fault_answers_with_its_status_and_a_cattle_error_for_n_times(driver: Driver) -> None:
    driver.fault(
        method="GET",
        path="/v1/registries",
        status=503,
        code="ServiceUnavailable",
        message="down for maintenance",
        times=2,
    )
    answers = [driver.get("/v1/registries") for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    error = answers[0].json()
    assert answers[0].headers["Content-Type"].startswith("application/json")
    assert {k: error[k] for k in ("type", "baseType", "status", "code", "message")} == {
        "type": "error",
        "baseType": "error",
        "status": 503,
        "code": "ServiceUnavailable",
        "message": "down for maintenance",
    }
    assert isinstance(error["id"], str) and error["id"]
    assert [(r["times"], r["hits"]) for r in driver.faults()] == [(2, 2)]
    over_http = driver.control("GET", "/faults")["rules"]
    assert [(r["status"], r["hits"]) for r in over_http] == [(503, 2)]

    # Without a code the status's standard text; matching by type reaches project paths too.
    driver.fault(type="registries", status=500)
    assert driver.get("/v1/registrycredentials").status_code == 200
    scoped = driver.get("/v1/projects/1a5/registries")
    assert (scoped.status_code, scoped.json()["code"]) == (500, "Internal Server Error")
    assert [r["hits"] for r in driver.faults()] == [2, 1]
    driver.clear_faults()
    assert driver.faults() == []
    assert driver.get("/v1/registries").status_code == 200


def test_a_faulted_request_changes_nothing(driver: Driver) -> None:
    driver.freeze(T0)
    reg = registry(driver)
    before = driver.export_state()
    driver.fault(type="registry", action="deactivate", status=409, code="Conflict", message="busy")
    driver.fault(method="POST", path="/v1/registries", status=500, times=1)
    driver.fault(method="PUT", path="/v1/registries/*", drop=True)

    refused = driver.post(reg["links"]["self"], params={"action": "deactivate"})
    assert (refused.status_code, refused.json()["message"]) == (409, "busy")
    assert driver.post("/v1/registries", json={"serverAddress": "b.io"}).status_code == 500
    with pytest.raises(requests.ConnectionError):
        driver.put(reg["links"]["self"], json={"name": "renamed"})

    assert driver.export_state() == before
    again = read(driver, reg)
    assert (again["state"], again["name"]) == ("active", None)
    assert [r["hits"] for r in driver.faults()] == [1, 1, 1]
    # Other actions pass, and the refused create used up no id.
    assert created(driver, "registries", {"serverAddress": "b.io"})["id"] == "1sp2"
    assert act(driver, reg, "update")["state"] == "updating-active"


def test_a_dropped_connection_raises_connection_error_and_can_recover(driver: Driver) -> None:
    driver.fault(method="POST", path="/v1/registries", drop=True, times=1)
    with pytest.raises(requests.ConnectionError):
        driver.post("/v1/registries", json={"serverAddress": "quay.io"})
    assert driver.get("/v1/registries").json()["data"] == []
    assert created(driver, "registries", {"serverAddress": "quay.io"})["id"] == "1sp1"
    assert [r["hits"] for r in driver.faults()] == [1]


def test_fault_latency_delays_the_answer(driver: Driver) -> None:
    driver.fault(path="/v1", latency=0.05)
    started = time.perf_counter()
    response = driver.get("/v1")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.json()["id"] == "v1"
    assert elapsed >= 0.05
    [call] = driver.calls("GET", "/v1")
    assert call["duration"] >= 0.05 and call["status"] == 200
    assert [r["hits"] for r in driver.faults()] == [1]


@pytest.mark.fake_rancher(seed=7)
def test_fault_probability_draws_from_the_seeded_random_source(driver: Driver) -> None:
    def pattern() -> list[int]:
        driver.fault(method="GET", path="/v1/registries", status=500, probability=0.5)
        statuses = [driver.get("/v1/registries").status_code for _ in range(24)]
        assert driver.faults()[0]["hits"] == statuses.count(500)
        return statuses

    first = pattern()
    assert 200 in first and 500 in first
    driver.reset(seed=7)
    assert pattern() == first
    driver.reset(seed=8)
    assert pattern() != first


# -- call log -------------------------------------------------------------------------------


def test_the_call_log_records_each_api_call(driver: Driver) -> None:
    reg = created(driver, "registries", {"serverAddress": "quay.io"})
    read(driver, reg)
    act(driver, reg, "deactivate")
    driver.get("/v1/registries", params={"name": "x", "limit": "5"})
    driver.get("/v1/nowhere")
    driver.get("/_fake/state")  # control routes are not logged
    driver.get("/_fake/calls")

    calls = driver.calls()
    assert all(set(call) == CALL_FIELDS for call in calls)
    summary = [
        (c["method"], c["path"], c["status"], c["type"], c["id"], c["action"]) for c in calls
    ]
    assert summary == [
        ("POST", "/v1/registries", 201, "registry", None, None),
        ("GET", "/v1/registries/1sp1", 200, "registry", "1sp1", None),
        ("POST", "/v1/registries/1sp1", 202, "registry", "1sp1", "deactivate"),
        ("GET", "/v1/registries", 200, "registry", None, None),
        ("GET", "/v1/nowhere", 404, None, None, None),
    ]
    assert [c["query"] for c in calls] == [
        {},
        {},
        {"action": "deactivate"},
        {"name": "x", "limit": "5"},
        {},
    ]
    assert [c["body"] for c in calls] == [{"serverAddress": "quay.io"}, None, None, None, None]
    assert all(isinstance(c["duration"], float) and c["duration"] >= 0 for c in calls)

    # Filters over HTTP, in both modes.
    only_gets = driver.get("/_fake/calls", params={"method": "get"}).json()["calls"]
    assert [c["path"] for c in only_gets] == [
        "/v1/registries/1sp1",
        "/v1/registries",
        "/v1/nowhere",
    ]
    by_glob = driver.get("/_fake/calls", params={"path": "/v1/registries/*"}).json()["calls"]
    assert [c["method"] for c in by_glob] == ["GET", "POST"]
    both = driver.get("/_fake/calls", params={"method": "POST", "path": "/v1/registries"})
    assert len(both.json()["calls"]) == 1

    driver.clear_calls()
    assert driver.calls() == []
    assert driver.control("DELETE", "/calls")["calls"] == []


def test_secrets_are_masked_in_logged_bodies_and_queries(driver: Driver) -> None:
    reg = registry(driver)
    body = {
        "registryId": reg["id"],
        "publicValue": "robot",
        "secretValue": "hunter2",
        "email": "ci@example.com",
        "labels": {"password": "nested-secret", "team": "ci"},
    }
    as_json = driver.post(
        "/v1/registrycredentials", params={"secretValue": "in-the-query"}, json=body
    )
    assert as_json.status_code == 201
    form = {"registryId": reg["id"], "email": "b@example.com", "secretValue": "form-secret"}
    assert driver.post("/v1/registrycredentials", data=form).status_code == 201

    first, second = driver.calls("POST", "/v1/registrycredentials")
    assert first["query"] == {"secretValue": MASK}
    assert first["body"] == body | {"secretValue": MASK, "labels": {"password": MASK, "team": "ci"}}
    assert second["body"] == form | {"secretValue": MASK}
    log = driver.get("/_fake/calls").text
    for secret in ("hunter2", "in-the-query", "nested-secret", "form-secret"):
        assert secret not in log


def test_an_unparsable_body_is_logged_as_a_note_of_its_size(driver: Driver) -> None:
    raw = b'{"serverAddress": "quay.io", "secretValue": "hunter2",'
    raw += b" " * (57 - len(raw))
    assert len(raw) == 57
    response = driver.post("/v1/registries", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    [call] = driver.calls("POST", "/v1/registries")
    assert (call["status"], call["body"]) == (400, "<unparsable, 57 bytes>")
    assert "hunter2" not in driver.get("/_fake/calls").text


@pytest.mark.fake_rancher(call_log_limit=3)
@pytest.mark.parametrize(
    "driver",
    ["inprocess", "live"],
    indirect=True,
)
def test_the_call_log_keeps_only_the_most_recent_calls(driver: Driver) -> None:
    paths = ["/v1", "/v1/registries", "/v1/registrycredentials", "/v1/registrationtokens"]
    paths.append("/v1/projects")
    for path in paths:
        assert driver.get(path).status_code == 200
    assert [c["path"] for c in driver.calls()] == paths[-3:]
    assert driver.get("/_fake/calls").json()["limit"] == 3


def test_call_log_limit_from_python() -> None:
    fake = FakeRancher(call_log_limit=2)
    with mock_rancher(fake=fake):
        for path in ("/v1", "/v1/registries", "/v1/projects"):
            requests.get(f"{fake.url}{path}")
    assert [call.path for call in fake.calls] == ["/v1/registries", "/v1/projects"]
    assert len(fake.calls) == fake.calls.limit == 2


def test_logged_calls_are_immutable_and_their_documents_are_copies() -> None:
    fake = FakeRancher()
    with mock_rancher(fake=fake):
        requests.post(
            f"{fake.url}/v1/registries?x=1",
            json={"serverAddress": "q.io", "labels": {"a": "b"}, "secretValue": "s3"},
        )
    (call,) = fake.calls
    with pytest.raises(AttributeError):
        call.status = 500  # type: ignore[misc]
    document = call.document()
    document["body"]["labels"]["a"] = "changed"
    document["query"]["x"] = "changed"
    assert call.body == {"serverAddress": "q.io", "labels": {"a": "b"}, "secretValue": "********"}
    assert call.query == {"x": "1"}
    assert str(call) == "POST /v1/registries -> 201"
    assert document["at"] == call.at > 0


def test_logged_calls_are_read_by_index_oldest_first() -> None:
    fake = FakeRancher()
    with mock_rancher(fake=fake):
        requests.post(f"{fake.url}/v1/registries", json={"serverAddress": "q.io"})
        requests.get(f"{fake.url}/v1/registries/1sp1?include=credentials")
    first, last = fake.calls[0], fake.calls[-1]
    assert (first.method, first.path, first.query, first.status, first.type, first.id) == (
        "POST",
        "/v1/registries",
        {},  # a call without a query reads as an empty one, by index as in a snapshot
        201,
        "registry",
        None,
    )
    assert (last.method, last.path, last.query, last.id, last.body) == (
        "GET",
        "/v1/registries/1sp1",
        {"include": "credentials"},
        "1sp1",
        None,
    )
    assert list(fake.calls) == [first, last] == fake.calls.snapshot()
    assert fake.calls.snapshot()[0].query == {}
    assert (
        fake.calls[1]._fields
        == first._fields
        == ("method", "path", "query", "status", "type", "id", "action", "duration", "body", "at")
    )
    with pytest.raises(IndexError):
        fake.calls[2]


def test_the_call_log_limit_is_ten_thousand_by_default(driver: Driver) -> None:
    assert driver.get("/_fake/calls").json()["limit"] == 10_000


def test_assert_called_and_assert_not_called(fake_rancher: FakeRancher) -> None:
    url = fake_rancher.url
    with pytest.raises(AssertionError, match="no calls were logged"):
        fake_rancher.assert_called("GET", "/v1/registries")
    requests.post(f"{url}/v1/registries", json={"serverAddress": "quay.io"})
    requests.get(f"{url}/v1/registries/1sp1")
    requests.get(f"{url}/v1/registries/1sp1")
    requests.get(f"{url}/v1/registries")
    requests.get(f"{url}/_fake/calls")

    [post] = fake_rancher.assert_called("POST", "/v1/registries")
    assert (post.status, post.type, post.body) == (201, "registry", {"serverAddress": "quay.io"})
    assert len(fake_rancher.assert_called("get", "/v1/registries/*", times=2)) == 2
    fake_rancher.assert_called("GET", re.compile(r"/v1/registries/1sp\d+"), times=2)
    fake_rancher.assert_called("GET", "/v1/registries/", times=1)  # trailing slash optional
    fake_rancher.assert_not_called("DELETE", "/v1/registries/*")
    fake_rancher.assert_not_called("GET", "/_fake/*")

    with pytest.raises(AssertionError) as missing:
        fake_rancher.assert_called("GET", "/v1/registry")
    message = str(missing.value)
    assert message.startswith("expected GET /v1/registry at least once, saw it 0 time(s)")
    closest = message.split("closest calls:\n", 1)[1].splitlines()
    assert closest[0].strip() == "GET /v1/registries"
    assert {line.strip() for line in closest} >= {"POST /v1/registries", "GET /v1/registries/1sp1"}

    with pytest.raises(AssertionError, match=re.escape("3 time(s), saw it 2 time(s)")):
        fake_rancher.assert_called("GET", "/v1/registries/*", times=3)
    with pytest.raises(AssertionError) as unexpected:
        fake_rancher.assert_not_called("GET", "/v1/registries/*")
    message = str(unexpected.value)
    assert message.startswith("expected no GET /v1/registries/*, saw 2:")
    assert message.count("GET /v1/registries/1sp1 -> 200") == 2


# -- malformed control requests -------------------------------------------------------------

MALFORMED: list[tuple[str, str, bytes | None, int]] = [
    ("POST", "/_fake/reset", b"{not json", 400),
    ("POST", "/_fake/reset", b'{"seed": "42"}', 400),
    ("POST", "/_fake/reset", b'{"seed": 4.2}', 400),
    ("POST", "/_fake/reset", b'{"sead": 42}', 400),
    ("POST", "/_fake/reset", b"[42]", 400),
    ("PUT", "/_fake/state", b"{not json", 400),
    ("PUT", "/_fake/state", b'"a string"', 400),
    ("PUT", "/_fake/state", b"{}", 400),
    ("POST", "/_fake/clock", b"", 400),
    ("POST", "/_fake/clock", b'{"freeze": "yesterday"}', 400),
    ("POST", "/_fake/clock", b'{"freeze": [2024]}', 400),
    ("POST", "/_fake/clock", b'{"advance": "30"}', 400),
    ("POST", "/_fake/clock", b'{"advance": "2030-01-01T00:00:00Z"}', 400),
    ("POST", "/_fake/clock", b'{"advance": true}', 400),
    ("POST", "/_fake/clock", b'{"advance": NaN}', 400),
    ("POST", "/_fake/clock", b'{"unfreeze": "please"}', 400),
    ("POST", "/_fake/clock", b'{"unfreeze": 1}', 400),
    ("POST", "/_fake/clock", b'{"freeze": "2024-01-01", "advance": "x"}', 400),
    ("POST", "/_fake/clock", b'{"rewind": 5}', 400),
    ("POST", "/_fake/transitions", b'{"mode": "sometimes"}', 400),
    ("POST", "/_fake/transitions", b'{"mode": "delay", "delay": "10"}', 400),
    ("POST", "/_fake/transitions", b'{"mode": "delay", "delay": -1}', 400),
    ("POST", "/_fake/transitions", b'{"mode": "reads", "reads": 1.5}', 400),
    ("POST", "/_fake/transitions", b'{"mode": "fail", "process": "explode"}', 400),
    ("POST", "/_fake/transitions", b'{"mode": "fail", "type": "widget"}', 400),
    ("POST", "/_fake/transitions", b'{"mode": "fail", "id": 7}', 400),
    ("POST", "/_fake/transitions", b'{"mode": "fail", "message": 7}', 400),
    ("POST", "/_fake/transitions", b'{"mode": "delay", "colour": "red"}', 400),
    ("POST", "/_fake/transitions", b'{"purgeAfter": -5}', 400),
    ("POST", "/_fake/transitions", b'{"purgeAfter": "soon"}', 400),
    ("POST", "/_fake/transitions", b'{"purgeAfter": 5, "mode": "delay"}', 400),
    ("POST", "/_fake/transitions", b"[]", 400),
    ("POST", "/_fake/transitions/advance", b'{"id": 7}', 400),
    ("POST", "/_fake/transitions/advance", b'{"ids": ["1sp1"]}', 400),
    ("POST", "/_fake/transitions/advance", b'{"id": "1sp99"}', 404),
    ("POST", "/_fake/faults", b"{}", 400),
    ("POST", "/_fake/faults", b'{"status": 200}', 400),
    ("POST", "/_fake/faults", b'{"status": "503"}', 400),
    ("POST", "/_fake/faults", b'{"status": 503, "times": 0}', 400),
    ("POST", "/_fake/faults", b'{"status": 503, "probability": 1.5}', 400),
    ("POST", "/_fake/faults", b'{"latency": "slow"}', 400),
    ("POST", "/_fake/faults", b'{"latency": 3600}', 400),
    ("POST", "/_fake/faults", b'{"drop": "yes"}', 400),
    ("POST", "/_fake/faults", b'{"status": 503, "method": "FETCH"}', 400),
    ("POST", "/_fake/faults", b'{"status": 503, "type": "widget"}', 400),
    ("POST", "/_fake/faults", b'{"status": 503, "path": 5}', 400),
    ("POST", "/_fake/faults", b'{"status": 503, "colour": "red"}', 400),
    ("POST", "/_fake/faults", b'[{"status": 503}]', 400),
    ("GET", "/_fake/nowhere", None, 404),
    ("POST", "/_fake/transitions/advance/now", b"{}", 404),
    ("GET", "/_fake/v1/registries", None, 404),
    ("GET", "/_fake/reset", None, 405),
    ("DELETE", "/_fake/state", None, 405),
    ("PUT", "/_fake/clock", b"{}", 405),
    ("PATCH", "/_fake/faults", b"{}", 405),
    ("POST", "/_fake/calls", b"{}", 405),
    ("GET", "/_fake/transitions/advance", None, 405),
    ("DELETE", "/_fake", None, 405),
]


def control_snapshot(d: Driver) -> dict[str, Any]:
    """Everything a control request could change, read over HTTP."""
    routes = ("state", "transitions", "faults", "clock", "calls")
    return {route: d.control("GET", f"/{route}") for route in routes}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    MALFORMED,
    ids=[f"{m} {p} {b!r}" for m, p, b, _ in MALFORMED],
)
def test_a_malformed_control_request_gets_a_json_4xx_and_changes_nothing(
    driver: Driver, method: str, path: str, body: bytes | None, status: int
) -> None:
    driver.freeze(T0)
    reg = registry(driver)
    driver.transition("manual", process="deactivate")
    driver.purge_after(30)
    act(driver, reg, "deactivate")
    driver.fault(path="/v1/nothing", status=500, times=3)
    before = control_snapshot(driver)

    headers = {"Content-Type": "application/json"} if body is not None else {}
    response = driver.request(method, path, data=body, headers=headers)

    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()
    assert (error["type"], error["status"]) == ("error", status)
    assert error["message"]
    assert control_snapshot(driver) == before
    assert read(driver, reg)["state"] == "deactivating"


def test_malformed_control_messages_name_the_problem(driver: Driver) -> None:
    cases = {
        ("POST", "/_fake/clock", b'{"advance": "2030-01-01T00:00:00Z"}'): "advance",
        ("POST", "/_fake/clock", b'{"rewind": 5}'): "rewind",
        ("POST", "/_fake/transitions", b'{"mode": "sometimes"}'): "mode",
        ("POST", "/_fake/transitions", b'{"mode": "fail", "type": "widget"}'): "widget",
        ("POST", "/_fake/faults", b'{"status": 200}'): "status",
        ("POST", "/_fake/faults", b'{"status": 503, "method": "FETCH"}'): "method",
        ("POST", "/_fake/reset", b'{"sead": 42}'): "sead",
        ("PUT", "/_fake/state", b"[]"): "JSON object",
    }
    for (method, path, body), named in cases.items():
        response = driver.request(
            method, path, data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert named in response.json()["message"], (path, body, response.json())


# -- the command line -----------------------------------------------------------------------


class Served:
    """`fakerancher serve --port 0 ...` in a subprocess."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fakerancher", "serve", "--port", "0", "--quiet", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise AssertionError(f"fakerancher serve did not start: {line!r}")
        self.url = line.split()[3]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


def test_cli_seed_repeats_the_in_process_answers(tmp_path: Path) -> None:
    reference = FakeRancher(seed=42)
    reference.clock.freeze(T0)
    expected = reference.create("registrationToken")
    served = Served("--seed", "42")
    try:
        with requests.Session() as session:
            routes = session.get(f"{served.url}/_fake", timeout=TIMEOUT).json()["routes"]
            assert {route["path"] for route in routes} == CONTROL_ROUTES

            def token() -> dict[str, Any]:
                clock = {"freeze": T0}
                session.post(f"{served.url}/_fake/clock", json=clock, timeout=TIMEOUT)
                url = f"{served.url}/v1/registrationtokens"
                doc = session.post(url, json={}, timeout=TIMEOUT).json()
                answer: dict[str, Any] = session.get(doc["links"]["self"], timeout=TIMEOUT).json()
                return answer

            first = token()
            assert (first["id"], first["uuid"], first["token"]) == (
                expected["id"],
                expected["uuid"],
                expected["token"],
            )
            session.post(f"{served.url}/_fake/reset", json={"seed": 42}, timeout=TIMEOUT)
            assert token() == first
    finally:
        served.stop()
    assert served.process.returncode == 0


def test_cli_state_file_is_the_export_state_format(tmp_path: Path) -> None:
    fake = FakeRancher(seed=3)
    fake.clock.freeze(T0)
    reg = fake.create("registry", serverAddress="quay.io")
    fake.transitions.set("manual", process="deactivate")
    fake.action("registry", reg["id"], "deactivate", wait=False)
    state = tmp_path / "scenario.json"
    fake.save_state(state)
    saved = json.loads(state.read_text())

    served = Served("--state", str(state))
    try:
        with requests.Session() as session:
            assert session.get(f"{served.url}/_fake/state", timeout=TIMEOUT).json() == saved
            doc = session.get(f"{served.url}/v1/registries/{reg['id']}", timeout=TIMEOUT).json()
            assert doc["state"] == "deactivating"
            advanced = session.post(f"{served.url}/_fake/transitions/advance", timeout=TIMEOUT)
            assert advanced.json() == {"advanced": 1}
    finally:
        served.stop()
    assert served.process.returncode == 0
    records = {r["id"]: r for r in json.loads(state.read_text())["records"]}
    assert records[reg["id"]]["state"] == "inactive"


@pytest.mark.parametrize(
    "body",
    [
        {"freeze": 1e300},
        {"freeze": -1},
        {"set": "0001-01-01T00:00:00Z"},
        {"advance": 1e300},
        {"freeze": "2024-01-01T00:00:00Z", "advance": -1e12},
    ],
)
def test_the_clock_refuses_times_cattle_cannot_show(
    fake_rancher_server: FakeRancher, body: dict[str, Any]
) -> None:
    url = fake_rancher_server.url
    before = requests.get(f"{url}/_fake/clock").json()
    refused = requests.post(f"{url}/_fake/clock", json=body)
    assert refused.status_code == 400, refused.text
    assert "1970" in refused.json()["message"]
    after = requests.get(f"{url}/_fake/clock").json()
    assert after["frozen"] == before["frozen"]
    assert abs(after["nowTS"] - before["nowTS"]) < 60_000
    created = requests.post(f"{url}/v1/registries", json={"serverAddress": "after.io"})
    assert created.status_code == 201


@pytest.mark.parametrize(
    "clock", [{"frozenAt": 1e300}, {"frozenAt": -5}, {"frozenAt": None, "offset": 1e15}]
)
def test_a_state_with_an_unshowable_clock_is_refused_whole(
    fake_rancher_server: FakeRancher, clock: dict[str, Any]
) -> None:
    url = fake_rancher_server.url
    saved = requests.get(f"{url}/_fake/state").json()
    requests.post(f"{url}/v1/registries", json={"serverAddress": "kept.io"})
    refused = requests.put(f"{url}/_fake/state", json={**saved, "clock": clock})
    assert refused.status_code == 400, refused.text
    assert "clock" in refused.json()["message"]
    listed = requests.get(f"{url}/v1/registries").json()["data"]
    assert [r["serverAddress"] for r in listed] == ["kept.io"]
    assert requests.get(f"{url}/_fake/clock").json()["frozen"] is False
