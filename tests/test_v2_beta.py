"""`/v2-beta` beside `/v1`, over the same store: the key scenarios of `/v1` run against both
versions from one source, then every difference between them, through HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client

from fakerancher import FakeRancher

HOST = "http://localhost"


@pytest.fixture(params=["v1", "v2-beta"])
def version(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def get(api: Client, url: str, status: int = 200) -> dict[str, Any]:
    answer = api.get(url)
    assert answer.status_code == status, answer.get_data(as_text=True)
    doc: dict[str, Any] = answer.get_json()
    return doc


def post(api: Client, url: str, body: dict[str, Any] | None = None, status: int = 201) -> Any:
    answer = api.post(url, json=body if body is not None else {})
    assert answer.status_code == status, answer.get_data(as_text=True)
    return answer.get_json()


# -- the same scenarios on both versions --------------------------------------------------
def test_discovery(api: Client, version: str) -> None:
    answer = api.get(f"{HOST}/{version}")
    assert answer.headers["X-API-Schemas"] == f"{HOST}/{version}/schemas"
    doc = answer.get_json()
    assert (doc["id"], doc["type"], doc["baseType"]) == (version, "apiVersion", "apiVersion")
    assert doc["links"]["registries"] == f"{HOST}/{version}/registries"
    schemas = get(api, f"{HOST}/{version}/schemas")
    registry = next(s for s in schemas["data"] if s["id"] == "registry")
    assert registry["links"]["collection"] == f"{HOST}/{version}/registries"


def test_lifecycle_of_a_registry_and_its_credential(api: Client, version: str) -> None:
    base = f"{HOST}/{version}"
    registry = post(api, f"{base}/registries", {"serverAddress": "quay.io"})
    assert (registry["state"], registry["links"]["self"]) == (
        "registering",
        f"{base}/registries/{registry['id']}",
    )
    registry = get(api, registry["links"]["self"])
    assert registry["state"] == "active"
    body = {"registryId": registry["id"], "email": "a@b.c", "secretValue": "s3cret"}
    credential = post(api, f"{base}/registrycredentials", body)
    assert credential["secretValue"] == "s3cret"
    assert get(api, credential["links"]["self"])["secretValue"] is None
    refused = api.delete(credential["links"]["self"])
    assert (refused.status_code, refused.get_json()["code"]) == (405, "Method not allowed")
    assert post(api, credential["actions"]["deactivate"], status=202)["state"] == "deactivating"
    assert api.delete(credential["links"]["self"]).get_json()["state"] == "removing"
    deactivated = post(
        api, get(api, registry["links"]["self"])["actions"]["deactivate"], status=202
    )
    assert deactivated["state"] == "deactivating"
    api.delete(registry["links"]["self"])
    purged = post(api, get(api, registry["links"]["self"])["actions"]["purge"], status=202)
    assert purged["state"] == "purging"
    assert get(api, registry["links"]["self"])["state"] == "purged"


def test_the_api_host_setting_sends_agents_to_its_v1(api: Client, version: str) -> None:
    """`PUT /v2-beta/settings/api.host`, as install scripts do: registrationUrl and the
    script's CATTLE_URL then name `<api.host>/v1`, whichever version was read."""
    base = f"{HOST}/{version}"
    token = post(api, f"{base}/registrationtokens")
    answer = api.put(f"{base}/settings/api.host", json={"value": "http://rancher.example:8080"})
    assert answer.status_code == 200 and answer.get_json()["name"] == "api.host"
    assert get(api, f"{base}/settings/api.host")["value"] == "http://rancher.example:8080"
    token = get(api, token["links"]["self"])
    url = f"http://rancher.example:8080/v1/scripts/{token['token']}"
    assert token["registrationUrl"] == url and token["command"].endswith(url)
    script = api.get(f"{HOST}/v1/scripts/{token['token']}").get_data(as_text=True)
    assert 'CATTLE_URL="http://rancher.example:8080/v1"' in script
    unset = api.put(f"{base}/settings/api.host", json={"value": None})
    assert unset.status_code == 200
    assert get(api, token["links"]["self"])["registrationUrl"].startswith(f"{base}/")


def test_collections_filter_sort_and_page(api: Client, version: str) -> None:
    base = f"{HOST}/{version}"
    for name in ("a", "b", "c"):
        post(api, f"{base}/registries", {"serverAddress": f"{name}.io", "name": name})
    doc = get(api, f"{base}/registries?name_ne=b&sort=name&order=desc&limit=1")
    assert [r["name"] for r in doc["data"]] == ["c"]
    assert doc["pagination"]["next"] == (
        f"{base}/registries?name_ne=b&sort=name&order=desc&limit=1&marker=m1"
    )
    assert doc["sortLinks"]["name"].startswith(f"{base}/registries?")
    assert doc["filters"]["name"] == [{"modifier": "ne", "value": "b"}]


