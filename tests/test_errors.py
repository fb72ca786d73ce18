"""Black-box tests of Cattle error documents (spec §3.8) and the status/code table (§2.6),
plus the request-parsing rules that decide between an error and success (§3.3)."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

import pytest
from werkzeug.test import Client

BASE = "http://localhost/v1"
SCHEMAS = "http://localhost/v1/schemas"

_addresses = itertools.count(1)


# --------------------------------------------------------------------------- helpers


def unique_address() -> str:
    return f"err-{next(_addresses)}.example.com"


def body(response: Any) -> dict[str, Any]:
    data = response.get_json(force=True)
    assert isinstance(data, dict), response.get_data(as_text=True)
    return data


def assert_error_doc(
    response: Any, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    """The full §3.8 shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers.get("X-API-Schemas"), dict(response.headers)
    doc = body(response)
    assert doc["type"] == "error"
    assert doc["baseType"] == "error"
    assert doc["links"] == {}
    assert doc["actions"] == {}
    assert doc["status"] == status
    assert isinstance(doc["status"], int)
    assert doc["code"] == code
    assert "message" in doc
    assert "detail" in doc
    assert isinstance(doc["id"], str)
    uuid.UUID(doc["id"])
    if field is not None:
        assert doc["fieldName"] == field
    return doc


def assert_validation(response: Any, code: str, field: str) -> dict[str, Any]:
    doc = assert_error_doc(response, 422, code, field)
    assert doc["message"] is None
    assert doc["detail"] is None
    return doc


def assert_plain(response: Any, status: int, code: str) -> dict[str, Any]:
    doc = assert_error_doc(response, status, code)
    assert doc["message"] == code
    assert doc["detail"] is None
    assert doc.get("fieldName") is None
    return doc


def create(api: Client, collection: str, payload: Any) -> dict[str, Any]:
    response = api.post(f"{BASE}/{collection}", json=payload)
    assert response.status_code == 201, response.get_data(as_text=True)
    return body(response)


def reg(api: Client, **fields: Any) -> dict[str, Any]:
    return create(api, "registries", {"serverAddress": unique_address(), **fields})


def cred_body(registry_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "registryId": registry_id,
        "email": "ci@example.com",
        "publicValue": "robot",
        "secretValue": "hunter2",
        **fields,
    }


def settled(api: Client, doc: dict[str, Any]) -> dict[str, Any]:
    response = api.get(doc["links"]["self"])
    assert response.status_code == 200
    return body(response)


def count(api: Client, collection: str) -> int:
    response = api.get(f"{BASE}/{collection}", query_string={"_removed": "1", "limit": "3000"})
    assert response.status_code == 200
    return len(body(response)["data"])


@pytest.fixture
def registry(api: Client) -> dict[str, Any]:
    return settled(api, reg(api))


@pytest.fixture
def credential(api: Client, registry: dict[str, Any]) -> dict[str, Any]:
    return settled(api, create(api, "registrycredentials", cred_body(registry["id"])))


@pytest.fixture
def token(api: Client) -> dict[str, Any]:
    return settled(api, create(api, "registrationtokens", {}))


# --------------------------------------------------------------------------- shape


def test_error_ids_are_fresh_uuids(api: Client) -> None:
    a = assert_plain(api.get(f"{BASE}/registries/1sp999"), 404, "Not Found")
    b = assert_plain(api.get(f"{BASE}/registries/1sp999"), 404, "Not Found")
    assert a["id"] != b["id"]


def test_error_key_order_starts_like_cattle(api: Client) -> None:
    doc = body(api.get(f"{BASE}/registries/1sp999"))
    assert list(doc)[:4] == ["id", "type", "links", "actions"]


def test_error_has_schemas_header(api: Client) -> None:
    response = api.get(f"{BASE}/registries/1sp999")
    assert response.headers["X-API-Schemas"] == SCHEMAS
    response = api.get(f"{BASE}/projects/1a5/registries/1sp999")
    assert response.status_code == 404
    assert response.headers["X-API-Schemas"] == f"{BASE}/projects/1a5/schemas"


