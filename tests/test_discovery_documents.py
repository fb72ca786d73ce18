"""Black-box tests of discovery (`/v1`, `/v1/schemas`), resource documents, registration tokens
and project scoping (spec §2.1-2.5, §3.1, §3.4, §3.6, §6), all through HTTP as a client sees them.
"""

from __future__ import annotations

import itertools
import re
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from werkzeug.test import Client, TestResponse

from fakerancher import FakeRancher

HOST = "http://localhost"
BASE = f"{HOST}/v1"
SCHEMAS = f"{BASE}/schemas"
P5 = f"{BASE}/projects/1a5"

FROZEN = "2018-02-10 08:00:05"
FROZEN_DATE = "2018-02-10T08:00:05Z"
FROZEN_TS = 1518249605000
YEAR_2018_MARKER = 1514678400000  # 2017-12-31T00:00:00Z

AGENT_IMAGE = "rancher/agent:v1.2.11"
COMMAND_PREFIX = (
    "sudo docker run --rm --privileged -v /var/run/docker.sock:/var/run/docker.sock "
    "-v /var/lib/rancher:/var/lib/rancher rancher/agent:v1.2.11 "
)
WINDOWS_COMMAND = (
    'docker run --rm -v "C:\\Program Files\\rancher:C:\\Program Files\\rancher" '
    "rancher/agent-windows:v0.2.0"
)
TOKEN_PATTERN = re.compile(r"([0-9A-F]{20}):([0-9]+):([A-Za-z0-9]{20,27})")

_addresses = itertools.count(1)


# --------------------------------------------------------------------------- helpers


def body(response: TestResponse) -> dict[str, Any]:
    data = response.get_json(force=True)
    assert isinstance(data, dict), response.get_data(as_text=True)
    return data


def get(api: Client, url: str, **kwargs: Any) -> dict[str, Any]:
    response = api.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return body(response)