def test_errors_and_project_scope(api: Client, version: str) -> None:
    base = f"{HOST}/{version}"
    missing = api.post(f"{base}/registries", json={})
    assert (missing.status_code, missing.get_json()["fieldName"]) == (422, "serverAddress")
    assert api.get(f"{base}/registries/1sp999").status_code == 404
    assert api.get(f"{base}/projects/1a999/registries").status_code == 403
    scoped = post(api, f"{base}/projects/1a5/registries", {"serverAddress": "s.io"})
    assert scoped["links"]["self"] == f"{base}/projects/1a5/registries/{scoped['id']}"
    assert api.get(f"{base}/projects/1a5/registries").headers["X-API-Schemas"] == (
        f"{base}/projects/1a5/schemas"
    )


def test_registration_token_urls_carry_the_version(api: Client, version: str) -> None:
    base = f"{HOST}/{version}"
    token = post(api, f"{base}/projects/1a5/registrationtokens")
    assert (token["state"], token["registrationUrl"], token["token"]) == ("registering", None, None)
    token = get(api, token["links"]["self"])
    assert token["registrationUrl"] == f"{base}/projects/1a5/scripts/{token['token']}"
    assert token["command"].endswith(token["registrationUrl"])
    script = api.get(token["registrationUrl"])
    assert script.status_code == 200
    assert f'CATTLE_URL="{HOST}/{version}"' in script.get_data(as_text=True)


def test_api_keys_and_projects(version: str) -> None:
    fake = FakeRancher(access_control=True)
    api = Client(fake.wsgi_app)
    admin = fake.add_api_key(account="1a1")
    headers = _basic(admin)
    made = api.post(f"{HOST}/{version}/projects", json={"name": "Env"}, headers=headers)
    assert made.status_code == 201
    project = api.get(made.get_json()["links"]["self"], headers=headers).get_json()
    assert project["state"] == "active"
    key = api.post(
        f"{HOST}/{version}/projects/{project['id']}/apikeys", json={}, headers=headers
    ).get_json()
    assert key["accountId"] == project["id"] and key["secretValue"]
    env = _basic(key)
    listed = api.get(f"{HOST}/{version}/projects", headers=env).get_json()["data"]
    assert [p["id"] for p in listed] == [project["id"]]
    assert api.get(f"{HOST}/{version}/registries").status_code == 401


def _basic(key: dict[str, Any]) -> dict[str, str]:
    import base64

    raw = f"{key['publicValue']}:{key['secretValue']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


# -- what differs -------------------------------------------------------------------------
V2 = f"{HOST}/v2-beta"
V1 = f"{HOST}/v1"


def schema(api: Client, base: str, type_id: str) -> dict[str, Any]:
    return get(api, f"{base}/schemas/{type_id}")


def test_credentials_have_no_email_on_v2_beta(api: Client) -> None:
    assert "email" not in schema(api, V2, "registryCredential")["resourceFields"]
    assert schema(api, V1, "registryCredential")["resourceFields"]["email"]["required"] is True
    registry = post(api, f"{V2}/registries", {"serverAddress": "quay.io"})
    # A sent email is dropped, not refused; none is needed.
    credential = post(
        api, f"{V2}/registrycredentials", {"registryId": registry["id"], "email": "x@y.z"}
    )
    assert "email" not in credential
    assert get(api, f"{V1}/registrycredentials/{credential['id']}")["email"] is None
    refused = api.post(f"{V1}/registrycredentials", json={"registryId": registry["id"]})
    assert (refused.status_code, refused.get_json()["fieldName"]) == (422, "email")


def test_registries_have_no_restore_on_v2_beta(api: Client) -> None:
    v2 = schema(api, V2, "registry")
    assert "restore" not in v2["resourceActions"]
    assert "restoring" not in v2["resourceFields"]["state"]["options"]
    assert "storageDriverId" in v2["collectionFilters"]
    v1 = schema(api, V1, "registry")
    assert "restore" in v1["resourceActions"] and "storageDriverId" not in v1["collectionFilters"]
    registry = post(api, f"{V2}/registries", {"serverAddress": "quay.io"})
    refused = api.post(f"{registry['links']['self']}/?action=restore")
    assert (refused.status_code, refused.get_json()["code"]) == (422, "InvalidAction")


def test_projects_on_v2_beta(api: Client) -> None:
    fields = schema(api, V2, "project")["resourceFields"]
    for name in (
        "projectTemplateId",
        "orchestration",
        "healthState",
        "version",
        "hostRemoveDelaySeconds",
    ):
        assert name in fields, name
    for name in ("kubernetes", "swarm", "mesos", "publicDns"):
        assert name not in fields and name in schema(api, V1, "project")["resourceFields"]
    assert (
        fields["projectTemplateId"]["create"] is True
        and fields["projectTemplateId"]["update"] is False
    )
    default = get(api, f"{V2}/projects/1a5")
    assert (default["orchestration"], default["healthState"], default["version"]) == (
        "cattle",
        "healthy",
        "2",
    )
    assert "upgrade" in default["actions"]
    assert "upgrade" not in get(api, f"{V1}/projects/1a5")["actions"]