@pytest.mark.parametrize(
    "request_",
    [
        ("GET", "/nosuchtype"),
        ("GET", "/registries/1sp999"),
        ("PATCH", "/registries"),
        ("POST", "/registries"),
        ("POST", "/registries/1sp999/?action=deactivate"),
        ("GET", "/projects/1a999/registries"),
    ],
)
def test_every_error_carries_schemas_header_and_json(
    api: Client, request_: tuple[str, str]
) -> None:
    method, path = request_
    response = api.open(f"{BASE}{path}", method=method)
    assert 400 <= response.status_code < 500
    assert response.headers.get("X-API-Schemas")
    assert response.mimetype == "application/json"
    assert body(response)["type"] == "error"


# --------------------------------------------------------------------------- MissingRequired


def test_missing_server_address(api: Client) -> None:
    assert_validation(
        api.post(f"{BASE}/registries", json={"name": "x"}), "MissingRequired", "serverAddress"
    )
    assert count(api, "registries") == 0


@pytest.mark.parametrize("missing", ["registryId", "email"])
def test_missing_credential_field(api: Client, registry: dict[str, Any], missing: str) -> None:
    payload = cred_body(registry["id"])
    del payload[missing]
    response = api.post(f"{BASE}/registrycredentials", json=payload)
    assert_validation(response, "MissingRequired", missing)
    assert count(api, "registrycredentials") == 0


def test_credential_only_needs_registry_and_email(api: Client, registry: dict[str, Any]) -> None:
    response = api.post(
        f"{BASE}/registrycredentials", json={"registryId": registry["id"], "email": "a@b.c"}
    )
    assert response.status_code == 201
    doc = body(response)
    assert doc["publicValue"] is None
    assert doc["name"] is None


def test_registration_token_has_no_required_field(api: Client) -> None:
    assert api.post(f"{BASE}/registrationtokens", json={}).status_code == 201


# --------------------------------------------------------------------------- NotNullable


@pytest.mark.parametrize("field", ["registryId", "email"])
def test_credential_not_nullable(api: Client, registry: dict[str, Any], field: str) -> None:
    payload = cred_body(registry["id"], **{field: None})
    assert_validation(api.post(f"{BASE}/registrycredentials", json=payload), "NotNullable", field)
    assert count(api, "registrycredentials") == 0


def test_server_address_not_nullable(api: Client) -> None:
    response = api.post(f"{BASE}/registries", json={"serverAddress": None})
    assert_validation(response, "NotNullable", "serverAddress")


def test_put_email_null_is_not_nullable(api: Client, credential: dict[str, Any]) -> None:
    response = api.put(credential["links"]["self"], json={"email": None})
    assert_validation(response, "NotNullable", "email")
    assert settled(api, credential)["email"] == "ci@example.com"


@pytest.mark.parametrize("field", ["name", "description", "publicValue", "secretValue"])
def test_nullable_fields_accept_null(api: Client, registry: dict[str, Any], field: str) -> None:
    response = api.post(
        f"{BASE}/registrycredentials", json=cred_body(registry["id"], **{field: None})
    )
    assert response.status_code == 201, response.get_data(as_text=True)


# --------------------------------------------------------------------------- Min/MaxLength


def test_email_empty_is_min_length(api: Client, registry: dict[str, Any]) -> None:
    response = api.post(f"{BASE}/registrycredentials", json=cred_body(registry["id"], email=""))
    assert_validation(response, "MinLengthExceeded", "email")


def test_server_address_empty_is_min_length(api: Client) -> None:
    response = api.post(f"{BASE}/registries", json={"serverAddress": ""})
    assert_validation(response, "MinLengthExceeded", "serverAddress")
    assert count(api, "registries") == 0


def test_put_email_empty_is_min_length(api: Client, credential: dict[str, Any]) -> None:
    response = api.put(credential["links"]["self"], json={"email": ""})
    assert_validation(response, "MinLengthExceeded", "email")
    assert settled(api, credential)["email"] == "ci@example.com"


LIMITS = {"name": 255, "description": 1024, "publicValue": 4096, "secretValue": 4096}


