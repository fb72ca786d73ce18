"""`/v1/openapi.json`: an OpenAPI 3.1 document that says what `/v1/schemas` says, and that the
API's real answers conform to. (schemathesis fuzzes it on a live server: test_schemathesis.py.)"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from helpers import BASE, action, create, create_credential, create_registry, create_token
from jsonschema import Draft202012Validator
from werkzeug.test import Client

from fakerancher import FakeRancher
from fakerancher.faults import ConnectionDropped

RESERVED = {"sort", "order", "limit", "marker", "_removed", "include"}
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "Accept": "*/*"}


def openapi(api: Client, path: str = "/v1/openapi.json") -> dict[str, Any]:
    response = api.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    doc: dict[str, Any] = response.get_json()
    return doc


def schemas(api: Client, path: str = "/v1/schemas") -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.get(path).get_json()["data"]
    return data


def parameters(doc: dict[str, Any], item: dict[str, Any], method: str) -> dict[str, Any]:
    """An operation's parameters by name, `$ref`s resolved, path-level ones included."""
    found: dict[str, Any] = {}
    for parameter in [*item.get("parameters", []), *item[method].get("parameters", [])]:
        if "$ref" in parameter:
            parameter = doc["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        found[parameter["name"]] = parameter
    return found


def component(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    found: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return found


def body_schema(doc: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    return component(doc, operation["requestBody"]["content"]["application/json"]["schema"]["$ref"])


def answer_schema(doc: dict[str, Any], operation: dict[str, Any], status: int) -> dict[str, Any]:
    ref = operation["responses"][str(status)]["content"]["application/json"]["schema"]["$ref"]
    return component(doc, ref)


# -- where it is served -------------------------------------------------------------------------
def test_served_for_the_version_and_for_a_project_scope(api: Client) -> None:
    doc = openapi(api)
    assert doc["openapi"] == "3.1.0" and doc["info"]["version"] == "v1"
    assert doc["servers"] == [{"url": "http://localhost"}]
    assert "/v1/registries" in doc["paths"]
    assert "/v1/projects/{projectId}/registries/{id}" in doc["paths"]

    scoped = openapi(api, "/v1/projects/1a5/openapi.json")
    assert "/v1/projects/1a5/registrycredentials/{id}" in scoped["paths"]
    assert not [p for p in scoped["paths"] if "{projectId}" in p]


def test_a_version_or_project_the_api_does_not_serve_is_its_error(api: Client) -> None:
    for path, status in (("/v3/openapi.json", 404), ("/v1/projects/1a99/openapi.json", 403)):
        response = api.get(path)
        assert response.status_code == status
        assert response.get_json()["type"] == "error"
    assert api.post("/v1/openapi.json").status_code == 404  # only GET serves it


def test_made_from_the_callers_own_schemas_behind_access_control(fake: FakeRancher) -> None:
    api = Client(fake.wsgi_app)
    key = fake.add_api_key(project="1a5")
    fake.access_control = True
    refused = api.get("/v1/openapi.json")
    assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers
    auth = {"Authorization": _basic(key["publicValue"], key["secretValue"])}
    assert api.get("/v1/openapi.json", headers=auth).status_code == 200


def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_browser_gets_the_json_document_too(api: Client) -> None:
    # Swagger UI and other explorers fetch it from a browser.
    response = api.get("/v1/openapi.json", headers=BROWSER)
    assert response.mimetype == "application/json" and response.get_json()["openapi"]


# -- it says what the schemas say ---------------------------------------------------------------
def expected_paths(schema: dict[str, Any], scoped: bool) -> dict[str, set[str]]:
    """The paths and methods `schema` implies, by Cattle's URL conventions."""
    collection = urlsplit(schema["links"]["collection"]).path
    if scoped:
        collection = collection.replace("/v1/", "/v1/projects/{projectId}/", 1)
    resource_methods = set(schema["resourceMethods"])
    if schema["resourceActions"]:
        resource_methods.add("POST")
    paths = {collection: set(schema["collectionMethods"])}
    if resource_methods:
        paths[f"{collection}/{{id}}"] = resource_methods
    for link in schema["includeableLinks"]:
        paths[f"{collection}/{{id}}/{link.lower()}"] = {"GET"}
    return paths


def test_every_path_method_filter_action_and_field_matches_the_schemas(api: Client) -> None:
    served = schemas(api)
    doc = openapi(api)
    wanted: dict[str, set[str]] = {}
    for schema in served:
        wanted.update(expected_paths(schema, scoped=False))
        if schema["id"] != "project":
            wanted.update(expected_paths(schema, scoped=True))
    # Both ways: nothing missing, nothing invented.
    methods = {m.upper() for item in doc["paths"].values() for m in item if m != "parameters"}
    assert methods <= {"GET", "POST", "PUT", "DELETE"}
    documented = {
        path: {m.upper() for m in item if m != "parameters"} for path, item in doc["paths"].items()
    }
    assert documented == wanted

    for schema in served:
        fields = schema["resourceFields"]
        for scoped in (False, True) if schema["id"] != "project" else (False,):
            paths = list(expected_paths(schema, scoped))
            collection, resource = doc["paths"][paths[0]], doc["paths"].get(paths[0] + "/{id}")
            listed = parameters(doc, collection, "get")
            filters = {
                field if modifier == "eq" else f"{field}_{modifier}"
                for field, spec in schema["collectionFilters"].items()
                for modifier in spec["modifiers"]
            }
            # `projectId` names the project scope: a type's own `projectId` filter is that too.
            assert set(listed) - RESERVED - {"projectId"} == filters - {"projectId"}
            sortable = sorted(f for f in schema["collectionFilters"] if f in fields)
            if sortable:
                assert listed["sort"]["schema"]["enum"] == sortable
            if schema["includeableLinks"]:
                assert listed["include"]["schema"]["enum"] == sorted(schema["includeableLinks"])
            assert {"limit", "marker"} <= set(listed)

            item = answer_schema(doc, collection["get"], 200)["properties"]["data"]["items"]
            shape = component(doc, item["$ref"])
            assert set(fields) <= set(shape["properties"]) and set(fields) <= set(shape["required"])

            if "POST" in schema["collectionMethods"]:
                create_body = body_schema(doc, collection["post"])
                creatable = {n for n, f in fields.items() if f["create"]}
                assert set(create_body["properties"]) == creatable
                required = {n for n, f in fields.items() if f["create"] and f.get("required")}
                assert set(create_body.get("required", [])) == required
            if "PUT" in schema["resourceMethods"]:
                assert resource is not None
                update_body = body_schema(doc, resource["put"])
                updatable = {n for n, f in fields.items() if f["update"]}
                assert set(update_body["properties"]) == updatable
            if schema["resourceActions"]:
                assert resource is not None
                named = parameters(doc, resource, "post")["action"]
                assert named["required"] and named["in"] == "query"
                assert named["schema"]["enum"] == sorted(schema["resourceActions"])


def test_every_error_status_answers_the_cattle_error_document(api: Client) -> None:
    doc = openapi(api)
    error = doc["components"]["schemas"]["error"]
    assert {"type", "status", "code", "message", "detail", "baseType"} <= set(error["required"])
    assert "fieldName" in error["properties"]
    statuses = set()
    for item in doc["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    statuses.add(int(status))
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/error"
                    }
    assert statuses == {400, 401, 403, 404, 405, 413, 422}


def test_every_component_is_a_valid_json_schema(api: Client) -> None:
    for schema in openapi(api)["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


# -- real answers conform -----------------------------------------------------------------------
def conform(doc: dict[str, Any], ref: str, body: Any) -> None:
    root = {"components": doc["components"], "$ref": f"#/components/schemas/{ref}"}
    errors = [e.message for e in Draft202012Validator(root).iter_errors(body)]
    assert not errors, errors[:5]


def test_real_answers_conform_to_the_document(api: Client) -> None:
    doc = openapi(api)
    registry = create_registry(api)
    credential = create_credential(api, registry["id"], name="ci")
    token = create_token(api)
    creating = create(api, "registrationtokens")  # registering: its output fields are null
    conform(doc, "registrationToken", creating)
    conform(doc, "registry", registry)
    conform(doc, "registryCredential", credential)
    conform(doc, "registrationToken", token)
    conform(doc, "registryCredential", action(api, credential, "deactivate"))
    conform(doc, "registryCredential", api.delete(credential["links"]["self"]).get_json())
    for collection, type_id in (
        ("registries", "registry"),
        ("registrycredentials?sort=name&limit=1&include=registry", "registryCredential"),
        ("registrationtokens?state=active", "registrationToken"),
        ("projects", "project"),
        ("schemas", "schema"),
    ):
        conform(doc, f"{type_id}Collection", api.get(f"{BASE}/{collection}").get_json())
    for refused in (
        api.post(f"{BASE}/registrycredentials", json={}),
        api.get(f"{BASE}/registries/1sp999"),
        api.post(f"{BASE}/registries", data="{not json"),
    ):
        assert refused.status_code >= 400
        conform(doc, "error", refused.get_json())


@pytest.mark.parametrize("path", ["/v1/openapi.json", "/v1/projects/1a5/openapi.json"])
def test_the_document_is_json_without_cattles_escaped_slashes(api: Client, path: str) -> None:
    text = api.get(path).get_data(as_text=True)
    assert "\\/" not in text and '"/v1/' in text


def test_faults_on_the_schemas_reach_the_document_too(fake: FakeRancher, api: Client) -> None:
    fake.faults.add(method="GET", path="/v1/schemas", status=503, times=1)
    refused = api.get("/v1/openapi.json")
    assert refused.status_code == 503 and refused.get_json()["type"] == "error"
    fake.faults.add(method="GET", path="/v1/schemas", drop=True, times=1)
    with pytest.raises(ConnectionDropped):
        api.get("/v1/openapi.json")
    assert api.get("/v1/openapi.json").status_code == 200


def test_a_bug_making_the_document_is_cattles_500(
    api: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any) -> dict[str, Any]:
        raise KeyError("links")

    monkeypatch.setattr("fakerancher.openapi.openapi_document", broken)
    response = api.get("/v1/openapi.json")
    assert response.status_code == 500 and response.get_json()["code"] == "Internal Server Error"
    assert "unexpected error answering GET /v1/openapi.json" in caplog.text


def test_an_action_with_an_input_takes_a_body() -> None:
    # No type this fake serves has one; Cattle's schemas may (resourceActions[...].input).
    from fakerancher.openapi import openapi_document

    thing = {
        "id": "thing",
        "links": {"collection": "http://h/v1/things"},
        "pluralName": "things",
        "resourceFields": {},
        "collectionFilters": {},
        "resourceActions": {
            "restore": {"input": "restoreInput", "output": "thing"},
            "stop": {"input": None, "output": "thing"},
        },
        "includeableLinks": [],
        "collectionMethods": ["GET"],
        "resourceMethods": ["GET"],
    }
    doc = openapi_document({"links": {"self": "http://h/v1/schemas"}, "data": [thing]}, "v1")
    operation = doc["paths"]["/v1/things/{id}"]["post"]
    assert operation["requestBody"]["description"] == "The action's input: restore: restoreInput"
    assert "/v1/projects/{projectId}/things" not in doc["paths"]  # no project type, no scope