def test_project_templates_as_terraform_looks_them_up(api: Client) -> None:
    found = get(api, f"{V2}/projecttemplates?isPublic=true&name=kubernetes&sort=created")
    assert [t["name"] for t in found["data"]] == ["Kubernetes"]
    names = [t["name"] for t in get(api, f"{V2}/projecttemplates")["data"]]
    assert names == ["Cattle", "Kubernetes", "Mesos", "Swarm", "Windows"]
    assert api.get(f"{V1}/projecttemplates").status_code == 404
    template = found["data"][0]
    project = post(api, f"{V2}/projects", {"name": "k8s", "projectTemplateId": template["id"]})
    assert (project["orchestration"], project["projectTemplateId"]) == (
        "kubernetes",
        template["id"],
    )
    plain = post(api, f"{V2}/projects", {"name": "plain"})
    cattle = get(api, f"{V2}/projecttemplates?name=Cattle")["data"][0]
    assert (plain["orchestration"], plain["projectTemplateId"]) == ("cattle", cattle["id"])
    empty = api.post(f"{V2}/projects", json={"name": "x", "projectTemplateId": ""})
    assert (empty.status_code, empty.get_json()["code"]) == (422, "InvalidReference")


def test_project_lists_honour_only_id_uuid_name_and_all(api: Client) -> None:
    post(api, f"{V2}/projects", {"name": "Staging"})
    doc = get(api, f"{V2}/projects?limit=-2&removed_null=1&state_ne=inactive&system=false")
    assert [p["name"] for p in doc["data"]] == ["Default", "Staging"]
    assert (doc["pagination"], doc["sortLinks"], doc["filters"]) == (None, {}, {})
    assert [p["name"] for p in get(api, f"{V2}/projects?name=staging&all=true")["data"]] == [
        "Staging"
    ]


def test_the_cli_schema_quirks(api: Client) -> None:
    doubled = api.get(f"{V2}/projects/1a5/schemas/schemas")
    assert doubled.status_code == 200
    assert doubled.headers["X-API-Schemas"] == f"{V2}/projects/1a5/schemas"
    assert doubled.get_json()["id"] == "schema"
    # A name where an id goes is a 404, so the CLI falls back to a list by name.
    assert api.get(f"{V2}/projects/Default").status_code == 404


def test_the_root_answers_the_v1_version_document(api: Client) -> None:
    answer = api.get(f"{HOST}/")
    assert answer.headers["X-API-Schemas"] == f"{V1}/schemas"
    assert answer.get_json()["id"] == "v1"


def test_a_resource_made_on_one_version_is_acted_on_through_the_other(api: Client) -> None:
    registry = post(api, f"{V2}/registries", {"serverAddress": "quay.io"})
    through_v1 = get(api, f"{V1}/registries/{registry['id']}")
    assert through_v1["links"]["self"] == f"{V1}/registries/{registry['id']}"
    assert "restore" not in through_v1["actions"]  # never offered, on either version
    assert post(api, through_v1["actions"]["deactivate"], status=202)["state"] == "deactivating"
    assert get(api, registry["links"]["self"])["state"] == "inactive"


def test_the_cattle_client_on_v2_beta_with_keys() -> None:
    """Rancher's Python client pointed at `/v2-beta`: the four types and API keys."""
    from cattle_shims import cattle_client, close_client

    fake = FakeRancher(access_control=True)
    admin = fake.add_api_key(account="1a1")
    with fake.serve() as server:
        client = cattle_client(
            f"{server.url}/v2-beta/schemas",
            access_key=admin["publicValue"],
            secret_key=admin["secretValue"],
        )
        try:
            project = client.wait_success(client.create_project(name="py"))
            assert project.orchestration == "cattle"
            key = client.create_api_key(accountId=project.id)
        finally:
            close_client(client)
        env = cattle_client(
            f"{server.url}/v2-beta/schemas", access_key=key.publicValue, secret_key=key.secretValue
        )
        try:
            registry = env.wait_success(env.create_registry(serverAddress="quay.io"))
            credential = env.wait_success(
                env.create_registry_credential(registryId=registry.id, publicValue="robot")
            )
            token = env.wait_success(env.create_registration_token())
            assert (registry.accountId, credential.accountId) == (project.id, project.id)
            assert token.registrationUrl.startswith(f"{server.url}/v2-beta/scripts/")
            assert env.wait_success(credential.deactivate()).state == "inactive"
        finally:
            close_client(env)


def test_a_project_has_cattles_default_port_range(api: Client) -> None:
    default = get(api, f"{V2}/projects/1a5")["servicesPortRange"]
    assert default == {"type": "servicesPortRange", "endPort": 65535, "startPort": 49153}
    chosen = {"startPort": 1000, "endPort": 2000}
    made = post(api, f"{V2}/projects", {"name": "ports", "servicesPortRange": chosen})
    assert made["servicesPortRange"] == chosen