@pytest.mark.parametrize(("field", "limit"), LIMITS.items())
def test_credential_max_length(
    api: Client, registry: dict[str, Any], field: str, limit: int
) -> None:
    ok = api.post(
        f"{BASE}/registrycredentials", json=cred_body(registry["id"], **{field: "x" * limit})
    )
    assert ok.status_code == 201, ok.get_data(as_text=True)
    too_long = cred_body(registry["id"], **{field: "x" * (limit + 1)})
    response = api.post(f"{BASE}/registrycredentials", json=too_long)
    assert_validation(response, "MaxLengthExceeded", field)
    assert count(api, "registrycredentials") == 1


@pytest.mark.parametrize(("field", "limit"), LIMITS.items())
def test_credential_max_length_on_put(
    api: Client, credential: dict[str, Any], field: str, limit: int
) -> None:
    response = api.put(credential["links"]["self"], json={field: "y" * (limit + 1)})
    assert_validation(response, "MaxLengthExceeded", field)
    after = settled(api, credential)
    assert after == credential


@pytest.mark.parametrize(("field", "limit"), [("name", 255), ("description", 1024)])
@pytest.mark.parametrize("collection", ["registries", "registrationtokens"])
def test_max_length_other_types(api: Client, collection: str, field: str, limit: int) -> None:
    payload: dict[str, Any] = {field: "z" * (limit + 1)}
    if collection == "registries":
        payload["serverAddress"] = unique_address()
    response = api.post(f"{BASE}/{collection}", json=payload)
    assert_validation(response, "MaxLengthExceeded", field)
    assert count(api, collection) == 0
    payload[field] = "z" * limit
    assert api.post(f"{BASE}/{collection}", json=payload).status_code == 201


def test_registry_max_length_on_put(api: Client, registry: dict[str, Any]) -> None:
    response = api.put(registry["links"]["self"], json={"name": "n" * 256})
    assert_validation(response, "MaxLengthExceeded", "name")
    assert settled(api, registry) == registry


# --------------------------------------------------------------------------- InvalidFormat


@pytest.mark.parametrize("value", [{}, {"a": 1}, [], ["x"]], ids=["obj", "obj1", "list", "list1"])
@pytest.mark.parametrize("field", ["email", "publicValue", "secretValue", "name", "description"])
def test_credential_string_field_gets_object_or_list(
    api: Client, registry: dict[str, Any], field: str, value: Any
) -> None:
    response = api.post(
        f"{BASE}/registrycredentials", json=cred_body(registry["id"], **{field: value})
    )
    assert_validation(response, "InvalidFormat", field)
    assert count(api, "registrycredentials") == 0


@pytest.mark.parametrize("value", [{}, ["x"]], ids=["obj", "list"])
@pytest.mark.parametrize("field", ["serverAddress", "name", "description"])
def test_registry_string_field_gets_object_or_list(api: Client, field: str, value: Any) -> None:
    payload: dict[str, Any] = {"serverAddress": unique_address(), field: value}
    assert_validation(api.post(f"{BASE}/registries", json=payload), "InvalidFormat", field)
    assert count(api, "registries") == 0


@pytest.mark.parametrize("value", [{}, ["x"]], ids=["obj", "list"])
@pytest.mark.parametrize("field", ["name", "description"])
def test_token_string_field_gets_object_or_list(api: Client, field: str, value: Any) -> None:
    response = api.post(f"{BASE}/registrationtokens", json={field: value})
    assert_validation(response, "InvalidFormat", field)
    assert count(api, "registrationtokens") == 0


@pytest.mark.parametrize("value", [{}, ["x"]], ids=["obj", "list"])
@pytest.mark.parametrize("field", ["email", "publicValue", "secretValue", "name", "description"])
def test_put_string_field_gets_object_or_list(
    api: Client, credential: dict[str, Any], field: str, value: Any
) -> None:
    response = api.put(credential["links"]["self"], json={field: value})
    assert_validation(response, "InvalidFormat", field)
    assert settled(api, credential) == credential


