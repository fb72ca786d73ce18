"""The fake under concurrent clients: many threads, one live server, one store.

Each worker thread has its own `requests.Session` (its own keep-alive connection), and the
threads start together behind a barrier. What is checked is what clients see: statuses,
ids, states and well-formed JSON, never a 500.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
import requests

from fakerancher import FakeRancher

T = TypeVar("T")

TIMEOUT = 10
RESTING = frozenset({"requested", "active", "inactive", "removed", "purged"})
TRANSITIONING = frozenset(
    {
        "registering",
        "activating",
        "deactivating",
        "removing",
        "purging",
        "updating-active",
        "updating-inactive",
    }
)
Session = requests.Session


@pytest.fixture
def base() -> Iterator[str]:
    """The `/v1` URL of a live fake on a free port."""
    fake = FakeRancher(transition_delay=0.0)
    with fake.serve(host="127.0.0.1", port=0) as server:
        yield f"{server.url}/v1"


@pytest.fixture
def session(base: str) -> Iterator[Session]:
    with requests.Session() as http:
        yield http


def in_threads(count: int, work: Callable[[int, Session], T]) -> list[T]:
    """Run `work(index, session)` in `count` threads started together; their results."""
    barrier = threading.Barrier(count)

    def run(index: int) -> T:
        with requests.Session() as http:
            barrier.wait(timeout=TIMEOUT)
            return work(index, http)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, i) for i in range(count)]
        return [future.result() for future in futures]


def checked(response: requests.Response) -> tuple[int, dict[str, Any]]:
    """Status and JSON body; fails on a 5xx, a body that is not JSON, or an incoherent one."""
    assert response.status_code < 500, response.text
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    assert response.headers.get("X-API-Schemas", "").endswith("/v1/schemas")
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        assert body["type"] == "error"
        assert body["status"] == response.status_code
    elif body.get("type") == "collection":
        for item in body["data"]:
            if "state" in item:  # schemas have none
                assert_coherent(item)
    else:
        assert_coherent(body)
    return response.status_code, body


def assert_coherent(doc: dict[str, Any]) -> None:
    """`transitioning` agrees with `state`, as Cattle derives one from the other."""
    state = doc["state"]
    assert state in RESTING | TRANSITIONING, doc
    assert doc["transitioning"] == ("yes" if state in TRANSITIONING else "no"), doc


def create(http: Session, base: str, plural: str, body: dict[str, Any]) -> dict[str, Any]:
    status, doc = checked(http.post(f"{base}/{plural}", json=body, timeout=TIMEOUT))
    assert status == 201, doc
    return doc


def listed(http: Session, base: str, plural: str, **params: str) -> list[dict[str, Any]]:
    status, doc = checked(
        http.get(f"{base}/{plural}", params={"limit": "3000", **params}, timeout=TIMEOUT)
    )
    assert status == 200, doc
    assert doc["pagination"]["next"] is None
    data: list[dict[str, Any]] = doc["data"]
    return data


def test_concurrent_creates_all_land(base: str, session: Session) -> None:
    threads, per_thread = 8, 50
    registry = create(session, base, "registries", {"serverAddress": "quay.io"})

    def work(index: int, http: Session) -> list[tuple[str, str, str]]:
        made = []
        for n in range(per_thread):
            if n % 10 == 0:  # a few registries too, interleaved with the credentials
                doc = create(http, base, "registries", {"serverAddress": f"r{index}-{n}.io"})
                assert doc["serverAddress"] == f"r{index}-{n}.io"
                made.append(("registry", doc["id"], doc["serverAddress"]))
            value = f"robot-{index}-{n}"
            body = {"registryId": registry["id"], "email": "ci@example.com"}
            body |= {"publicValue": value, "secretValue": f"s-{value}"}
            doc = create(http, base, "registrycredentials", body)
            # The answer is this request's resource, not a neighbour's.
            assert (doc["publicValue"], doc["secretValue"]) == (value, f"s-{value}")
            made.append(("registryCredential", doc["id"], value))
        return made

    made = [row for rows in in_threads(threads, work) for row in rows]

    creds = {id_: value for kind, id_, value in made if kind == "registryCredential"}
    registries = {id_: value for kind, id_, value in made if kind == "registry"}
    assert len(creds) == threads * per_thread  # ids are unique
    assert len(registries) == threads * per_thread // 10
    listed_creds = listed(session, base, "registrycredentials")
    assert {c["id"]: c["publicValue"] for c in listed_creds} == creds
    assert len(listed_creds) == len(creds)
    listed_registries = listed(session, base, "registries")
    assert {r["id"]: r["serverAddress"] for r in listed_registries} == {
        registry["id"]: "quay.io",
        **registries,
    }
    assert all(doc["state"] == "active" for doc in listed_creds + listed_registries)


def test_concurrent_creates_share_one_id_sequence(base: str, session: Session) -> None:
    # Credentials and tokens live in one Cattle table: one id sequence for both kinds.
    registry_id = create(session, base, "registries", {"serverAddress": "quay.io"})["id"]

    def work(index: int, http: Session) -> list[str]:
        ids = []
        for n in range(20):
            if (index + n) % 2:
                doc = create(http, base, "registrationtokens", {})
            else:
                body = {"registryId": registry_id, "email": "a@b.c", "publicValue": str(n)}
                doc = create(http, base, "registrycredentials", body)
            ids.append(doc["id"])
        return ids

    ids = [id_ for chunk in in_threads(8, work) for id_ in chunk]
    assert len(set(ids)) == len(ids) == 160
    assert all(id_.startswith("1c") for id_ in ids)


def test_same_server_address_from_many_threads(base: str, session: Session) -> None:
    threads = 12
    for round_ in range(5):
        address = f"registry-{round_}.example.com"

        def work(index: int, http: Session, address: str = address) -> tuple[int, Any]:
            # Case differs between threads: Cattle compares addresses case-insensitively.
            spelled = address.upper() if index % 2 else address
            response = http.post(
                f"{base}/registries", json={"serverAddress": spelled}, timeout=TIMEOUT
            )
            status, doc = checked(response)
            return status, doc.get("code")

        results = in_threads(threads, work)
        statuses = sorted(status for status, _ in results)
        assert statuses == [201] + [400] * (threads - 1), results
        assert [code for status, code in results if status == 400] == ["ServerAddressUsed"] * (
            threads - 1
        )

    addresses = [r["serverAddress"].lower() for r in listed(session, base, "registries")]
    assert sorted(addresses) == [f"registry-{n}.example.com" for n in range(5)]


# Expected answers to each operation, whatever state the resource is in at that moment.
ALLOWED = {
    "GET": {200},
    "PUT": {200},
    "DELETE": {200, 405},
    "deactivate": {202, 422},
    "activate": {202, 422},
    "update": {202, 422},
    "remove": {202, 422},
}
ACTIONS_BY_STATE = {
    "active": {"update", "deactivate"},
    "inactive": {"update", "activate", "remove"},
    "removed": {"purge"},
}
Seen = list[tuple[str, int, dict[str, Any]]]


def race(url: str, plan: Callable[[int], list[str]]) -> Seen:
    """8 threads send operations to one resource, thread `i` those of `plan(i)`; the answers."""

    def work(index: int, http: Session) -> Seen:
        seen = []
        for op in plan(index):
            if op == "GET":
                response = http.get(url, timeout=TIMEOUT)
            elif op == "PUT":
                response = http.put(url, json={"description": f"t{index}"}, timeout=TIMEOUT)
            elif op == "DELETE":
                response = http.delete(url, timeout=TIMEOUT)
            else:
                response = http.post(f"{url}/?action={op}", timeout=TIMEOUT)
            status, doc = checked(response)
            seen.append((op, status, doc))
        return seen

    return [row for rows in in_threads(8, work) for row in rows]


def assert_allowed(seen: Seen, is_token: bool) -> None:
    for op, status, doc in seen:
        if is_token and op in ("PUT", "DELETE"):
            assert status == 405, (op, status)  # a token's resourceMethods are [GET]
            continue
        assert status in ALLOWED[op], (op, status, doc)
        if status == 422:
            assert (doc["code"], doc["fieldName"]) == ("ActionNotAvailable", "action")


def final_state(session: Session, url: str) -> str:
    doc = checked(session.get(url, timeout=TIMEOUT))[1]
    assert doc["transitioning"] == "no"
    assert set(doc["actions"]) == ACTIONS_BY_STATE[doc["state"]]
    state: str = doc["state"]
    return state


@pytest.mark.parametrize(
    ("plural", "body"),
    [
        ("registries", {"serverAddress": "quay.io"}),
        ("registrycredentials", None),
        ("registrationtokens", {}),
    ],
)
def test_racing_state_changes_on_one_resource(
    base: str, session: Session, plural: str, body: dict[str, Any] | None
) -> None:
    if body is None:
        registry = create(session, base, "registries", {"serverAddress": "quay.io"})
        body = {"registryId": registry["id"], "email": "a@b.c"}
    url = create(session, base, plural, body)["links"]["self"]
    is_token = plural == "registrationtokens"

    # Phase 1: activate, deactivate, update and PUT race; nothing can remove the resource.
    operations, weights = ["deactivate", "activate", "update", "GET", "PUT"], [4, 4, 2, 1, 1]
    seen = race(url, lambda i: random.Random(i).choices(operations, weights, k=40))
    assert_allowed(seen, is_token)
    succeeded = {op for op, status, _ in seen if status == 202}
    assert {"deactivate", "activate"} <= succeeded  # the race really moved it both ways
    assert final_state(session, url) in {"active", "inactive"}

    # Phase 2: deactivate, DELETE and remove race; the remove process starts exactly once.
    # Every thread removes after its own deactivate, so the end state is certain: removed.
    seen = race(url, lambda i: ["deactivate", "remove" if i % 2 else "DELETE", "GET"] * 3)
    assert_allowed(seen, is_token)
    started = [op for op, status, doc in seen if status < 300 and doc["state"] == "removing"]
    if is_token:
        assert started == ["remove"]
    else:
        assert len(started) == 1, started
    assert final_state(session, url) == "removed"


def test_reads_during_writes_are_whole_documents(base: str, session: Session) -> None:
    registry = create(session, base, "registries", {"serverAddress": "quay.io"})
    writers, readers, per_writer = 4, 4, 40
    done = threading.Event()
    running = [writers]
    running_lock = threading.Lock()

    def write(index: int, http: Session) -> int:
        try:
            for n in range(per_writer):
                body = {"registryId": registry["id"], "email": "a@b.c", "name": f"w{index}-{n}"}
                doc = create(http, base, "registrycredentials", body)
                status, _ = checked(
                    http.put(doc["links"]["self"], json={"description": "x"}, timeout=TIMEOUT)
                )
                assert status == 200
        finally:
            with running_lock:
                running[0] -= 1
                if running[0] == 0:
                    done.set()
        return per_writer

    def read(http: Session) -> int:
        reads, last_count = 0, 0
        while not done.is_set() or reads == 0:
            data = listed(http, base, "registrycredentials")
            # Creates are never lost from view: the count only grows between two reads.
            assert len(data) >= last_count
            last_count = len(data)
            for doc in data:
                assert set(doc) >= {"id", "email", "registryId", "links", "actions", "state"}
            if data:
                status, doc = checked(http.get(data[-1]["links"]["self"], timeout=TIMEOUT))
                assert status == 200 and doc["id"] == data[-1]["id"]
            status, schemas = checked(http.get(f"{base}/schemas", timeout=TIMEOUT))
            assert status == 200 and len(schemas["data"]) >= 3
            reads += 1
        return reads

    def work(index: int, http: Session) -> int:
        if index < writers:
            return write(index, http)
        return read(http)

    results = in_threads(writers + readers, work)
    assert results[:writers] == [per_writer] * writers
    assert all(reads > 0 for reads in results[writers:])
    names = sorted(doc["name"] for doc in listed(session, base, "registrycredentials"))
    assert names == sorted(f"w{i}-{n}" for i in range(writers) for n in range(per_writer))