def create(api: Client, url: str, payload: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = api.post(url, json=payload, **kwargs)
    assert response.status_code == 201, response.get_data(as_text=True)
    return body(response)


def settled(api: Client, doc: dict[str, Any]) -> dict[str, Any]:
    return get(api, doc["links"]["self"])


def act(api: Client, doc: dict[str, Any], name: str) -> dict[str, Any]:
    response = api.post(doc["actions"][name])
    assert response.status_code == 202, response.get_data(as_text=True)
    return body(response)


def unique_address() -> str:
    return f"disc-{next(_addresses)}.example.com"


def new_registry(api: Client, root: str = BASE, **fields: Any) -> dict[str, Any]:
    return create(api, f"{root}/registries", {"serverAddress": unique_address(), **fields})


def credential_body(registry_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "registryId": registry_id,
        "email": "ci@example.com",
        "publicValue": "robot",
        "secretValue": "hunter2",
        **fields,
    }


def new_credential(
    api: Client, registry_id: str, root: str = BASE, **fields: Any
) -> dict[str, Any]:
    return create(api, f"{root}/registrycredentials", credential_body(registry_id, **fields))


def new_token(api: Client, root: str = BASE, **fields: Any) -> dict[str, Any]:
    return create(api, f"{root}/registrationtokens", fields)


def schema_doc(api: Client, schema_id: str) -> dict[str, Any]:
    return get(api, f"{SCHEMAS}/{schema_id}")


def ids(collection: dict[str, Any]) -> list[str]:
    return [item["id"] for item in collection["data"]]


def number(resource_id: str, prefix: str) -> int:
    match = re.fullmatch(rf"{prefix}([0-9]+)", resource_id)
    assert match is not None, resource_id
    return int(match.group(1))


def retire(api: Client, doc: dict[str, Any]) -> dict[str, Any]:
    """Deactivate, then remove (the only way to retire a token: no DELETE on it)."""
    inactive = settled(api, act(api, settled(api, doc), "deactivate"))
    assert inactive["state"] == "inactive"
    removed = settled(api, act(api, inactive, "remove"))
    assert removed["state"] == "removed"
    return removed


@pytest.fixture
def registry(api: Client) -> dict[str, Any]:
    return settled(api, new_registry(api, name="Quay"))


@pytest.fixture
def credential(api: Client, registry: dict[str, Any]) -> dict[str, Any]:
    return settled(api, new_credential(api, registry["id"]))


@pytest.fixture
def token(api: Client) -> dict[str, Any]:
    return settled(api, new_token(api))


@pytest.fixture
def other_project(fake: FakeRancher, api: Client) -> str:
    """A second environment, added from Python; its id as the API shows it."""
    fake.create("project", name="Staging")
    projects = get(api, f"{BASE}/projects")["data"]
    staging = [p["id"] for p in projects if p["name"] == "Staging"]
    assert len(staging) == 1, projects
    assert staging[0] != "1a5"
    return str(staging[0])


# --------------------------------------------------------------------------- expected schemas
# Spec §6.5 (verbatim live v1 dump for the project role) and its listed differences.


def fld(type_: str, *, create: bool = False, update: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "description": None,
        "create": create,
        "update": update,
        "readOnCreateOnly": False,
        **extra,
    }


CREDENTIAL_STATES = [
    "activating",
    "active",
    "deactivating",
    "inactive",
    "purged",
    "purging",
    "registering",
    "removed",
    "removing",
    "requested",
    "updating-active",
    "updating-inactive",
]
REGISTRY_STATES = sorted([*CREDENTIAL_STATES, "restoring"])

STRING_MODS = ["eq", "ne", "prefix", "like", "notlike", "null", "notnull"]
ORDERED_MODS = ["eq", "ne", "lt", "lte", "gt", "gte", "null", "notnull"]
EQUALITY_MODS = ["eq", "ne", "null", "notnull"]


def common_fields(states: list[str]) -> dict[str, dict[str, Any]]:
    return {
        "accountId": fld("reference[account]", nullable=True, maxLength=255),
        "created": fld("date", nullable=True, maxLength=255),
        "description": fld("string", create=True, update=True, nullable=True, maxLength=1024),
        "id": fld("int", nullable=True),
        "kind": fld("string", nullable=True, maxLength=255),
        "name": fld("string", create=True, update=True, nullable=True, maxLength=255),
        "removed": fld("date", nullable=True, maxLength=255),
        "state": fld("enum", maxLength=128, options=states),
        "transitioning": fld("enum", options=["yes", "no", "error"]),
        "transitioningMessage": fld("string", nullable=True),
        "transitioningProgress": fld("int", nullable=True),
        "uuid": fld("string", nullable=True, maxLength=128),
    }


CREDENTIAL_FILTERS = {
    "accountId": EQUALITY_MODS,
    "created": ORDERED_MODS,
    "description": STRING_MODS,
    "id": ORDERED_MODS,
    "kind": STRING_MODS,
    "name": STRING_MODS,
    "publicValue": STRING_MODS,
    "registryId": EQUALITY_MODS,
    "removeTime": ORDERED_MODS,
    "removed": ORDERED_MODS,
    "secretValue": STRING_MODS,
    "state": EQUALITY_MODS,
    "uuid": STRING_MODS,
}


def credential_actions(output: str, *names: str) -> dict[str, Any]:
    return {name: {"input": None, "output": output} for name in names}


CREDENTIAL_ACTION_ORDER = ["update", "activate", "remove", "deactivate", "create", "purge"]
REGISTRY_ACTION_ORDER = ["update", "activate", "remove", "restore", "deactivate", "create", "purge"]

EXPECTED_SCHEMAS: dict[str, dict[str, Any]] = {
    "registryCredential": {
        "id": "registryCredential",
        "type": "schema",
        "links": {
            "self": f"{SCHEMAS}/registrycredential",
            "collection": f"{BASE}/registrycredentials",
        },
        "actions": {},
        "pluralName": "registryCredentials",
        "resourceFields": {
            **common_fields(CREDENTIAL_STATES),
            "publicValue": fld("string", create=True, update=True, nullable=True, maxLength=4096),
            "registryId": fld("reference[registry]", create=True, required=True, maxLength=255),
            "secretValue": {
                **fld("password", create=True, update=True, nullable=True, maxLength=4096),
                "readOnCreateOnly": True,
            },
            "email": fld("string", create=True, update=True, required=True, minLength=1),
        },
        "collectionFilters": {k: {"modifiers": v} for k, v in CREDENTIAL_FILTERS.items()},
        "includeableLinks": ["images", "account", "registry", "instances"],
        "resourceActions": credential_actions("credential", *CREDENTIAL_ACTION_ORDER),
        "collectionActions": {},
        "collectionFields": {},
        "resourceMethods": ["GET", "PUT", "DELETE"],
        "collectionMethods": ["GET", "POST"],
    },
    "registrationToken": {
        "id": "registrationToken",
        "type": "schema",
        "links": {
            "self": f"{SCHEMAS}/registrationtoken",
            "collection": f"{BASE}/registrationtokens",
        },
        "actions": {},
        "pluralName": "registrationTokens",
        "resourceFields": {
            **common_fields(CREDENTIAL_STATES),
            "command": fld("string"),
            "image": fld("string"),
            "token": fld("string"),
            "registrationUrl": fld("string"),
        },
        "collectionFilters": {k: {"modifiers": v} for k, v in CREDENTIAL_FILTERS.items()},
        "includeableLinks": ["images", "account", "instances"],
        "resourceActions": credential_actions("credential", *CREDENTIAL_ACTION_ORDER),
        "collectionActions": {},
        "collectionFields": {},
        "resourceMethods": ["GET"],
        "collectionMethods": ["GET", "POST"],
    },
    "registry": {
        "id": "registry",
        "type": "schema",
        "links": {"self": f"{SCHEMAS}/registry", "collection": f"{BASE}/registries"},
        "actions": {},
        "pluralName": "registries",
        "resourceFields": {
            **common_fields(REGISTRY_STATES),
            "blockDevicePath": fld("string", nullable=True),
            "driverName": fld("string", nullable=True, maxLength=255),
            "externalId": fld("string", nullable=True, maxLength=128),
            "volumeAccessMode": fld("string", nullable=True, maxLength=255),
            "volumeCapabilities": fld("array[string]", nullable=True),
            "serverAddress": fld("string", create=True, required=True, minLength=1),
        },
        # Checked separately: the spec lists the registry filter names, not their modifiers.
        "collectionFilters": None,
        "includeableLinks": ["hosts", "images", "account", "credentials", "volumes"],
        "resourceActions": credential_actions("storagePool", *REGISTRY_ACTION_ORDER),
        "collectionActions": {},
        "collectionFields": {},
        "resourceMethods": ["GET", "PUT", "DELETE"],
        "collectionMethods": ["GET", "POST"],
    },
    # The `schema` schema as in the live v1 dumps (go-rancher docs/input/schemas.json).
    "schema": {
        "id": "schema",
        "type": "schema",
        "links": {"self": f"{SCHEMAS}/schema", "collection": SCHEMAS},
        "actions": {},
        "pluralName": "schemas",
        "resourceFields": {
            "collectionActions": fld("map[json]", create=True),
            "collectionFields": fld("map[json]", create=True),
            "collectionFilters": fld("map[json]", create=True),
            "collectionMethods": fld("array[string]", create=True),
            "includeableLinks": fld("array[string]", create=True),
            "pluralName": fld("string", create=True),
            "resourceActions": fld("map[json]", create=True),
            "resourceFields": fld("map[json]", create=True),
            "resourceMethods": fld("array[string]", create=True),
        },
        "collectionFilters": {},
        "includeableLinks": [],
        "resourceActions": {},
        "collectionActions": {},
        "collectionFields": {},
        "resourceMethods": ["GET"],
        "collectionMethods": ["GET"],
    },
}

REGISTRY_FILTER_NAMES = [
    "accountId",
    "agentId",
    "created",
    "description",
    "driverName",
    "external",
    "externalId",
    "id",
    "kind",
    "name",
    "physicalTotalSizeMb",
    "removeTime",
    "removed",
    "state",
    "uuid",
    "virtualTotalSizeMb",
    "volumeAccessMode",
    "zoneId",
]
# Spec §3.7: strings -> string modifiers, dates/ids -> ordered, references/enums -> equality.
REGISTRY_FILTER_MODIFIERS = {
    "accountId": EQUALITY_MODS,
    "created": ORDERED_MODS,
    "description": STRING_MODS,
    "driverName": STRING_MODS,
    "externalId": STRING_MODS,
    "id": ORDERED_MODS,
    "kind": STRING_MODS,
    "name": STRING_MODS,
    "removeTime": ORDERED_MODS,
    "removed": ORDERED_MODS,
    "state": EQUALITY_MODS,
    "uuid": STRING_MODS,
    "volumeAccessMode": STRING_MODS,
}

SCHEMA_KEYS = [
    "id",
    "type",
    "links",
    "actions",
    "pluralName",
    "resourceFields",
    "collectionFilters",
    "includeableLinks",
    "resourceActions",
    "collectionActions",
    "collectionFields",
    "resourceMethods",
    "collectionMethods",
    # Present on every schema since gdapi sends base types (cattle 7ecc9d6a5, 2016-09-30);
    # confirmed by the v2-beta dump, the same Java code for v1.
    "baseType",
]


# =========================================================================== discovery: /v1


def test_version_document(api: Client) -> None:
    response = api.get(BASE)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-API-Schemas"] == SCHEMAS
    assert body(response) == {
        "id": "v1",
        "type": "apiVersion",
        "links": {
            "self": BASE,
            "accounts": f"{BASE}/accounts",
            "apiKeys": f"{BASE}/apikeys",
            "projectMembers": f"{BASE}/projectmembers",
            "projects": f"{BASE}/projects",
            "registrationTokens": f"{BASE}/registrationtokens",
            "registries": f"{BASE}/registries",
            "registryCredentials": f"{BASE}/registrycredentials",
            "schemas": SCHEMAS,
            "settings": f"{BASE}/settings",
        },
        "actions": {},
        "baseType": "apiVersion",
    }


def test_version_links_keyed_by_sorted_plural_name(api: Client) -> None:
    links = list(get(api, BASE)["links"])
    assert links[0] == "self"
    assert links[1:] == sorted(links[1:])


def test_version_has_one_link_per_listable_schema(api: Client) -> None:
    links = dict(get(api, BASE)["links"])
    del links["self"]
    expected = {
        s["pluralName"]: s["links"]["collection"]
        for s in get(api, SCHEMAS)["data"]
        if "GET" in s["collectionMethods"]
    }
    assert links == expected


def test_version_links_are_lower_case_and_followable(api: Client) -> None:
    links = get(api, BASE)["links"]
    for name, url in links.items():
        if name == "self":
            continue
        assert url == url.lower() and url.startswith(f"{BASE}/"), url
        doc = get(api, url)
        assert doc["type"] == "collection", name


def test_urls_follow_the_request_host_lower_cased(api: Client) -> None:
    host = "http://Rancher.Example:8080"
    base = "http://rancher.example:8080/v1"
    response = api.get("/v1", base_url=host)
    assert response.headers["X-API-Schemas"] == f"{base}/schemas"
    links = body(response)["links"]
    assert links["self"] == base
    assert links["registries"] == f"{base}/registries"
    created = api.post("/v1/registrationtokens", base_url=host)
    assert body(created)["links"]["self"].startswith(f"{base}/registrationtokens/")


def test_api_root_answers_the_v1_version_document(api: Client) -> None:
    # Cattle 1.6 (since 80229bf25): `/` runs as the root version, v1.
    response = api.get(f"{HOST}/")
    assert response.headers["X-API-Schemas"] == SCHEMAS
    doc = body(response)
    assert (doc["id"], doc["type"], doc["links"]["self"]) == ("v1", "apiVersion", f"{HOST}/")
    assert doc["links"]["registries"] == f"{BASE}/registries"


# =========================================================================== discovery: schemas


def test_schemas_collection_envelope(api: Client) -> None:
    response = api.get(SCHEMAS)
    assert response.status_code == 200
    assert response.headers["X-API-Schemas"] == SCHEMAS
    doc = body(response)
    data = doc.pop("data")
    assert doc == {
        "type": "collection",
        "resourceType": "schema",
        "links": {"self": SCHEMAS},
        "createTypes": {},
        "actions": {},
        "sortLinks": {},
        "pagination": None,
        "sort": None,
        "filters": {},
        "createDefaults": {},
    }
    found = {item["id"] for item in data}
    assert {"registryCredential", "registrationToken", "registry", "project", "schema"} <= found
    assert all(item["type"] == "schema" for item in data)


def test_schemas_collection_items_equal_single_schema_documents(api: Client) -> None:
    for item in get(api, SCHEMAS)["data"]:
        assert item["links"]["self"] == f"{SCHEMAS}/{item['id'].lower()}"
        assert get(api, item["links"]["self"]) == item


@pytest.mark.parametrize("schema_id", ["registryCredential", "registrationToken", "registry"])
def test_schema_fields_field_by_field(api: Client, schema_id: str) -> None:
    expected = EXPECTED_SCHEMAS[schema_id]["resourceFields"]
    fields = schema_doc(api, schema_id)["resourceFields"]
    for name, definition in expected.items():
        assert fields.get(name) == definition, name
    assert sorted(fields) == sorted(expected)


@pytest.mark.parametrize("schema_id", sorted(EXPECTED_SCHEMAS))
def test_schema_document_matches_v1_dump(api: Client, schema_id: str) -> None:
    doc = schema_doc(api, schema_id)
    # The dumps predate `baseType` (2016-09-30), which every later schema carries.
    expected = {**EXPECTED_SCHEMAS[schema_id], "baseType": "schema"}
    if expected["collectionFilters"] is None:
        expected["collectionFilters"] = doc["collectionFilters"]
    assert list(doc) == SCHEMA_KEYS
    assert doc == expected


@pytest.mark.parametrize(
    ("schema_id", "order"),
    [
        ("registryCredential", CREDENTIAL_ACTION_ORDER),
        ("registrationToken", CREDENTIAL_ACTION_ORDER),
        ("registry", REGISTRY_ACTION_ORDER),
    ],
)
def test_schema_resource_actions_in_dump_order(
    api: Client, schema_id: str, order: list[str]
) -> None:
    assert list(schema_doc(api, schema_id)["resourceActions"]) == order


def test_state_options_are_alphabetical(api: Client) -> None:
    for schema_id in ("registryCredential", "registrationToken", "registry"):
        options = schema_doc(api, schema_id)["resourceFields"]["state"]["options"]
        assert options == sorted(options), schema_id
    registry_options = schema_doc(api, "registry")["resourceFields"]["state"]["options"]
    assert "restoring" in registry_options
    assert (
        "restoring"
        not in schema_doc(api, "registryCredential")["resourceFields"]["state"]["options"]
    )


def test_registry_collection_filters(api: Client) -> None:
    filters = schema_doc(api, "registry")["collectionFilters"]
    assert list(filters) == REGISTRY_FILTER_NAMES
    for name, modifiers in REGISTRY_FILTER_MODIFIERS.items():
        assert filters[name] == {"modifiers": modifiers}, name
    for name, spec in filters.items():
        assert set(spec) == {"modifiers"}, name
        assert spec["modifiers"][0] == "eq", name
        assert spec["modifiers"][-2:] == ["null", "notnull"], name
    assert "serverAddress" not in filters


def test_schema_field_flags_only_when_not_default(api: Client) -> None:
    """gdapi Field is NON_DEFAULT: `nullable`/`required` only when true, limits only when set."""
    for schema in get(api, SCHEMAS)["data"]:
        for name, definition in schema["resourceFields"].items():
            where = f"{schema['id']}.{name}"
            assert {"type", "description", "create", "update", "readOnCreateOnly"} <= set(
                definition
            ), where
            assert definition["description"] is None, where
            for flag in ("nullable", "required"):
                assert definition.get(flag, True) is True, where
            allowed = {
                "type",
                "description",
                "create",
                "update",
                "readOnCreateOnly",
                "nullable",
                "required",
                "default",
                "minLength",
                "maxLength",
                "options",
            }
            assert set(definition) <= allowed, where


def test_project_schema(api: Client) -> None:
    doc = schema_doc(api, "project")
    assert list(doc) == SCHEMA_KEYS
    assert doc["id"] == "project"
    assert doc["type"] == "schema"
    assert doc["pluralName"] == "projects"
    assert doc["links"] == {"self": f"{SCHEMAS}/project", "collection": f"{BASE}/projects"}
    assert "GET" in doc["collectionMethods"]
    assert "GET" in doc["resourceMethods"]
    for name in ("id", "name", "state", "kind", "uuid", "created", "description"):
        assert name in doc["resourceFields"], name
    assert get(api, doc["links"]["collection"])["resourceType"] == "project"


@pytest.mark.parametrize(
    "name",
    [
        "registryCredential",
        "registrycredential",
        "REGISTRYCREDENTIAL",
        "registrycredentials",
        "registryCredentials",
        "RegistryCredentials",
    ],
)
def test_schema_lookup_is_case_insensitive_singular_or_plural(api: Client, name: str) -> None:
    doc = schema_doc(api, name)
    assert doc["id"] == "registryCredential"
    assert doc["links"]["self"] == f"{SCHEMAS}/registrycredential"
    assert doc == schema_doc(api, "registryCredential")


@pytest.mark.parametrize("name", ["registries", "REGISTRY", "Registries"])
def test_schema_lookup_registry_plural(api: Client, name: str) -> None:
    assert schema_doc(api, name)["id"] == "registry"


@pytest.mark.parametrize("path", ["/schemas/nosuchtype", "/schemas/credentials", "/SCHEMAS/nope"])
def test_unknown_schema_is_404(api: Client, path: str) -> None:
    response = api.get(f"{BASE}{path}")
    assert response.status_code == 404
    assert body(response)["code"] == "Not Found"
    assert response.headers["X-API-Schemas"] == SCHEMAS


def test_schemas_collection_is_case_insensitive(api: Client) -> None:
    assert ids(get(api, f"{BASE}/SCHEMAS")) == ids(get(api, SCHEMAS))
    assert ids(get(api, f"{BASE}/schema")) == ids(get(api, SCHEMAS))


@pytest.mark.parametrize("schema_id", ["registryCredential", "registrationToken", "registry"])
def test_schema_links_are_lower_case(api: Client, schema_id: str) -> None:
    doc = schema_doc(api, schema_id)
    for url in doc["links"].values():
        assert url == url.lower()


# =========================================================================== X-API-Schemas


@pytest.mark.parametrize(
    ("method", "path", "status", "schemas"),
    [
        ("GET", "/v1", 200, SCHEMAS),
        ("GET", "/", 200, SCHEMAS),
        ("GET", "/v1/schemas", 200, SCHEMAS),
        ("GET", "/v1/schemas/registry", 200, SCHEMAS),
        ("GET", "/v1/registries", 200, SCHEMAS),
        ("GET", "/v1/projects", 200, SCHEMAS),
        ("GET", "/v1/projects/1a5", 200, SCHEMAS),
        ("GET", "/v1/projects/1a5/registries", 200, f"{P5}/schemas"),
        ("GET", "/v1/projects/1a5/schemas", 200, f"{P5}/schemas"),
        ("GET", "/v1/nosuchtype", 404, SCHEMAS),
        ("GET", "/v1/registries/1sp999", 404, SCHEMAS),
        ("GET", "/v1/schemas/nosuchtype", 404, SCHEMAS),
        ("GET", "/v1/projects/1a5/registries/1sp999", 404, f"{P5}/schemas"),
        # The project path is rewritten before the authenticator refuses it.
        ("GET", "/v1/projects/1a999/registries", 403, f"{HOST}/v1/projects/1a999/schemas"),
        ("GET", "/v1/scripts/NOPE:1:nope", 404, SCHEMAS),
        ("DELETE", "/v1/registries", 405, SCHEMAS),
        ("PUT", "/v1/schemas", 405, SCHEMAS),
        ("POST", "/v1/registries", 422, SCHEMAS),
    ],
)
def test_x_api_schemas_on_every_response(
    api: Client, method: str, path: str, status: int, schemas: str
) -> None:
    response = api.open(f"{HOST}{path}", method=method, json={} if method == "POST" else None)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["X-API-Schemas"] == schemas


def test_x_api_schemas_on_script_responses(api: Client, token: dict[str, Any]) -> None:
    response = api.get(token["registrationUrl"])
    assert response.status_code == 200
    assert response.headers["X-API-Schemas"] == SCHEMAS


def test_x_api_schemas_on_a_bad_body(api: Client) -> None:
    response = api.post(f"{BASE}/registries", data=b"{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.headers["X-API-Schemas"] == SCHEMAS


# =========================================================================== resource documents


def test_registry_document(api: Client) -> None:
    with freeze_time(FROZEN):
        created = new_registry(api, name="Quay", serverAddress="quay.io")
        doc = settled(api, created)
    rid = doc["id"]
    self_url = f"{BASE}/registries/{rid}"
    uuid.UUID(doc.pop("uuid"), version=4)
    assert doc == {
        "id": rid,
        "type": "registry",
        "links": {
            "self": self_url,
            "account": f"{self_url}/account",
            "credentials": f"{self_url}/credentials",
            "hosts": f"{self_url}/hosts",
            "images": f"{self_url}/images",
            "volumes": f"{self_url}/volumes",
        },
        "actions": {
            "update": f"{self_url}/?action=update",
            "deactivate": f"{self_url}/?action=deactivate",
        },
        "baseType": "storagePool",
        "name": "Quay",
        "state": "active",
        "accountId": "1a5",
        "blockDevicePath": None,
        "created": FROZEN_DATE,
        "createdTS": FROZEN_TS,
        "description": None,
        "driverName": None,
        "externalId": None,
        "kind": "registry",
        "removed": None,
        "serverAddress": "quay.io",
        "transitioning": "no",
        "transitioningMessage": None,
        "transitioningProgress": None,
        "volumeAccessMode": None,
        "volumeCapabilities": None,
    }


def test_registry_credential_document(api: Client, registry: dict[str, Any]) -> None:
    with freeze_time(FROZEN):
        created = new_credential(api, registry["id"], email="test@rancher.com")
        doc = settled(api, created)
    cid = doc["id"]
    self_url = f"{BASE}/registrycredentials/{cid}"
    uuid.UUID(doc.pop("uuid"), version=4)
    assert doc == {
        "id": cid,
        "type": "registryCredential",
        "links": {
            "self": self_url,
            "account": f"{self_url}/account",
            "images": f"{self_url}/images",
            "instances": f"{self_url}/instances",
            "registry": f"{self_url}/registry",
        },
        "actions": {
            "update": f"{self_url}/?action=update",
            "deactivate": f"{self_url}/?action=deactivate",
        },
        "baseType": "credential",
        "name": None,
        "state": "active",
        "accountId": "1a5",
        "created": FROZEN_DATE,
        "createdTS": FROZEN_TS,
        "description": None,
        "email": "test@rancher.com",
        "kind": "registryCredential",
        "publicValue": "robot",
        "registryId": registry["id"],
        "removed": None,
        "secretValue": None,
        "transitioning": "no",
        "transitioningMessage": None,
        "transitioningProgress": None,
    }


def test_registration_token_document(api: Client) -> None:
    with freeze_time(FROZEN):
        doc = settled(api, new_token(api))
    tid = doc["id"]
    self_url = f"{BASE}/registrationtokens/{tid}"
    token_value = doc["token"]
    script_url = f"{BASE}/scripts/{token_value}"
    uuid.UUID(doc.pop("uuid"), version=4)
    doc.pop("windowsCommand", None)  # late 1.6 builds only (spec §2.5)
    assert doc == {
        "id": tid,
        "type": "registrationToken",
        "links": {
            "self": self_url,
            "account": f"{self_url}/account",
            "images": f"{self_url}/images",
            "instances": f"{self_url}/instances",
            "registrationUrl": script_url,
        },
        "actions": {
            "update": f"{self_url}/?action=update",
            "deactivate": f"{self_url}/?action=deactivate",
        },
        "baseType": "credential",
        "name": None,
        "state": "active",
        "accountId": "1a5",
        "command": COMMAND_PREFIX + script_url,
        "created": FROZEN_DATE,
        "createdTS": FROZEN_TS,
        "description": None,
        "image": AGENT_IMAGE,
        "kind": "registrationToken",
        "registrationUrl": script_url,
        "removed": None,
        "token": token_value,
        "transitioning": "no",
        "transitioningMessage": None,
        "transitioningProgress": None,
    }


def test_windows_command_when_present_is_the_spec_one(token: dict[str, Any]) -> None:
    assert token.get("windowsCommand", WINDOWS_COMMAND) == WINDOWS_COMMAND


def _documents(
    api: Client, registry: dict[str, Any], credential: dict[str, Any], token: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    return {
        "registry": settled(api, registry),
        "registryCredential": settled(api, credential),
        "registrationToken": settled(api, token),
        "project": get(api, P5),
    }


def test_every_schema_field_is_emitted(
    api: Client, registry: dict[str, Any], credential: dict[str, Any], token: dict[str, Any]
) -> None:
    envelope = {"type", "links", "actions", "baseType"}
    for type_id, doc in _documents(api, registry, credential, token).items():
        fields = set(schema_doc(api, type_id)["resourceFields"])
        keys = set(doc) - envelope - {"windowsCommand"}
        twins = {k for k in keys if k.endswith("TS") and k[:-2] in fields}
        assert keys - twins == fields, type_id
        for twin in twins:
            assert doc[twin[:-2]] is not None, twin


def test_key_order(
    api: Client, registry: dict[str, Any], credential: dict[str, Any], token: dict[str, Any]
) -> None:
    """id, type, links, actions, baseType, name, state, then the rest alphabetically (§2.1)."""
    for type_id, doc in _documents(api, registry, credential, token).items():
        keys = list(doc)
        head = ["id", "type", "links", "actions", "baseType", "name", "state"]
        assert keys[:7] == head, type_id
        assert keys[7:] == sorted(keys[7:]), type_id


def test_resources_have_type_kind_base_type_and_account(
    api: Client, registry: dict[str, Any], credential: dict[str, Any], token: dict[str, Any]
) -> None:
    base = {"registry": "storagePool", "registryCredential": "credential"}
    base["registrationToken"] = "credential"
    for type_id, doc in _documents(api, registry, credential, token).items():
        if type_id == "project":
            continue
        assert doc["type"] == type_id
        assert doc["kind"] == type_id
        assert doc["baseType"] == base[type_id]
        assert doc["accountId"] == "1a5"


def test_uuids_are_lower_case_v4_and_distinct(api: Client, registry: dict[str, Any]) -> None:
    docs = [
        settled(api, registry),
        settled(api, new_credential(api, registry["id"])),
        settled(api, new_credential(api, registry["id"])),
        settled(api, new_token(api)),
    ]
    uuids = [d["uuid"] for d in docs]
    for value in uuids:
        assert value == value.lower()
        assert uuid.UUID(value).version == 4
    assert len(set(uuids)) == len(uuids)


def test_credential_kinds_share_one_id_sequence(api: Client, registry: dict[str, Any]) -> None:
    cred_a = new_credential(api, registry["id"])
    token_a = new_token(api)
    cred_b = new_credential(api, registry["id"])
    token_b = new_token(api)
    numbers = [number(d["id"], "1c") for d in (cred_a, token_a, cred_b, token_b)]
    assert numbers == list(range(numbers[0], numbers[0] + 4))
    # A token id is not a registryCredential (and vice versa), though the numbers interleave.
    assert api.get(f"{BASE}/registrycredentials/{token_a['id']}").status_code == 404
    assert api.get(f"{BASE}/registrationtokens/{cred_a['id']}").status_code == 404


def test_registries_have_their_own_sequence(api: Client) -> None:
    first = new_registry(api)
    new_token(api)
    second = new_registry(api)
    assert number(second["id"], "1sp") == number(first["id"], "1sp") + 1
    assert first["id"].startswith("1sp")


def test_registry_id_reference_is_formatted(
    api: Client, registry: dict[str, Any], credential: dict[str, Any]
) -> None:
    assert credential["registryId"] == registry["id"]
    assert re.fullmatch(r"1sp[0-9]+", credential["registryId"])


def test_dates_drop_milliseconds() -> None:
    fake = FakeRancher()
    api = Client(fake.wsgi_app)
    with freeze_time("2018-02-10 08:00:05.750"):
        doc = new_registry(api)
    assert doc["created"] == FROZEN_DATE
    assert doc["createdTS"] == FROZEN_TS
    assert isinstance(doc["createdTS"], int)


@pytest.mark.parametrize("kind", ["registry", "registryCredential"])
def test_removed_date_and_its_ts_twin(api: Client, kind: str) -> None:
    with freeze_time(FROZEN) as frozen:
        registry = settled(api, new_registry(api))
        doc = registry if kind == "registry" else settled(api, new_credential(api, registry["id"]))
        assert doc["removed"] is None
        assert "removedTS" not in doc
        frozen.tick(timedelta(minutes=3))
        inactive = settled(api, act(api, doc, "deactivate"))
        frozen.tick(timedelta(seconds=7))
        response = api.delete(inactive["links"]["self"])
        assert response.status_code == 200
        removed = settled(api, body(response))
    assert removed["state"] == "removed"
    assert removed["removed"] == "2018-02-10T08:03:12Z"
    assert removed["removedTS"] == FROZEN_TS + 187_000
    assert removed["created"] == FROZEN_DATE
    assert removed["createdTS"] == FROZEN_TS


def test_links_and_actions_are_absolute_and_lower_case(
    api: Client, registry: dict[str, Any], credential: dict[str, Any], token: dict[str, Any]
) -> None:
    for type_id, doc in _documents(api, registry, credential, token).items():
        self_url = doc["links"]["self"]
        assert self_url.startswith(f"{BASE}/"), type_id
        for name, url in doc["links"].items():
            if name == "registrationUrl":
                head, _, _ = url.partition("/scripts/")
                assert head == head.lower() and head.startswith(BASE)
                continue
            assert url == url.lower(), (type_id, name)
            assert url == self_url or url == f"{self_url}/{name.lower()}" or type_id == "project"
        for name, url in doc["actions"].items():
            assert url == f"{self_url}/?action={name}", (type_id, name)


def test_all_links_are_followable(
    api: Client, registry: dict[str, Any], credential: dict[str, Any], token: dict[str, Any]
) -> None:
    for type_id, doc in _documents(api, registry, credential, token).items():
        for name, url in doc["links"].items():
            response = api.get(url)
            assert response.status_code == 200, (type_id, name, response.get_data(as_text=True))


def test_registry_credentials_link_is_a_collection_of_its_credentials(
    api: Client, registry: dict[str, Any], credential: dict[str, Any]
) -> None:
    other = settled(api, new_registry(api))
    new_credential(api, other["id"])
    doc = get(api, settled(api, registry)["links"]["credentials"])
    assert doc["type"] == "collection"
    assert doc["resourceType"] == "registryCredential"
    assert ids(doc) == [credential["id"]]
    assert doc["data"][0] == credential


def test_credential_registry_link_returns_the_registry(
    api: Client, registry: dict[str, Any], credential: dict[str, Any]
) -> None:
    assert get(api, credential["links"]["registry"]) == settled(api, registry)


def test_account_link_returns_the_project(api: Client, credential: dict[str, Any]) -> None:
    doc = get(api, credential["links"]["account"])
    assert doc["type"] == "project"
    assert doc["id"] == "1a5"


@pytest.mark.parametrize("link", ["images", "instances"])
def test_unmodelled_credential_links_are_empty_collections(
    api: Client, credential: dict[str, Any], link: str
) -> None:
    doc = get(api, credential["links"][link])
    assert doc["type"] == "collection"
    assert doc["data"] == []


# --------------------------------------------------------------------------- secretValue


def test_secret_value_echoed_only_by_post(api: Client, registry: dict[str, Any]) -> None:
    created = new_credential(api, registry["id"], secretValue="s3cret")
    assert created["secretValue"] == "s3cret"
    doc = settled(api, created)
    assert "secretValue" in doc and doc["secretValue"] is None
    listed = get(api, f"{BASE}/registrycredentials")["data"]
    assert [d["secretValue"] for d in listed if d["id"] == created["id"]] == [None]
    linked = get(api, registry["links"]["credentials"])["data"]
    assert [d["secretValue"] for d in linked] == [None]
    response = api.put(doc["links"]["self"], json={"secretValue": "n3w", "name": "x"})
    assert response.status_code == 200
    assert body(response)["secretValue"] is None
    assert body(response)["name"] == "x"


def test_secret_value_in_action_and_delete_responses(
    api: Client, credential: dict[str, Any]
) -> None:
    # Spec §2.4 [INFERRED]: an action answer is a POST answer, so readOnCreateOnly shows.
    deactivated = act(api, credential, "deactivate")
    assert deactivated["secretValue"] == "hunter2"
    inactive = settled(api, deactivated)
    assert inactive["secretValue"] is None
    response = api.delete(inactive["links"]["self"])
    assert response.status_code == 200
    assert body(response)["secretValue"] is None


def test_token_documents_never_carry_key_values(api: Client) -> None:
    created = new_token(api)
    docs = [created, settled(api, created), *get(api, f"{BASE}/registrationtokens")["data"]]
    for doc in docs:
        assert "publicValue" not in doc
        assert "secretValue" not in doc


# =========================================================================== registrationToken


def test_token_create_response_has_null_token_fields(api: Client) -> None:
    created = new_token(api)
    assert created["state"] == "registering"
    for name in ("token", "registrationUrl", "command", "image"):
        assert name in created and created[name] is None, name
    assert "registrationUrl" not in created["links"]


def test_token_format(api: Client) -> None:
    with freeze_time(FROZEN):
        doc = settled(api, new_token(api))
    match = TOKEN_PATTERN.fullmatch(doc["token"])
    assert match is not None, doc["token"]
    assert int(match.group(2)) == YEAR_2018_MARKER


@pytest.mark.parametrize(
    ("now", "marker"),
    [
        ("2017-01-01 00:00:00", 1483142400000),
        ("2017-06-01 10:15:42", 1483142400000),
        ("2018-02-10 08:00:05", 1514678400000),
        ("2018-12-31 23:59:59", 1514678400000),
        ("2026-07-04 12:00:00", 1767139200000),
    ],
)
def test_token_year_marker(api: Client, now: str, marker: int) -> None:
    """00:00 UTC on 31 December of the previous year, in epoch ms (spec §2.5)."""
    with freeze_time(now):
        doc = settled(api, new_token(api))
    assert doc["token"].split(":")[1] == str(marker)
    expected = datetime(int(now[:4]) - 1, 12, 31, tzinfo=UTC)
    assert marker == int(expected.timestamp()) * 1000


def test_tokens_differ_between_tokens(api: Client) -> None:
    first = settled(api, new_token(api))["token"]
    second = settled(api, new_token(api))["token"]
    assert first != second
    assert first.split(":")[0] != second.split(":")[0]


def test_token_stable_across_reads(api: Client) -> None:
    with freeze_time(FROZEN) as frozen:
        doc = settled(api, new_token(api))
        value = doc["token"]
        frozen.tick(timedelta(days=30))
        assert settled(api, doc)["token"] == value
        assert get(api, f"{P5}/registrationtokens/{doc['id']}")["token"] == value
        listed = get(api, f"{BASE}/registrationtokens")["data"]
        assert [d["token"] for d in listed] == [value]


def test_registration_url_and_command(token: dict[str, Any]) -> None:
    value = token["token"]
    url = f"{BASE}/scripts/{value}"
    assert token["registrationUrl"] == url
    assert token["links"]["registrationUrl"] == url
    assert token["image"] == AGENT_IMAGE
    assert token["command"] == COMMAND_PREFIX + url
    assert token["command"].startswith("sudo docker run")
    assert token["command"].split()[-1] == token["registrationUrl"]


def test_registration_url_keeps_the_token_case(token: dict[str, Any]) -> None:
    assert token["registrationUrl"].endswith(token["token"])
    assert re.search("[A-F]", token["token"].split(":")[0])


def test_registration_url_through_a_project_path(api: Client, token: dict[str, Any]) -> None:
    doc = get(api, f"{P5}/registrationtokens/{token['id']}")
    url = f"{P5}/scripts/{token['token']}"
    assert doc["registrationUrl"] == url
    assert doc["links"]["registrationUrl"] == url
    assert doc["command"] == COMMAND_PREFIX + url


def test_agent_script(api: Client, token: dict[str, Any]) -> None:
    # Served before authentication: a bare GET with no credentials at all.
    response = api.get(token["registrationUrl"])
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    script = response.get_data(as_text=True)
    assert script.startswith("#!/bin/sh\n")
    lines = script.splitlines()
    assert 'export CATTLE_REGISTRATION_ACCESS_KEY="registrationToken"' in lines
    assert f'export CATTLE_REGISTRATION_SECRET_KEY="{token["token"]}"' in lines
    assert f'export CATTLE_URL="{BASE}"' in lines
    assert any(line.startswith("export DETECTED_CATTLE_AGENT_IP=") for line in lines)


def test_agent_script_detects_the_forwarded_client_ip(api: Client, token: dict[str, Any]) -> None:
    response = api.get(
        token["registrationUrl"], headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}
    )
    assert response.status_code == 200
    assert 'export DETECTED_CATTLE_AGENT_IP="203.0.113.9"' in response.get_data(as_text=True)


def test_agent_script_through_the_project_path(api: Client, token: dict[str, Any]) -> None:
    scoped = get(api, f"{P5}/registrationtokens/{token['id']}")["registrationUrl"]
    response = api.get(scoped)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == api.get(token["registrationUrl"]).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "bad",
    [
        "nope",
        "0123456789ABCDEF0123:1514678400000:abc",
        ":",
        "",
    ],
)
def test_unknown_token_script_is_404(api: Client, token: dict[str, Any], bad: str) -> None:
    response = api.get(f"{BASE}/scripts/{bad}")
    assert response.status_code == 404


def test_tampered_token_script_is_404(api: Client, token: dict[str, Any]) -> None:
    public, marker, sig = token["token"].split(":")
    for forged in (
        f"{public}:{marker}:{sig[:-1]}",
        f"{public}:{int(marker) + 1000}:{sig}",
        f"{public.lower()}:{marker}:{sig}",
        f"{public}:{marker}:{sig}x",
    ):
        assert api.get(f"{BASE}/scripts/{forged}").status_code == 404, forged


def test_inactive_token_script_is_404(api: Client, token: dict[str, Any]) -> None:
    url = token["registrationUrl"]
    inactive = settled(api, act(api, token, "deactivate"))
    assert inactive["state"] == "inactive"
    response = api.get(url)
    assert response.status_code == 404
    assert body(response)["code"] == "Not Found"
    active = settled(api, act(api, inactive, "activate"))
    assert active["token"] == token["token"]
    assert api.get(url).status_code == 200


def test_removed_token_script_is_404(api: Client, token: dict[str, Any]) -> None:
    url = token["registrationUrl"]
    retire(api, token)
    assert api.get(url).status_code == 404


def test_each_token_serves_its_own_script(api: Client) -> None:
    first = settled(api, new_token(api))
    second = settled(api, new_token(api))
    for doc in (first, second):
        script = api.get(doc["registrationUrl"]).get_data(as_text=True)
        assert f'CATTLE_REGISTRATION_SECRET_KEY="{doc["token"]}"' in script


# =========================================================================== projects


def test_default_project_document(api: Client) -> None:
    doc = get(api, P5)
    assert doc["id"] == "1a5"
    assert doc["type"] == "project"
    assert doc["kind"] == "project"
    assert doc["name"] == "Default"
    assert doc["state"] == "active"
    assert doc["links"]["self"] == P5
    assert doc["links"]["schemas"] == f"{P5}/schemas"
    for url in doc["links"].values():
        assert url == url.lower()


def test_projects_collection_lists_default(api: Client) -> None:
    doc = get(api, f"{BASE}/projects")
    assert doc["type"] == "collection"
    assert doc["resourceType"] == "project"
    assert "1a5" in ids(doc)
    default = next(p for p in doc["data"] if p["id"] == "1a5")
    assert default == get(api, P5)


def test_project_schemas_link_gives_scoped_schemas(api: Client) -> None:
    response = api.get(get(api, P5)["links"]["schemas"])
    assert response.status_code == 200
    assert response.headers["X-API-Schemas"] == f"{P5}/schemas"
    by_id = {s["id"]: s for s in body(response)["data"]}
    assert by_id["registry"]["links"] == {
        "self": f"{P5}/schemas/registry",
        "collection": f"{P5}/registries",
    }
    assert by_id["registrationToken"]["links"]["collection"] == f"{P5}/registrationtokens"
    scoped = get(api, f"{P5}/schemas/registrycredential")
    assert scoped["links"]["collection"] == f"{P5}/registrycredentials"
    assert scoped["resourceFields"] == EXPECTED_SCHEMAS["registryCredential"]["resourceFields"]


def test_project_path_scopes_every_generated_url(api: Client) -> None:
    created = new_registry(api, root=P5)
    rid = created["id"]
    assert created["links"]["self"] == f"{P5}/registries/{rid}"
    response = api.get(f"{P5}/registries/{rid}")
    assert response.headers["X-API-Schemas"] == f"{P5}/schemas"
    doc = body(response)
    urls = [*doc["links"].values(), *doc["actions"].values()]
    assert urls and all(u.startswith(f"{P5}/registries/{rid}") for u in urls)
    collection = get(api, f"{P5}/registries")
    assert collection["links"]["self"] == f"{P5}/registries"
    assert ids(collection) == [rid]
    assert all(u.startswith(f"{P5}/") for u in collection["sortLinks"].values())
    cred = new_credential(api, rid, root=P5)
    assert cred["links"]["registry"] == f"{P5}/registrycredentials/{cred['id']}/registry"
    assert get(api, cred["links"]["registry"])["links"]["self"] == f"{P5}/registries/{rid}"


def test_default_project_path_and_plain_path_are_the_same_data(api: Client) -> None:
    created = new_registry(api, root=P5)
    plain = get(api, f"{BASE}/registries/{created['id']}")
    scoped = get(api, f"{P5}/registries/{created['id']}")
    assert plain["links"]["self"] == f"{BASE}/registries/{created['id']}"
    assert plain["uuid"] == scoped["uuid"]
    assert plain["accountId"] == scoped["accountId"] == "1a5"


def test_second_project_is_listed(api: Client, other_project: str) -> None:
    listed = ids(get(api, f"{BASE}/projects"))
    assert "1a5" in listed and other_project in listed
    doc = get(api, f"{BASE}/projects/{other_project}")
    assert doc["name"] == "Staging"
    assert doc["links"]["self"] == f"{BASE}/projects/{other_project}"
    assert get(api, P5)["name"] == "Default"


@pytest.mark.parametrize("via", ["path", "header", "query"])
def test_project_selection_scopes_data(api: Client, other_project: str, via: str) -> None:
    mine = new_registry(api)
    if via == "path":
        root, kwargs = f"{BASE}/projects/{other_project}", {}
    elif via == "header":
        root, kwargs = BASE, {"headers": {"X-API-Project-Id": other_project}}
    else:
        root, kwargs = BASE, {"query_string": {"projectId": other_project}}
    theirs = create(api, f"{root}/registries", {"serverAddress": mine["serverAddress"]}, **kwargs)
    assert theirs["accountId"] == other_project
    response = api.get(f"{root}/registries", **kwargs)
    assert response.status_code == 200
    assert response.headers["X-API-Account-Id"] == other_project
    assert ids(body(response)) == [theirs["id"]]
    assert ids(get(api, f"{P5}/registries")) == [mine["id"]]
    # Unscoped, the caller is Cattle's admin account (access control off): every project's.
    assert ids(get(api, f"{BASE}/registries")) == [mine["id"], theirs["id"]]
    if via == "path":
        assert theirs["links"]["self"] == f"{root}/registries/{theirs['id']}"
        assert response.headers["X-API-Schemas"] == f"{root}/schemas"
    else:
        # Only the path form adds /projects/<pid> to generated URLs (spec §3.1).
        assert theirs["links"]["self"] == f"{BASE}/registries/{theirs['id']}"
        assert response.headers["X-API-Schemas"] == SCHEMAS


@pytest.mark.parametrize("project", ["1a999", "garbage", "1a"])
@pytest.mark.parametrize("via", ["path", "header", "query"])
def test_unknown_project_is_403(api: Client, project: str, via: str) -> None:
    if via == "path":
        response = api.get(f"{BASE}/projects/{project}/registries")
    elif via == "header":
        response = api.get(f"{BASE}/registries", headers={"X-API-Project-Id": project})
    else:
        response = api.get(f"{BASE}/registries", query_string={"projectId": project})
    assert response.status_code == 403
    assert body(response)["code"] == "Forbidden"


def test_unknown_project_creates_nothing(api: Client) -> None:
    response = api.post(f"{BASE}/projects/1a999/registrationtokens", json={})
    assert response.status_code == 403
    assert get(api, f"{BASE}/registrationtokens")["data"] == []


def test_unknown_project_by_id_is_404(api: Client) -> None:
    assert api.get(f"{BASE}/projects/1a999").status_code == 404


def test_resources_of_another_project_are_404(api: Client, other_project: str) -> None:
    registry = settled(api, new_registry(api))
    credential = settled(api, new_credential(api, registry["id"]))
    token = settled(api, new_token(api))
    other = f"{BASE}/projects/{other_project}"
    header = {"X-API-Project-Id": other_project}
    for doc, plural in (
        (registry, "registries"),
        (credential, "registrycredentials"),
        (token, "registrationtokens"),
    ):
        assert api.get(f"{other}/{plural}/{doc['id']}").status_code == 404, plural
        assert api.get(f"{BASE}/{plural}/{doc['id']}", headers=header).status_code == 404
        query = {"projectId": other_project}
        assert api.get(f"{BASE}/{plural}/{doc['id']}", query_string=query).status_code == 404
        response = api.post(f"{other}/{plural}/{doc['id']}/?action=deactivate")
        assert response.status_code == 404, plural
        assert ids(get(api, f"{other}/{plural}")) == []
    assert api.get(f"{other}/registries/{registry['id']}/credentials").status_code == 404
    assert settled(api, registry)["state"] == "active"


def test_another_projects_resources_are_404_from_default(api: Client, other_project: str) -> None:
    other = f"{BASE}/projects/{other_project}"
    theirs = settled(api, new_registry(api, root=other))
    assert theirs["accountId"] == other_project
    assert api.get(f"{P5}/registries/{theirs['id']}").status_code == 404
    assert (
        api.get(
            f"{BASE}/registries/{theirs['id']}", headers={"X-API-Project-Id": "1a5"}
        ).status_code
        == 404
    )
    assert get(api, f"{other}/registries/{theirs['id']}")["id"] == theirs["id"]


def test_credential_cannot_reference_another_projects_registry(
    api: Client, other_project: str
) -> None:
    registry = settled(api, new_registry(api))
    response = api.post(
        f"{BASE}/projects/{other_project}/registrycredentials",
        json=credential_body(registry["id"]),
    )
    assert response.status_code == 422
    assert body(response)["code"] == "InvalidReference"
    assert body(response)["fieldName"] == "registryId"


def test_second_project_tokens_use_its_script_path(api: Client, other_project: str) -> None:
    other = f"{BASE}/projects/{other_project}"
    doc = settled(api, new_token(api, root=other))
    assert doc["accountId"] == other_project
    assert doc["registrationUrl"] == f"{other}/scripts/{doc['token']}"
    assert api.get(doc["registrationUrl"]).status_code == 200


# =========================================================================== type names in URLs


@pytest.mark.parametrize(
    ("name", "plural"),
    [
        ("registries", "registries"),
        ("REGISTRIES", "registries"),
        ("Registry", "registries"),
        ("registry", "registries"),
        ("registryCredential", "registrycredentials"),
        ("REGISTRYCREDENTIALS", "registrycredentials"),
        ("registrycredential", "registrycredentials"),
        ("RegistrationTokens", "registrationtokens"),
        ("registrationtoken", "registrationtokens"),
    ],
)
def test_type_names_in_any_case_singular_or_plural(
    api: Client,
    registry: dict[str, Any],
    credential: dict[str, Any],
    token: dict[str, Any],
    name: str,
    plural: str,
) -> None:
    wanted = {"registries": registry, "registrycredentials": credential}
    wanted["registrationtokens"] = token
    target = wanted[plural]
    collection = get(api, f"{BASE}/{name}")
    assert ids(collection) == [target["id"]]
    assert collection["data"][0]["links"]["self"] == f"{BASE}/{plural}/{target['id']}"
    doc = get(api, f"{BASE}/{name}/{target['id']}")
    assert doc["links"]["self"] == f"{BASE}/{plural}/{target['id']}"
    assert all(u.startswith(f"{BASE}/{plural}/") for u in doc["actions"].values())
    scoped = get(api, f"{P5}/{name}/{target['id']}")
    assert scoped["links"]["self"] == f"{P5}/{plural}/{target['id']}"


def test_create_through_any_case_type_name(api: Client, registry: dict[str, Any]) -> None:
    doc = create(api, f"{BASE}/RegistryCredential", credential_body(registry["id"]))
    assert doc["type"] == "registryCredential"
    assert doc["links"]["self"] == f"{BASE}/registrycredentials/{doc['id']}"
    token = create(api, f"{BASE}/REGISTRATIONTOKENS", {})
    assert token["links"]["self"] == f"{BASE}/registrationtokens/{token['id']}"


def test_links_are_followable_in_any_case(
    api: Client, registry: dict[str, Any], credential: dict[str, Any]
) -> None:
    url = f"{BASE}/RegistryCredentials/{credential['id']}/Registry"
    assert get(api, url)["id"] == registry["id"]
    creds = get(api, f"{BASE}/Registries/{registry['id']}/CREDENTIALS")
    assert ids(creds) == [credential["id"]]


@pytest.mark.parametrize("path", ["/v1", "/v1/registries", "/v1/registries/1sp404"])
def test_response_headers_match_a_real_capture(api: Client, path: str) -> None:
    response = api.get(path, headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
    headers = response.headers
    assert headers["X-API-Schemas"] == "http://localhost/v1/schemas"
    # Access control off and no key: Cattle's admin fallback, the admin account 1a1, acting
    # in the Default project (see docs/fidelity.md).
    assert headers["X-API-Account-Id"] == "1a5"
    assert headers["X-API-Account-Name"] == "admin"
    assert headers["X-API-User-Id"] == "1a1"
    assert headers["X-API-Account-Kind"] == "admin"
    assert headers["X-API-Client-IP"] == "203.0.113.9"
    assert headers["X-Rancher-Version"].startswith("v1.6.")
    assert headers["Expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert "Set-Cookie" not in headers  # see docs/fidelity.md
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert "Location" not in headers


def test_client_ip_header_is_the_peer_without_a_proxy(fake: FakeRancher) -> None:
    with fake.serve() as server:
        answer = urllib.request.urlopen(f"{server.url}/v1", timeout=5)
        assert answer.headers["X-API-Client-IP"] == "127.0.0.1"
        answer.close()


@pytest.mark.parametrize(
    ("headers", "query"),
    [({"X-API-Action-Links": "true"}, ""), ({}, "?_actionLinks=1")],
)
def test_action_links_option_renames_actions(
    api: Client, headers: dict[str, str], query: str
) -> None:
    created = api.post("/v1/registries", json={"serverAddress": "links.io"}).get_json()
    plain = api.get(created["links"]["self"]).get_json()
    renamed = api.get(created["links"]["self"] + query, headers=headers).get_json()
    assert "actions" not in renamed
    assert renamed["actionLinks"] == plain["actions"] != {}
    listed = api.get("/v1/registries" + query, headers=headers).get_json()["data"][0]
    assert "actionLinks" in listed and "actions" not in listed


def test_include_on_a_single_resource(api: Client) -> None:
    registry = api.post("/v1/registries", json={"serverAddress": "inc.io"}).get_json()
    credential = api.post(
        "/v1/registrycredentials", json={"registryId": registry["id"], "email": "a@b.c"}
    ).get_json()
    doc = api.get(f"/v1/registrycredentials/{credential['id']}?include=registry").get_json()
    assert doc["registry"]["id"] == registry["id"]
    assert doc["registry"]["type"] == "registry"
    plain = api.get(f"/v1/registrycredentials/{credential['id']}").get_json()
    assert "registry" not in plain


@pytest.mark.parametrize(
    "path", ["/v1/credentials", "/v1/storagePools", "/v1/schemas/credential", "/v1/hosts"]
)
def test_types_the_fake_does_not_serve_are_404(api: Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.get_json()["code"] == "Not Found"


def test_unscoped_self_links_of_another_project_are_followable(
    api: Client, other_project: str
) -> None:
    # rancher-agent-registration creates with ?projectId= and polls the unscoped self link.
    created = api.post(
        f"{BASE}/registrationtokens", query_string={"projectId": other_project}
    ).get_json()
    assert created["accountId"] == other_project
    assert created["links"]["self"] == f"{BASE}/registrationtokens/{created['id']}"
    again = api.get(created["links"]["self"])
    assert again.status_code == 200
    assert again.get_json()["accountId"] == other_project
    action = api.post(again.get_json()["actions"]["deactivate"])
    assert action.status_code == 202