@pytest.mark.parametrize("value", [{}, ["1sp1"]], ids=["obj", "list"])
def test_registry_id_gets_object_or_list(api: Client, registry: dict[str, Any], value: Any) -> None:
    response = api.post(
        f"{BASE}/registrycredentials", json=cred_body(registry["id"], registryId=value)
    )
    assert response.status_code == 422
    doc = assert_error_doc(response, 422, body(response)["code"], "registryId")
    assert doc["code"] in ("InvalidFormat", "InvalidReference")


def test_numbers_are_coerced_to_strings(api: Client, registry: dict[str, Any]) -> None:
    response = api.post(
        f"{BASE}/registrycredentials",
        json=cred_body(registry["id"], name=123, publicValue=45),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    doc = body(response)
    assert doc["name"] == "123"
    assert doc["publicValue"] == "45"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"1.5", "1.5"),
        (b"100.0", "100.0"),
        (b"1E2", "100.0"),
        (b"1e20", "1.0E20"),
        (b"0.0001", "1.0E-4"),
        (b"1e999", "Infinity"),
        (b"-1e999", "-Infinity"),
        (b"12345678901234567890123", "12345678901234567890123"),
        (b"true", "true"),
    ],
)
def test_json_numbers_become_strings_as_java_prints_them(
    api: Client, registry: dict[str, Any], raw: bytes, text: str
) -> None:
    payload = b'{"registryId": "%s", "email": "a@b.c", "name": %s}' % (
        registry["id"].encode(),
        raw,
    )
    response = api.post(f"{BASE}/registrycredentials", data=payload)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert body(response)["name"] == text


# --------------------------------------------------------------------------- InvalidReference


@pytest.mark.parametrize("registry_id", ["1sp99999", "garbage", "1sp"])
def test_invalid_reference(api: Client, registry: dict[str, Any], registry_id: str) -> None:
    response = api.post(
        f"{BASE}/registrycredentials", json=cred_body(registry["id"], registryId=registry_id)
    )
    assert_validation(response, "InvalidReference", "registryId")
    assert count(api, "registrycredentials") == 0


# --------------------------------------------------------------------------- actions


@pytest.mark.parametrize("name", ["bogus", "restore_all", "delete"])
def test_invalid_action(api: Client, credential: dict[str, Any], name: str) -> None:
    response = api.post(f"{credential['links']['self']}/?action={name}")
    assert_validation(response, "InvalidAction", "action")
    assert settled(api, credential) == credential


def test_restore_is_invalid_action_for_credentials(api: Client, credential: dict[str, Any]) -> None:
    response = api.post(f"{credential['links']['self']}/?action=restore")
    assert_validation(response, "InvalidAction", "action")


def test_restore_is_not_available_for_registries(api: Client, registry: dict[str, Any]) -> None:
    response = api.post(f"{registry['links']['self']}/?action=restore")
    assert_validation(response, "ActionNotAvailable", "action")
    assert settled(api, registry) == registry


@pytest.mark.parametrize("name", ["activate", "remove", "purge", "create"])
@pytest.mark.parametrize("fixture", ["registry", "credential", "token"])
def test_action_not_available(
    api: Client, request: pytest.FixtureRequest, fixture: str, name: str
) -> None:
    doc = request.getfixturevalue(fixture)
    response = api.post(f"{doc['links']['self']}/?action={name}")
    assert_validation(response, "ActionNotAvailable", "action")
    assert settled(api, doc) == doc


def test_action_on_unknown_id_is_404(api: Client) -> None:
    response = api.post(f"{BASE}/registrycredentials/1c99999/?action=deactivate")
    assert_plain(response, 404, "Not Found")
    # ValidationHandler checks the action before the row is loaded (spec §2.6 order).
    response = api.post(f"{BASE}/registrycredentials/1c99999/?action=bogus")
    assert_error_doc(response, 422, "InvalidAction", "action")


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "code"),
    [
        ("DELETE", "/registrationtokens/1c99999", None, 405, "Method not allowed"),
        ("PUT", "/registrationtokens/1c99999", b"{}", 405, "Method not allowed"),
        ("PUT", "/registrycredentials/1c99999", b"{bad", 400, "InvalidBodyContent"),
        ("PUT", "/registrycredentials/1c99999", b'{"email": ""}', 422, "MinLengthExceeded"),
        ("POST", "/registrycredentials/1c99999", b"{}", 405, "Method not allowed"),
        ("PUT", "/registrycredentials/1c99999", b'{"email": "a@b.c"}', 404, "Not Found"),
    ],
)
def test_request_checks_come_before_the_row_is_loaded(
    api: Client, method: str, path: str, data: bytes | None, status: int, code: str
) -> None:
    response = api.open(f"{BASE}{path}", method=method, data=data)
    assert response.status_code == status, response.get_data(as_text=True)
    assert body(response)["code"] == code


