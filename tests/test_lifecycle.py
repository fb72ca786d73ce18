"""Black-box tests of the Cattle state machine (spec §1) for registry, registryCredential and
registrationToken: every observation goes through HTTP, as a client would see it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory, StepTickTimeFactory, TickingDateTimeFactory
from werkzeug.test import Client

from fakerancher import FakeRancher

BASE = "http://localhost/v1"
KINDS = ["registry", "credential", "token"]
DELETABLE = ["registry", "credential"]
COLLECTION = {
    "registry": "registries",
    "credential": "registrycredentials",
    "token": "registrationtokens",
}
TYPE = {"registry": "registry", "credential": "registryCredential", "token": "registrationToken"}
BASE_TYPE = {"registry": "storagePool", "credential": "credential", "token": "credential"}

TRANSITIONING = {
    "registering",
    "activating",
    "deactivating",
    "removing",
    "purging",
    "updating-active",
    "updating-inactive",
}
RESTING = {"requested", "active", "inactive", "removed", "purged"}

# Spec §1.4: actions offered per state, in schema resourceActions order.
ACTIONS: dict[str, list[str]] = {
    "requested": ["remove", "deactivate", "create"],
    "registering": ["activate", "remove", "deactivate"],
    "activating": ["deactivate"],
    "active": ["update", "deactivate"],
    "updating-active": ["remove", "deactivate"],
    "updating-inactive": ["remove", "deactivate"],
    "deactivating": [],
    "inactive": ["update", "activate", "remove"],
    "removing": [],
    "removed": ["purge"],
    "purging": [],
    "purged": [],
}
ALL_STATES = [
    "registering",
    "activating",
    "active",
    "updating-active",
    "deactivating",
    "inactive",
    "updating-inactive",
    "removing",
    "removed",
    "purging",
    "purged",
]
FROZEN_AT = "2024-03-01 12:00:00"
FROZEN_EPOCH = int(datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC).timestamp())

Frozen = FrozenDateTimeFactory | StepTickTimeFactory | TickingDateTimeFactory

_addresses = itertools.count(1)


# --------------------------------------------------------------------------- helpers


def unique_address() -> str:
    return f"registry-{next(_addresses)}.example.com"


def body(response: Any) -> dict[str, Any]:
    data = response.get_json()
    assert isinstance(data, dict), response.get_data(as_text=True)
    return data


def post_create(api: Client, collection: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"{BASE}/{collection}", json=payload)
    assert response.status_code == 201, response.get_data(as_text=True)
    return body(response)


def new(api: Client, kind: str, **fields: Any) -> dict[str, Any]:
    """Create one resource of `kind` and return the raw 201 body."""
    if kind == "registry":
        return post_create(api, "registries", {"serverAddress": unique_address(), **fields})
    if kind == "credential":
        registry = post_create(api, "registries", {"serverAddress": unique_address()})
        payload = {
            "registryId": registry["id"],
            "email": "ci@example.com",
            "publicValue": "robot",
            "secretValue": "hunter2",
            **fields,
        }
        return post_create(api, "registrycredentials", payload)
    return post_create(api, "registrationtokens", fields)


def get(api: Client, doc: dict[str, Any]) -> dict[str, Any]:
    response = api.get(doc["links"]["self"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return body(response)


def act(api: Client, doc: dict[str, Any], name: str, **kwargs: Any) -> dict[str, Any]:
    assert name in doc["actions"], f"{name} not offered in state {doc['state']}: {doc['actions']}"
    response = api.post(doc["actions"][name], **kwargs)
    assert response.status_code == 202, response.get_data(as_text=True)
    return body(response)


def action_url(doc: dict[str, Any], name: str) -> str:
    return f"{doc['links']['self']}/?action={name}"


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    doc = body(response)
    assert doc["type"] == "error"
    assert doc["status"] == status
    assert doc["code"] == code
    return doc


def assert_consistent(doc: dict[str, Any]) -> None:
    """state, transitioning* and the actions map agree (spec §1.3, §1.4)."""
    state = doc["state"]
    assert state in TRANSITIONING | RESTING, state
    if state in TRANSITIONING:
        assert doc["transitioning"] == "yes", doc
        assert doc["transitioningMessage"] == "In Progress", doc
    else:
        assert doc["transitioning"] == "no", doc
        assert doc["transitioningMessage"] is None, doc
    assert doc["transitioningProgress"] is None, doc
    assert set(doc["actions"]) == set(ACTIONS[state]), (state, doc["actions"])
    for name, url in doc["actions"].items():
        assert url == action_url(doc, name)


def assert_state(doc: dict[str, Any], state: str) -> None:
    assert doc["state"] == state, f"expected {state}, got {doc['state']}"
    assert_consistent(doc)


def listing(api: Client, kind: str, **query: str) -> list[dict[str, Any]]:
    response = api.get(f"{BASE}/{COLLECTION[kind]}", query_string={"limit": "3000", **query})
    assert response.status_code == 200, response.get_data(as_text=True)
    data: list[dict[str, Any]] = body(response)["data"]
    return data


def listed_ids(api: Client, kind: str, **query: str) -> set[str]:
    return {item["id"] for item in listing(api, kind, **query)}


def drive(api: Client, frozen: Frozen, kind: str, target: str) -> dict[str, Any]:
    """Walk a new resource to `target` on a fake with transition_delay=5 under a frozen clock,
    checking each state on the way."""
    doc = new(api, kind)
    assert_state(doc, "registering")
    if target == "registering":
        return doc
    frozen.tick(5)
    doc = get(api, doc)
    assert_state(doc, "activating")
    if target == "activating":
        return doc
    frozen.tick(5)
    doc = get(api, doc)
    assert_state(doc, "active")
    if target == "active":
        return doc
    if target == "updating-active":
        doc = act(api, doc, "update")
        assert_state(doc, "updating-active")
        return doc
    doc = act(api, doc, "deactivate")
    assert_state(doc, "deactivating")
    if target == "deactivating":
        return doc
    frozen.tick(5)
    doc = get(api, doc)
    assert_state(doc, "inactive")
    if target == "inactive":
        return doc
    if target == "updating-inactive":
        doc = act(api, doc, "update")
        assert_state(doc, "updating-inactive")
        return doc
    doc = act(api, doc, "remove")
    assert_state(doc, "removing")
    if target == "removing":
        return doc
    frozen.tick(5)
    doc = get(api, doc)
    assert_state(doc, "removed")
    if target == "removed":
        return doc
    doc = act(api, doc, "purge")
    assert_state(doc, "purging")
    if target == "purging":
        return doc
    frozen.tick(5)
    doc = get(api, doc)
    assert_state(doc, "purged")
    assert target == "purged", target
    return doc


def to_state(api: Client, kind: str, target: str) -> dict[str, Any]:
    """Resting states on a fake with delay 0: active, inactive, removed, purged."""
    doc = get(api, new(api, kind))
    assert_state(doc, "active")
    if target == "active":
        return doc
    act(api, doc, "deactivate")
    doc = get(api, doc)
    assert_state(doc, "inactive")
    if target == "inactive":
        return doc
    act(api, doc, "remove")
    doc = get(api, doc)
    assert_state(doc, "removed")
    if target == "removed":
        return doc
    act(api, doc, "purge")
    doc = get(api, doc)
    assert_state(doc, "purged")
    return doc


@pytest.fixture
def clock() -> Iterator[tuple[Client, Frozen]]:
    """A fake whose every transition step takes 5 s, under a frozen clock."""
    with freeze_time(FROZEN_AT) as frozen:
        fake = FakeRancher(transition_delay=5.0)
        yield Client(fake.wsgi_app), frozen


# --------------------------------------------------------------------------- create


@pytest.mark.parametrize("kind", KINDS)
def test_create_response_is_registering(api: Client, kind: str) -> None:
    doc = new(api, kind)
    assert doc["type"] == TYPE[kind]
    assert doc["baseType"] == BASE_TYPE[kind]
    assert doc["kind"] == TYPE[kind]
    assert doc["state"] == "registering"
    assert doc["transitioning"] == "yes"
    assert doc["transitioningMessage"] == "In Progress"
    assert doc["transitioningProgress"] is None
    assert list(doc["actions"]) == ["activate", "remove", "deactivate"]
    assert doc["removed"] is None
    assert "removedTS" not in doc
    assert_consistent(doc)


@pytest.mark.parametrize("kind", KINDS)
def test_next_read_after_create_is_active(api: Client, kind: str) -> None:
    created = new(api, kind)
    doc = get(api, created)
    assert doc["id"] == created["id"]
    assert_state(doc, "active")
    assert doc["transitioningMessage"] is None
    assert list(doc["actions"]) == ["update", "deactivate"]


@pytest.mark.parametrize("kind", KINDS)
def test_create_walks_registering_activating_active_on_the_clock(
    clock: tuple[Client, Frozen], kind: str
) -> None:
    api, frozen = clock
    created = new(api, kind)
    assert_state(created, "registering")
    assert_state(get(api, created), "registering")
    frozen.tick(4.9)
    assert_state(get(api, created), "registering")
    frozen.tick(0.1)
    assert_state(get(api, created), "activating")
    frozen.tick(4.9)
    assert_state(get(api, created), "activating")
    frozen.tick(0.1)
    assert_state(get(api, created), "active")
    frozen.tick(3600)
    assert_state(get(api, created), "active")


@pytest.mark.parametrize("kind", KINDS)
def test_create_settles_fully_when_first_read_is_late(
    clock: tuple[Client, Frozen], kind: str
) -> None:
    api, frozen = clock
    created = new(api, kind)
    frozen.tick(10)
    assert_state(get(api, created), "active")


@pytest.mark.parametrize("kind", KINDS)
def test_created_resource_is_listed_while_transitioning(
    clock: tuple[Client, Frozen], kind: str
) -> None:
    api, frozen = clock
    created = new(api, kind)
    items = {item["id"]: item for item in listing(api, kind)}
    assert created["id"] in items
    assert_state(items[created["id"]], "registering")
    frozen.tick(5)
    items = {item["id"]: item for item in listing(api, kind)}
    assert_state(items[created["id"]], "activating")


def test_registration_token_needs_no_fields(api: Client) -> None:
    response = api.post(f"{BASE}/registrationtokens")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert body(response)["state"] == "registering"


# --------------------------------------------------------------------------- actions per state


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("kind", KINDS)
def test_actions_map_per_state(clock: tuple[Client, Frozen], kind: str, state: str) -> None:
    api, frozen = clock
    doc = drive(api, frozen, kind, state)
    assert doc["type"] == TYPE[kind]
    assert set(doc["actions"]) == set(ACTIONS[state])
    # the same on a fresh read and in the list (with _removed, so removed ones show)
    again = get(api, doc)
    assert_state(again, state)
    listed = {item["id"]: item for item in listing(api, kind, _removed="true")}
    assert_state(listed[doc["id"]], state)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("kind", KINDS)
def test_actions_map_follows_schema_order(
    clock: tuple[Client, Frozen], kind: str, state: str
) -> None:
    api, frozen = clock
    doc = drive(api, frozen, kind, state)
    assert list(doc["actions"]) == ACTIONS[state]


@pytest.mark.parametrize("kind", KINDS)
def test_action_urls_are_self_slash_query(api: Client, kind: str) -> None:
    doc = get(api, new(api, kind))
    assert doc["links"]["self"] == f"{BASE}/{COLLECTION[kind]}/{doc['id']}"
    assert doc["actions"] == {
        "update": f"{BASE}/{COLLECTION[kind]}/{doc['id']}/?action=update",
        "deactivate": f"{BASE}/{COLLECTION[kind]}/{doc['id']}/?action=deactivate",
    }


@pytest.mark.parametrize("kind", KINDS)
def test_restore_is_never_offered(clock: tuple[Client, Frozen], kind: str) -> None:
    api, frozen = clock
    doc = new(api, kind)
    for _ in range(8):
        assert "restore" not in doc["actions"]
        frozen.tick(5)
        doc = get(api, doc)


# --------------------------------------------------------------------------- deactivate / activate


@pytest.mark.parametrize("kind", KINDS)
def test_deactivate_then_activate(api: Client, kind: str) -> None:
    doc = get(api, new(api, kind))
    response = api.post(doc["actions"]["deactivate"])
    assert response.status_code == 202
    deactivating = body(response)
    assert deactivating["id"] == doc["id"]
    assert deactivating["type"] == TYPE[kind]
    assert_state(deactivating, "deactivating")
    assert deactivating["actions"] == {}

    inactive = get(api, doc)
    assert_state(inactive, "inactive")
    assert list(inactive["actions"]) == ["update", "activate", "remove"]

    activating = act(api, inactive, "activate")
    assert activating["type"] == TYPE[kind]
    assert_state(activating, "activating")
    assert_state(get(api, doc), "active")


@pytest.mark.parametrize("kind", KINDS)
def test_deactivate_and_activate_on_the_clock(clock: tuple[Client, Frozen], kind: str) -> None:
    api, frozen = clock
    doc = drive(api, frozen, kind, "active")
    assert_state(act(api, doc, "deactivate"), "deactivating")
    frozen.tick(4.9)
    assert_state(get(api, doc), "deactivating")
    frozen.tick(0.1)
    inactive = get(api, doc)
    assert_state(inactive, "inactive")
    assert_state(act(api, inactive, "activate"), "activating")
    frozen.tick(4.9)
    assert_state(get(api, doc), "activating")
    frozen.tick(0.1)
    assert_state(get(api, doc), "active")


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("active", "activate"),
        ("active", "remove"),
        ("active", "purge"),
        ("active", "create"),
        ("inactive", "deactivate"),
        ("inactive", "purge"),
        ("removed", "activate"),
        ("removed", "deactivate"),
        ("removed", "remove"),
        ("removed", "update"),
        ("purged", "purge"),
        ("purged", "activate"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_action_not_offered_in_state_is_rejected_and_changes_nothing(
    api: Client, kind: str, state: str, action: str
) -> None:
    doc = to_state(api, kind, state)
    error = assert_error(api.post(action_url(doc, action)), 422, "ActionNotAvailable")
    assert error["fieldName"] == "action"
    after = get(api, doc)
    assert_state(after, state)
    assert after == doc


@pytest.mark.parametrize("state", ["activating", "deactivating", "removing", "purging"])
@pytest.mark.parametrize("kind", KINDS)
def test_actions_refused_while_transitioning_without_actions(
    clock: tuple[Client, Frozen], kind: str, state: str
) -> None:
    api, frozen = clock
    doc = drive(api, frozen, kind, state)
    for name in ["activate", "update", "remove", "purge", "deactivate"]:
        if name in ACTIONS[state]:
            continue
        error = assert_error(api.post(action_url(doc, name)), 422, "ActionNotAvailable")
        assert error["fieldName"] == "action"
    assert_state(get(api, doc), state)


# Actions that the table offers in a transitioning state (spec §1.1/§1.4). The fake may run them
# (202 and the new transition) or refuse with 409 Conflict ("process busy", §2.6); either way the
# resource must end in the action's done state or stay on its original path.
MID_FLIGHT = [
    ("registering", "activate", "activating", "active"),
    ("registering", "deactivate", "deactivating", "inactive"),
    ("registering", "remove", "removing", "removed"),
    ("activating", "deactivate", "deactivating", "inactive"),
    ("updating-active", "deactivate", "deactivating", "inactive"),
    ("updating-active", "remove", "removing", "removed"),
    ("updating-inactive", "deactivate", "deactivating", "inactive"),
    ("updating-inactive", "remove", "removing", "removed"),
]
NATURAL_END = {
    "registering": "active",
    "activating": "active",
    "updating-active": "active",
    "updating-inactive": "inactive",
}


@pytest.mark.parametrize(("start", "action", "during", "done"), MID_FLIGHT)
@pytest.mark.parametrize("kind", KINDS)
def test_action_in_transitioning_state(
    clock: tuple[Client, Frozen], kind: str, start: str, action: str, during: str, done: str
) -> None:
    api, frozen = clock
    doc = drive(api, frozen, kind, start)
    response = api.post(doc["actions"][action])
    if response.status_code == 409:
        assert_error(response, 409, "Conflict")
        expected_end = NATURAL_END[start]
    else:
        assert response.status_code == 202, response.get_data(as_text=True)
        assert_state(body(response), during)
        expected_end = done
    seen = []
    for _ in range(12):
        frozen.tick(2.5)
        now = get(api, doc)
        assert_consistent(now)
        seen.append(now["state"])
    assert seen[-1] == expected_end, seen


# --------------------------------------------------------------------------- update action


@pytest.mark.parametrize("kind", KINDS)
def test_update_action_on_active(api: Client, kind: str) -> None:
    doc = get(api, new(api, kind, name="before"))
    response = api.post(doc["actions"]["update"], json={"name": "after", "description": "x"})
    assert response.status_code == 202, response.get_data(as_text=True)
    updating = body(response)
    assert updating["type"] == TYPE[kind]
    assert_state(updating, "updating-active")
    assert list(updating["actions"]) == ["remove", "deactivate"]
    after = get(api, doc)
    assert_state(after, "active")
    assert after["name"] == "before"  # the action's body is ignored
    assert after["description"] is None


@pytest.mark.parametrize("kind", KINDS)
def test_update_action_on_inactive(api: Client, kind: str) -> None:
    doc = to_state(api, kind, "inactive")
    assert_state(act(api, doc, "update"), "updating-inactive")
    assert_state(get(api, doc), "inactive")


@pytest.mark.parametrize("kind", KINDS)
def test_update_action_on_the_clock(clock: tuple[Client, Frozen], kind: str) -> None:
    api, frozen = clock
    doc = drive(api, frozen, kind, "updating-active")
    frozen.tick(4.9)
    assert_state(get(api, doc), "updating-active")
    frozen.tick(0.1)
    assert_state(get(api, doc), "active")


# --------------------------------------------------------------------------- remove / purge


@pytest.mark.parametrize("kind", KINDS)
def test_remove_action_then_purge(api: Client, kind: str) -> None:
    doc = to_state(api, kind, "inactive")
    removing = act(api, doc, "remove")
    assert removing["type"] == TYPE[kind]
    assert_state(removing, "removing")
    removed = get(api, doc)
    assert_state(removed, "removed")
    assert list(removed["actions"]) == ["purge"]
    assert removed["removed"] is not None
    purging = act(api, removed, "purge")
    assert purging["type"] == TYPE[kind]
    assert_state(purging, "purging")
    purged = get(api, doc)
    assert_state(purged, "purged")
    assert purged["actions"] == {}
    assert purged["removed"] == removed["removed"]
    assert purged["removedTS"] == removed["removedTS"]


@pytest.mark.parametrize("kind", KINDS)
def test_removed_resource_is_not_purged_automatically(
    clock: tuple[Client, Frozen], kind: str
) -> None:
    api, frozen = clock
    doc = drive(api, frozen, kind, "removed")
    frozen.tick(3600)
    assert_state(get(api, doc), "removed")


@pytest.mark.parametrize("kind", KINDS)
def test_removed_fields(kind: str) -> None:
    with freeze_time(FROZEN_AT) as frozen:
        api = Client(FakeRancher().wsgi_app)
        doc = to_state(api, kind, "inactive")
        assert doc["removed"] is None
        assert "removedTS" not in doc
        frozen.tick(60)
        act(api, doc, "remove")
        removed = get(api, doc)
        assert removed["removed"] == "2024-03-01T12:01:00Z"
        assert removed["removedTS"] == (FROZEN_EPOCH + 60) * 1000
        frozen.tick(60)
        act(api, removed, "purge")
        purged = get(api, doc)
        assert purged["removed"] == "2024-03-01T12:01:00Z"
        assert purged["removedTS"] == (FROZEN_EPOCH + 60) * 1000


@pytest.mark.parametrize("state", ["active", "inactive"])
@pytest.mark.parametrize("kind", KINDS)
def test_not_removed_has_null_removed_and_no_ts(api: Client, kind: str, state: str) -> None:
    doc = to_state(api, kind, state)
    assert doc["removed"] is None
    assert "removedTS" not in doc
    listed = {item["id"]: item for item in listing(api, kind)}[doc["id"]]
    assert listed["removed"] is None
    assert "removedTS" not in listed


@pytest.mark.parametrize("state", ["removed", "purged"])
@pytest.mark.parametrize("kind", KINDS)
def test_removed_hidden_from_lists_but_readable_by_id(api: Client, kind: str, state: str) -> None:
    keep = to_state(api, kind, "active")
    gone = to_state(api, kind, state)
    inactive = to_state(api, kind, "inactive")

    default = listed_ids(api, kind)
    assert keep["id"] in default
    assert inactive["id"] in default
    assert gone["id"] not in default

    for flag in ["true", "1", "false"]:
        with_removed = {item["id"]: item for item in listing(api, kind, _removed=flag)}
        assert {keep["id"], inactive["id"], gone["id"]} <= set(with_removed)
        assert with_removed[gone["id"]]["state"] == state

    by_id = api.get(f"{BASE}/{COLLECTION[kind]}/{gone['id']}")
    assert by_id.status_code == 200
    assert_state(body(by_id), state)
    assert body(by_id)["removed"] is not None


@pytest.mark.parametrize("kind", DELETABLE)
def test_removed_hidden_from_project_scoped_list(api: Client, kind: str) -> None:
    gone = to_state(api, kind, "removed")
    response = api.get(f"{BASE}/projects/1a5/{COLLECTION[kind]}")
    assert response.status_code == 200
    assert gone["id"] not in {item["id"] for item in body(response)["data"]}
    response = api.get(f"{BASE}/projects/1a5/{COLLECTION[kind]}/{gone['id']}")
    assert response.status_code == 200
    assert body(response)["state"] == "removed"


# --------------------------------------------------------------------------- DELETE (§1.6)


@pytest.mark.parametrize("kind", DELETABLE)
def test_delete_inactive_returns_200_removing(api: Client, kind: str) -> None:
    doc = to_state(api, kind, "inactive")
    response = api.delete(doc["links"]["self"])
    assert response.status_code == 200, response.get_data(as_text=True)
    removing = body(response)
    assert removing["id"] == doc["id"]
    assert removing["type"] == TYPE[kind]
    assert_state(removing, "removing")
    removed = get(api, doc)
    assert_state(removed, "removed")
    assert removed["removed"] is not None


@pytest.mark.parametrize("kind", DELETABLE)
def test_delete_active_is_405_and_changes_nothing(api: Client, kind: str) -> None:
    doc = to_state(api, kind, "active")
    error = assert_error(api.delete(doc["links"]["self"]), 405, "Method not allowed")
    assert error["message"] == "Method not allowed"
    after = get(api, doc)
    assert after == doc


# (state at DELETE, expected status, state in the body / afterwards)
DELETE_TABLE = [
    ("registering", 200, "removing"),
    ("activating", 405, "activating"),
    ("active", 405, "active"),
    ("updating-active", 200, "removing"),
    ("deactivating", 405, "deactivating"),
    ("inactive", 200, "removing"),
    ("updating-inactive", 200, "removing"),
    ("removing", 200, "removing"),
    ("removed", 200, "removed"),
    ("purging", 405, "purging"),
    ("purged", 405, "purged"),
]


@pytest.mark.parametrize(("state", "status", "after"), DELETE_TABLE)
@pytest.mark.parametrize("kind", DELETABLE)
def test_delete_table(
    clock: tuple[Client, Frozen], kind: str, state: str, status: int, after: str
) -> None:
    api, frozen = clock
    doc = drive(api, frozen, kind, state)
    before = get(api, doc)
    response = api.delete(doc["links"]["self"])
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 200:
        result = body(response)
        assert result["id"] == doc["id"]
        assert result["type"] == TYPE[kind]
        assert_state(result, after)
        if state == "removed":
            assert result == before
        frozen.tick(5)
        assert_state(get(api, doc), "removed")
    else:
        assert_error(response, 405, "Method not allowed")
        assert get(api, doc) == before


@pytest.mark.parametrize("kind", DELETABLE)
def test_delete_removed_keeps_removed_timestamp(kind: str) -> None:
    with freeze_time(FROZEN_AT) as frozen:
        api = Client(FakeRancher().wsgi_app)
        doc = to_state(api, kind, "removed")
        frozen.tick(120)
        response = api.delete(doc["links"]["self"])
        assert response.status_code == 200
        assert body(response)["state"] == "removed"
        assert body(response)["removed"] == doc["removed"]
        assert get(api, doc) == doc


@pytest.mark.parametrize("kind", DELETABLE)
def test_delete_unknown_id_is_404(api: Client, kind: str) -> None:
    prefix = "1sp" if kind == "registry" else "1c"
    assert_error(api.delete(f"{BASE}/{COLLECTION[kind]}/{prefix}99999"), 404, "Not Found")


# --------------------------------------------------------------------------- registrationToken


@pytest.mark.parametrize("state", ["active", "inactive", "removed"])
def test_registration_token_put_and_delete_are_405(api: Client, state: str) -> None:
    doc = to_state(api, "token", state)
    response = api.put(doc["links"]["self"], json={"name": "renamed", "description": "x"})
    error = assert_error(response, 405, "Method not allowed")
    assert error["message"] == "Method not allowed"
    assert_error(api.delete(doc["links"]["self"]), 405, "Method not allowed")
    assert get(api, doc) == doc


def test_registration_token_retired_through_actions(api: Client) -> None:
    doc = to_state(api, "token", "purged")
    assert doc["state"] == "purged"
    assert get(api, doc)["removed"] is not None


# --------------------------------------------------------------------------- PUT (§1.8)


@pytest.mark.parametrize("state", ["active", "inactive", "removed", "purged"])
@pytest.mark.parametrize("kind", DELETABLE)
def test_put_is_synchronous_in_any_resting_state(api: Client, kind: str, state: str) -> None:
    doc = to_state(api, kind, state)
    response = api.put(doc["links"]["self"], json={"name": "renamed", "description": "words"})
    assert response.status_code == 200, response.get_data(as_text=True)
    updated = body(response)
    assert updated["type"] == TYPE[kind]
    assert updated["name"] == "renamed"
    assert updated["description"] == "words"
    assert_state(updated, state)
    again = get(api, doc)
    assert again["name"] == "renamed"
    assert again["description"] == "words"
    assert_state(again, state)


@pytest.mark.parametrize(
    "state", ["registering", "activating", "deactivating", "updating-active", "removing"]
)
@pytest.mark.parametrize("kind", DELETABLE)
def test_put_during_transition_keeps_the_transition(
    clock: tuple[Client, Frozen], kind: str, state: str
) -> None:
    api, frozen = clock
    doc = drive(api, frozen, kind, state)
    response = api.put(doc["links"]["self"], json={"name": "mid-flight"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert_state(body(response), state)
    assert body(response)["name"] == "mid-flight"
    frozen.tick(1)
    assert_state(get(api, doc), state)
    frozen.tick(4)
    after = get(api, doc)
    assert after["state"] != state
    assert after["name"] == "mid-flight"


@pytest.mark.parametrize("kind", DELETABLE)
def test_put_only_changes_sent_fields(api: Client, kind: str) -> None:
    doc = get(api, new(api, kind, name="n", description="d"))
    response = api.put(doc["links"]["self"], json={"description": "d2"})
    assert response.status_code == 200
    after = get(api, doc)
    assert after["name"] == "n"
    assert after["description"] == "d2"
    response = api.put(doc["links"]["self"], json={"name": None})
    assert response.status_code == 200
    assert body(response)["name"] is None
    assert get(api, doc)["description"] == "d2"


def test_put_drops_unknown_and_read_only_credential_fields(api: Client) -> None:
    doc = get(api, new(api, "credential", name="n"))
    other = get(api, new(api, "registry"))
    payload = {
        "registryId": other["id"],
        "id": "1c99999",
        "kind": "registry",
        "type": "registry",
        "state": "inactive",
        "accountId": "1a1",
        "uuid": "00000000-0000-4000-8000-000000000000",
        "created": "2000-01-01T00:00:00Z",
        "removed": "2000-01-01T00:00:00Z",
        "transitioning": "yes",
        "transitioningMessage": "nope",
        "transitioningProgress": 50,
        "baseType": "storagePool",
        "unknownField": "x",
        "publicValue": "new-user",
    }
    response = api.put(doc["links"]["self"], json=payload)
    assert response.status_code == 200, response.get_data(as_text=True)
    updated = body(response)
    assert "unknownField" not in updated
    assert updated["publicValue"] == "new-user"
    after = get(api, doc)
    expected = {**doc, "publicValue": "new-user"}
    assert after == expected
    assert after["registryId"] == doc["registryId"]


def test_put_drops_create_only_server_address(api: Client) -> None:
    doc = get(api, new(api, "registry"))
    response = api.put(
        doc["links"]["self"],
        json={"serverAddress": "changed.example.com", "driverName": "x", "name": "renamed"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    after = get(api, doc)
    assert after["serverAddress"] == doc["serverAddress"]
    assert after["driverName"] is None
    assert after["name"] == "renamed"
    assert after["state"] == "active"


def test_put_credential_secret_fields(api: Client) -> None:
    created = new(api, "credential")
    assert created["secretValue"] == "hunter2"  # echoed on the create POST only
    doc = get(api, created)
    assert doc["secretValue"] is None
    response = api.put(
        doc["links"]["self"],
        json={"publicValue": "u2", "secretValue": "s2", "email": "new@example.com"},
    )
    assert response.status_code == 200
    updated = body(response)
    assert updated["publicValue"] == "u2"
    assert updated["email"] == "new@example.com"
    assert updated["secretValue"] is None
    after = get(api, doc)
    assert after["publicValue"] == "u2"
    assert after["email"] == "new@example.com"
    assert after["secretValue"] is None
    assert_state(after, "active")


# --------------------------------------------------------------------------- registry purge cascade


def _registry_with_credentials(api: Client) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    registry = get(api, new(api, "registry"))
    rid = registry["id"]
    creds = {}
    for label in ["active", "inactive", "removed", "purged"]:
        cred = get(api, post_create(api, "registrycredentials", _cred_body(rid, label)))
        if label != "active":
            act(api, cred, "deactivate")
            cred = get(api, cred)
        if label in ("removed", "purged"):
            act(api, cred, "remove")
            cred = get(api, cred)
        if label == "purged":
            act(api, cred, "purge")
            cred = get(api, cred)
        assert cred["state"] == label
        creds[label] = cred
    return registry, creds


def _cred_body(registry_id: str, label: str) -> dict[str, Any]:
    return {
        "registryId": registry_id,
        "email": f"{label}@example.com",
        "publicValue": label,
        "secretValue": "s",
        "name": label,
    }


def test_registry_purge_cascades_to_credentials(api: Client) -> None:
    registry, creds = _registry_with_credentials(api)
    bystander_registry = get(api, new(api, "registry"))
    bystander = get(
        api, post_create(api, "registrycredentials", _cred_body(bystander_registry["id"], "b"))
    )

    act(api, registry, "deactivate")
    registry = get(api, registry)
    response = api.delete(registry["links"]["self"])
    assert response.status_code == 200
    registry = get(api, registry)
    assert registry["state"] == "removed"
    # removing (not purging) the registry leaves its credentials alone
    assert get(api, creds["active"]) == creds["active"]
    assert get(api, creds["inactive"]) == creds["inactive"]

    act(api, registry, "purge")
    assert_state(get(api, registry), "purged")
    for label in ["active", "inactive"]:
        after = get(api, creds[label])
        assert_state(after, "removed")
        assert after["removed"] is not None
    assert get(api, creds["removed"]) == creds["removed"]
    assert get(api, creds["purged"]) == creds["purged"]
    assert get(api, bystander) == bystander
    remaining = listed_ids(api, "credential")
    assert creds["active"]["id"] not in remaining
    assert creds["inactive"]["id"] not in remaining
    assert bystander["id"] in remaining


def test_registry_purge_cascade_on_the_clock(clock: tuple[Client, Frozen]) -> None:
    api, frozen = clock
    registry = drive(api, frozen, "registry", "removed")
    cred = post_create(api, "registrycredentials", _cred_body(registry["id"], "late"))
    frozen.tick(10)
    cred = get(api, cred)
    assert_state(cred, "active")  # a credential against a removed registry is accepted
    act(api, registry, "purge")
    allowed = {"active", "deactivating", "inactive", "removing", "removed"}
    seen = []
    for _ in range(60):
        frozen.tick(1)
        now = get(api, cred)
        assert_consistent(now)
        assert now["state"] in allowed, now["state"]
        seen.append(now["state"])
    assert seen[-1] == "removed", seen
    assert_state(get(api, registry), "purged")


# ------------------------------------------------------------------ serverAddress / references


@pytest.mark.parametrize("duplicate", ["quay.io", "QUAY.IO", "Quay.Io"])
def test_server_address_used_case_insensitive(api: Client, duplicate: str) -> None:
    first = get(api, new(api, "registry", serverAddress="quay.io"))
    response = api.post(f"{BASE}/registries", json={"serverAddress": duplicate, "name": "again"})
    error = assert_error(response, 400, "ServerAddressUsed")
    assert error["message"] == "ServerAddressUsed"
    assert listed_ids(api, "registry") == {first["id"]}


def test_server_address_used_while_inactive(api: Client) -> None:
    first = to_state(api, "registry", "inactive")
    response = api.post(f"{BASE}/registries", json={"serverAddress": first["serverAddress"]})
    assert_error(response, 400, "ServerAddressUsed")


def test_server_address_used_while_registering(clock: tuple[Client, Frozen]) -> None:
    api, _ = clock
    new(api, "registry", serverAddress="docker.io")
    response = api.post(f"{BASE}/registries", json={"serverAddress": "DOCKER.io"})
    assert_error(response, 400, "ServerAddressUsed")


@pytest.mark.parametrize("state", ["removed", "purged"])
def test_server_address_reusable_after_removal(api: Client, state: str) -> None:
    first = get(api, new(api, "registry", serverAddress="quay.io"))
    act(api, first, "deactivate")
    assert api.delete(first["links"]["self"]).status_code == 200
    first = get(api, first)
    assert first["state"] == "removed"
    if state == "purged":
        act(api, first, "purge")
        assert get(api, first)["state"] == "purged"
    response = api.post(f"{BASE}/registries", json={"serverAddress": "Quay.IO"})
    assert response.status_code == 201, response.get_data(as_text=True)
    second = body(response)
    assert second["id"] != first["id"]
    assert second["serverAddress"] == "Quay.IO"
    assert get(api, second)["state"] == "active"
    # and the new one blocks a third
    assert_error(
        api.post(f"{BASE}/registries", json={"serverAddress": "quay.io"}), 400, "ServerAddressUsed"
    )


def test_different_server_addresses_coexist(api: Client) -> None:
    a = new(api, "registry", serverAddress="quay.io")
    b = new(api, "registry", serverAddress="quay.io:443")
    c = new(api, "registry", serverAddress="index.docker.io")
    assert len({a["id"], b["id"], c["id"]}) == 3


@pytest.mark.parametrize("registry_id", ["1sp99999", "1sp0", "nonsense", "99999"])
def test_credential_with_unknown_registry_is_invalid_reference(
    api: Client, registry_id: str
) -> None:
    get(api, new(api, "registry"))
    response = api.post(
        f"{BASE}/registrycredentials",
        json={"registryId": registry_id, "email": "a@b.c", "publicValue": "u"},
    )
    error = assert_error(response, 422, "InvalidReference")
    assert error["fieldName"] == "registryId"
    assert listed_ids(api, "credential", _removed="true") == set()


@pytest.mark.parametrize("state", ["inactive", "removed", "purged"])
def test_credential_against_unavailable_registry_is_accepted(api: Client, state: str) -> None:
    registry = to_state(api, "registry", state)
    response = api.post(
        f"{BASE}/registrycredentials",
        json={"registryId": registry["id"], "email": "a@b.c", "publicValue": "u"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    cred = body(response)
    assert cred["registryId"] == registry["id"]
    assert_state(get(api, cred), "active")


def test_credential_registry_id_is_echoed_in_prefixed_form(api: Client) -> None:
    registry = get(api, new(api, "registry"))
    assert registry["id"].startswith("1sp")
    cred = get(
        api,
        post_create(api, "registrycredentials", {"registryId": registry["id"], "email": "a@b.c"}),
    )
    assert cred["id"].startswith("1c")
    assert cred["registryId"] == registry["id"]
    link = api.get(cred["links"]["registry"])
    assert link.status_code == 200
    assert body(link)["id"] == registry["id"]


def test_timestamps_on_the_clock() -> None:
    with freeze_time(FROZEN_AT):
        api = Client(FakeRancher().wsgi_app)
        doc = new(api, "token")
        assert doc["created"] == "2024-03-01T12:00:00Z"
        assert doc["createdTS"] == FROZEN_EPOCH * 1000
