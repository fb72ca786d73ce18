"""Small request helpers shared by the test modules (all through HTTP, as a user would)."""

from __future__ import annotations

from typing import Any

from werkzeug.test import Client

BASE = "http://localhost/v1"


def settled(api: Client, doc: dict[str, Any]) -> dict[str, Any]:
    """Re-read a resource by its self link (pending transitions settle on that read)."""
    response = api.get(doc["links"]["self"])
    assert response.status_code == 200, response.get_data(as_text=True)
    data: dict[str, Any] = response.get_json()
    return data


def create(api: Client, collection: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = api.post(f"{BASE}/{collection}", json=body if body is not None else {})
    assert response.status_code == 201, response.get_data(as_text=True)
    data: dict[str, Any] = response.get_json()
    return data


def create_registry(api: Client, server_address: str = "quay.io", **fields: Any) -> dict[str, Any]:
    """Create a registry and return it once active."""
    return settled(api, create(api, "registries", {"serverAddress": server_address, **fields}))


def create_credential(api: Client, registry_id: str, **fields: Any) -> dict[str, Any]:
    """Create a registryCredential and return it once active."""
    body = {
        "registryId": registry_id,
        "email": "ci@example.com",
        "publicValue": "robot",
        "secretValue": "hunter2",
        **fields,
    }
    return settled(api, create(api, "registrycredentials", body))


def create_token(api: Client, **fields: Any) -> dict[str, Any]:
    """Create a registrationToken and return it once active."""
    return settled(api, create(api, "registrationtokens", fields))


def action(api: Client, doc: dict[str, Any], name: str) -> dict[str, Any]:
    response = api.post(doc["actions"][name])
    assert response.status_code == 202, response.get_data(as_text=True)
    data: dict[str, Any] = response.get_json()
    return data