def test_action_accepts_empty_body_without_content_type(
    api: Client, credential: dict[str, Any]
) -> None:
    response = api.post(credential["actions"]["deactivate"], data=b"")
    assert response.status_code == 202, response.get_data(as_text=True)
    assert body(response)["state"] == "deactivating"


def test_action_body_is_parsed_and_bad_json_blocks_it(
    api: Client, credential: dict[str, Any]
) -> None:
    response = api.post(credential["actions"]["deactivate"], data=b"{nope")
    assert_error_doc(response, 400, "InvalidBodyContent")
    assert settled(api, credential)["state"] == "active"


# --------------------------------------------------------------------------- InvalidBodyContent


BAD_JSON: dict[str, bytes] = {
    "unterminated": b'{"serverAddress": "x"',
    "single-quotes": b"{'serverAddress': 'x'}",
    "trailing-comma": b'{"serverAddress": "x",}',
    "comment": b'// c\n{"serverAddress": "x"}',
    "nan": b'{"serverAddress": "x", "name": NaN}',
    "infinity": b'{"serverAddress": "x", "name": Infinity}',
    "minus-infinity": b'{"serverAddress": "x", "name": -Infinity}',
    "trailing-garbage": b'{"serverAddress": "x"} garbage',
    "two-documents": b'{"serverAddress": "x"}{"name": "y"}',
    "invalid-utf8": b'{"serverAddress": "x\xff\xfe"}',
    "invalid-utf8-key": b'{"\xc3\x28": "x", "serverAddress": "y"}',
    "too-deep": b'{"serverAddress": "x", "name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "too-deep-objects": b'{"serverAddress": "x", "n": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001,
    "bare-word": b"hello",
    "control-char": b'{"serverAddress": "a\x01b"}',
    "python-literal": b'{"serverAddress": "x", "name": None}',
}


@pytest.mark.parametrize("payload", BAD_JSON.values(), ids=BAD_JSON.keys())
@pytest.mark.parametrize("collection", ["registries", "registrationtokens"])
def test_invalid_body_content(api: Client, collection: str, payload: bytes) -> None:
    response = api.post(f"{BASE}/{collection}", data=payload, content_type="application/json")
    doc = assert_error_doc(response, 400, "InvalidBodyContent")
    assert doc.get("fieldName") is None
    assert count(api, collection) == 0


@pytest.mark.parametrize("payload", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_invalid_body_content_on_put(
    api: Client, credential: dict[str, Any], payload: bytes
) -> None:
    response = api.put(credential["links"]["self"], data=payload)
    assert_error_doc(response, 400, "InvalidBodyContent")
    assert settled(api, credential) == credential


# --------------------------------------------------------------------------- parsing that succeeds


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/octet-stream", "application/xml"]
)
def test_json_parsed_regardless_of_content_type(api: Client, content_type: str | None) -> None:
    payload = json.dumps({"serverAddress": unique_address(), "name": "ct"}, sort_keys=True)
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = api.post(f"{BASE}/registries", data=payload, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert body(response)["name"] == "ct"


def test_empty_body_is_empty_object(api: Client) -> None:
    response = api.post(f"{BASE}/registrationtokens", data=b"")
    assert response.status_code == 201
    response = api.post(f"{BASE}/registries", data=b"")
    assert_validation(response, "MissingRequired", "serverAddress")


def test_empty_put_body_changes_nothing(api: Client, registry: dict[str, Any]) -> None:
    response = api.put(registry["links"]["self"], data=b"")
    assert response.status_code == 200
    assert settled(api, registry) == registry


def test_query_parameters_merge_into_body(api: Client) -> None:
    response = api.post(f"{BASE}/registries?serverAddress=from-query.io&name=q", json={})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert body(response)["serverAddress"] == "from-query.io"
    assert body(response)["name"] == "q"


def test_body_wins_over_query(api: Client) -> None:
    response = api.post(
        f"{BASE}/registries?serverAddress=q.io&name=q", json={"name": "b", "serverAddress": ""}
    )
    assert_validation(response, "MinLengthExceeded", "serverAddress")
    response = api.post(f"{BASE}/registries?name=q", json={"name": "b", "serverAddress": "body.io"})
    assert response.status_code == 201
    assert body(response)["name"] == "b"


def test_form_params_are_accepted(api: Client) -> None:
    response = api.post(f"{BASE}/registries", data={"serverAddress": "form.io", "name": "f"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert body(response)["serverAddress"] == "form.io"


# --------------------------------------------------------------------------- ServerAddressUsed


def test_server_address_used_document(api: Client) -> None:
    reg(api, serverAddress="quay.io")
    response = api.post(f"{BASE}/registries", json={"serverAddress": "QUAY.io"})
    doc = assert_error_doc(response, 400, "ServerAddressUsed")
    assert doc["message"] == "ServerAddressUsed"
    assert doc.get("fieldName") is None
    assert count(api, "registries") == 1


# --------------------------------------------------------------------------- Not Found


@pytest.mark.parametrize(
    "path",
    [
        "/nosuchtypes",
        "/nosuchtypes/1x1",
        "/registries/1sp99999",
        "/registrycredentials/1c99999",
        "/registrationtokens/1c99999",
        "/registries/1",
        "/registries/15",
        "/registries/abc",
        "/registries/",
        "/registrycredentials/1c99999/registry",
    ],
)
def test_not_found(api: Client, path: str) -> None:
    response = api.get(f"{BASE}{path}")
    if path == "/registries/":
        # a trailing slash may simply be the collection
        assert response.status_code in (200, 404)
        return
    assert_plain(response, 404, "Not Found")


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_write_to_unknown_id_is_404(api: Client, method: str) -> None:
    response = api.open(f"{BASE}/registries/1sp99999", method=method, json={"name": "x"})
    assert_plain(response, 404, "Not Found")


# --------------------------------------------------------------------------- Method not allowed


@pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "TRACE", "PUT", "DELETE"])
@pytest.mark.parametrize("collection", ["registries", "registrycredentials", "registrationtokens"])
def test_method_not_allowed_on_collection(api: Client, collection: str, method: str) -> None:
    response = api.open(f"{BASE}/{collection}", method=method, json={})
    assert_plain(response, 405, "Method not allowed")


@pytest.mark.parametrize("method", ["PATCH", "OPTIONS"])
@pytest.mark.parametrize("fixture", ["registry", "credential", "token"])
def test_method_not_allowed_on_resource(
    api: Client, request: pytest.FixtureRequest, fixture: str, method: str
) -> None:
    doc = request.getfixturevalue(fixture)
    response = api.open(doc["links"]["self"], method=method, json={"name": "p"})
    assert_plain(response, 405, "Method not allowed")
    assert settled(api, doc) == doc


@pytest.mark.parametrize("path", ["/registries", "/registrycredentials"])
def test_head_is_not_allowed(api: Client, path: str) -> None:
    response = api.head(f"{BASE}{path}")
    assert response.status_code == 405
    assert response.headers.get("X-API-Schemas")
    raw = response.get_data()
    if raw:
        assert json.loads(raw)["code"] == "Method not allowed"


def test_head_on_resource_is_not_allowed(api: Client, registry: dict[str, Any]) -> None:
    assert api.head(registry["links"]["self"]).status_code == 405


@pytest.mark.parametrize("fixture", ["registry", "credential", "token"])
def test_post_on_resource_without_action(
    api: Client, request: pytest.FixtureRequest, fixture: str
) -> None:
    doc = request.getfixturevalue(fixture)
    response = api.post(doc["links"]["self"], json={"name": "x"})
    assert_plain(response, 405, "Method not allowed")
    assert settled(api, doc) == doc


def test_token_put_and_delete(api: Client, token: dict[str, Any]) -> None:
    assert_plain(api.put(token["links"]["self"], json={"name": "x"}), 405, "Method not allowed")
    assert_plain(api.delete(token["links"]["self"]), 405, "Method not allowed")
    assert settled(api, token) == token


def test_token_put_is_405_even_with_bad_fields(api: Client, token: dict[str, Any]) -> None:
    response = api.put(token["links"]["self"], json={"name": "x" * 5000})
    assert_plain(response, 405, "Method not allowed")


def test_delete_active_is_405(api: Client, credential: dict[str, Any]) -> None:
    assert_plain(api.delete(credential["links"]["self"]), 405, "Method not allowed")


@pytest.mark.parametrize("verb", ["PATCH", "HEAD", "OPTIONS", "patch"])
def test_method_override_to_unsupported_verb(
    api: Client, registry: dict[str, Any], verb: str
) -> None:
    response = api.get(f"{registry['links']['self']}?_method={verb}")
    assert_plain(response, 405, "Method not allowed")
    response = api.post(f"{BASE}/registries?_method={verb}", json={"serverAddress": "m.io"})
    assert_plain(response, 405, "Method not allowed")
    assert count(api, "registries") == 1


def test_method_override_delete_follows_delete_rules(
    api: Client, credential: dict[str, Any]
) -> None:
    response = api.post(f"{credential['links']['self']}?_method=DELETE")
    assert_plain(response, 405, "Method not allowed")
    response = api.post(credential["actions"]["deactivate"])
    assert response.status_code == 202
    settled(api, credential)
    response = api.get(f"{credential['links']['self']}?_method=DELETE")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert body(response)["state"] == "removing"


# --------------------------------------------------------------------------- Forbidden


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (f"{BASE}/projects/1a999/registries", {}),
        (f"{BASE}/projects/garbage/registries", {}),
        (f"{BASE}/projects/1a999/registrycredentials/1c1", {}),
        (f"{BASE}/registries", {"X-API-Project-Id": "1a999"}),
        (f"{BASE}/registries", {"X-API-Project-Id": "nope"}),
        (f"{BASE}/registries?projectId=1a999", {}),
    ],
)
def test_unknown_project_is_403(api: Client, url: str, headers: dict[str, str]) -> None:
    assert_plain(api.get(url, headers=headers), 403, "Forbidden")


def test_create_in_unknown_project_is_403(api: Client) -> None:
    response = api.post(f"{BASE}/projects/1a999/registrationtokens", json={})
    assert_plain(response, 403, "Forbidden")
    response = api.post(
        f"{BASE}/registrationtokens", json={}, headers={"X-API-Project-Id": "1a999"}
    )
    assert_plain(response, 403, "Forbidden")
    assert count(api, "registrationtokens") == 0


def test_default_project_scopes_are_allowed(api: Client) -> None:
    assert api.get(f"{BASE}/projects/1a5/registries").status_code == 200
    assert api.get(f"{BASE}/registries", headers={"X-API-Project-Id": "1a5"}).status_code == 200
    assert api.get(f"{BASE}/registries?projectId=1a5").status_code == 200


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        (b'{"email": "", "name": "%s"}' % (b"n" * 300), "MinLengthExceeded", "email"),
        (b'{"name": "%s", "email": ""}' % (b"n" * 300), "MaxLengthExceeded", "name"),
        (b'{"email": "", "registryId": "1sp999"}', "MinLengthExceeded", "email"),
        (b'{"registryId": "1sp999", "email": ""}', "InvalidReference", "registryId"),
        (b'{"name": {}}', "InvalidFormat", "name"),
        (b'{"name": "fine"}', "MissingRequired", "registryId"),
    ],
)
def test_fields_are_checked_in_the_order_sent_then_missing_ones(
    api: Client, payload: bytes, code: str, field: str
) -> None:
    response = api.post(f"{BASE}/registrycredentials", data=payload)
    assert_error_doc(response, 422, code, field)
