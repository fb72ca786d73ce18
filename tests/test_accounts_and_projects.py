"""Accounts, API keys, roles and projects, as Cattle manages them: through HTTP, and through
Rancher's own `cattle` client with access keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gdapi  # type: ignore[import-untyped]
import pytest
import requests
from cattle_shims import cattle_client, close_client

from fakerancher import FakeRancher

Auth = tuple[str, str]


@pytest.fixture
def fake() -> Iterator[FakeRancher]:
    fake = FakeRancher()
    with fake.serve():
        yield fake


def key_of(doc: dict[str, Any]) -> Auth:
    return doc["publicValue"], doc["secretValue"]


def settle(fake: FakeRancher, doc: dict[str, Any], auth: Auth) -> dict[str, Any]:
    answer = requests.get(doc["links"]["self"], auth=auth)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


@pytest.fixture
def admin(fake: FakeRancher) -> Auth:
    """An account key of the admin 1a1, with access control on."""
    key = fake.add_api_key(account="1a1")
    fake.access_control = True
    return key_of(key)


def new_user(fake: FakeRancher, admin: Auth, name: str = "bob", kind: str = "user") -> Auth:
    """An account made by the admin through the API, and an account key for it."""
    account = requests.post(
        f"{fake.url}/v1/accounts", auth=admin, json={"name": name, "kind": kind}
    )
    assert account.status_code == 201, account.text
    assert account.json()["state"] == "registering"
    key = requests.post(
        f"{fake.url}/v1/apikeys", auth=admin, json={"accountId": account.json()["id"]}
    )
    assert key.status_code == 201 and key.json()["accountId"] == account.json()["id"]
    settle(fake, key.json(), admin)
    return key_of(key.json())


def new_project(fake: FakeRancher, auth: Auth, **fields: Any) -> dict[str, Any]:
    created = requests.post(f"{fake.url}/v1/projects", auth=auth, json={"name": "env", **fields})
    assert created.status_code == 201, created.text
    return settle(fake, created.json(), auth)


# -- keys and who they are -------------------------------------------------------------------
def test_an_account_key_creates_a_project_and_an_environment_key_for_it(
    fake: FakeRancher, admin: Auth
) -> None:
    project = new_project(fake, admin, name="Env A")
    assert project["state"] == "active"
    made = requests.post(f"{fake.url}/v1/projects/{project['id']}/apikeys", auth=admin, json={})
    assert made.status_code == 201
    key = made.json()
    assert (key["state"], key["accountId"]) == ("registering", project["id"])
    assert key["secretValue"] and len(key["publicValue"]) == 20
    assert settle(fake, key, admin)["secretValue"] is None  # shown once
    env = key_of(key)
    listed = requests.get(f"{fake.url}/v1/registries", auth=env)
    assert listed.status_code == 200
    assert (listed.headers["X-API-Account-Id"], listed.headers["X-API-User-Id"]) == (
        project["id"],
        project["id"],
    )
    assert listed.headers["X-API-Account-Kind"] == "project"
    created = requests.post(f"{fake.url}/v1/registries", auth=env, json={"serverAddress": "a.io"})
    assert created.json()["accountId"] == project["id"]
    assert requests.get(f"{fake.url}/v1/projects/1a5/registries", auth=env).status_code == 403
    assert requests.get(f"{fake.url}/v1/projects/1a5", auth=env).status_code == 404
    projects = requests.get(f"{fake.url}/v1/projects", auth=env).json()["data"]
    assert [p["id"] for p in projects] == [project["id"]]


def test_headers_say_who_calls(fake: FakeRancher, admin: Auth) -> None:
    answer = requests.get(f"{fake.url}/v1/schemas", auth=admin)
    assert answer.headers["X-API-Account-Id"] == answer.headers["X-API-User-Id"] == "1a1"
    assert (answer.headers["X-API-Account-Kind"], answer.headers["X-API-Account-Name"]) == (
        "admin",
        "admin",
    )
    scoped = requests.get(f"{fake.url}/v1/projects/1a5/registries", auth=admin)
    assert (scoped.headers["X-API-Account-Id"], scoped.headers["X-API-User-Id"]) == ("1a5", "1a1")
    refused = requests.get(f"{fake.url}/v1/registries", auth=("nobody", "nothing"))
    assert refused.status_code == 401
    assert "X-API-Account-Id" not in refused.headers and "X-API-User-Id" not in refused.headers
    assert refused.headers["X-API-Schemas"].endswith("/v1/schemas")


def test_a_deactivated_key_is_refused_and_an_active_one_cannot_be_deleted(
    fake: FakeRancher, admin: Auth
) -> None:
    key = fake.add_api_key(project="1a5")
    auth = key_of(key)
    assert requests.get(f"{fake.url}/v1/registries", auth=auth).status_code == 200
    url = f"{fake.url}/v1/apikeys/{key['id']}"
    assert requests.delete(url, auth=admin).status_code == 405
    assert requests.post(f"{url}/?action=deactivate", auth=admin).status_code == 202
    assert requests.get(f"{fake.url}/v1/registries", auth=auth).status_code == 401
    assert requests.delete(url, auth=admin).json()["state"] == "removing"


def test_duplicate_public_values_are_refused(fake: FakeRancher, admin: Auth) -> None:
    body = {"accountId": "1a1", "publicValue": "ci", "secretValue": "s"}
    assert requests.post(f"{fake.url}/v1/apikeys", auth=admin, json=body).status_code == 201
    again = requests.post(f"{fake.url}/v1/apikeys", auth=admin, json=body)
    assert (again.status_code, again.json()["code"], again.json()["fieldName"]) == (
        422,
        "NotUnique",
        "publicValue",
    )


def test_access_control_off_still_honours_a_valid_key(fake: FakeRancher) -> None:
    key = fake.add_api_key(project="1a5")
    project = fake.create("project", name="Other")
    answer = requests.get(f"{fake.url}/v1/projects/{project['id']}/registries", auth=key_of(key))
    assert answer.status_code == 403  # an environment key of 1a5, even with access control off
    anyone = requests.get(f"{fake.url}/v1/projects/{project['id']}/registries")
    assert anyone.status_code == 200


# -- accounts and roles -----------------------------------------------------------------------
def test_a_user_sees_only_its_own_projects_and_cannot_manage_accounts(
    fake: FakeRancher, admin: Auth
) -> None:
    bob = new_user(fake, admin)
    assert requests.get(f"{fake.url}/v1/projects", auth=bob).json()["data"] == []
    refused = requests.post(f"{fake.url}/v1/accounts", auth=bob, json={"name": "eve"})
    assert refused.status_code == 405
    own = new_project(fake, bob, name="bob's")
    assert [p["id"] for p in requests.get(f"{fake.url}/v1/projects", auth=bob).json()["data"]] == [
        own["id"]
    ]
    assert requests.get(f"{fake.url}/v1/projects/1a5", auth=bob).status_code == 404
    assert requests.get(f"{fake.url}/v1/projects/1a5/registries", auth=bob).status_code == 403
    inside = requests.post(
        f"{fake.url}/v1/projects/{own['id']}/registries", auth=bob, json={"serverAddress": "b.io"}
    )
    assert inside.status_code == 201 and inside.json()["accountId"] == own["id"]
    accounts = requests.get(f"{fake.url}/v1/accounts", auth=bob).json()["data"]
    assert [a["name"] for a in accounts] == ["bob"]


def test_the_admin_reads_every_row_but_writes_none_at_the_top_level(
    fake: FakeRancher, admin: Auth
) -> None:
    fake.create("registry", serverAddress="quay.io")
    listed = requests.get(f"{fake.url}/v1/registries", auth=admin).json()["data"]
    assert [r["serverAddress"] for r in listed] == ["quay.io"]
    assert "data" in listed[0] and "removeTime" in listed[0]
    refused = requests.post(f"{fake.url}/v1/registries", auth=admin, json={"serverAddress": "x"})
    assert refused.status_code == 405
    inside = requests.post(
        f"{fake.url}/v1/projects/1a5/registries", auth=admin, json={"serverAddress": "y.io"}
    )
    assert inside.status_code == 201


def test_projectadmin_sees_credential_secrets(fake: FakeRancher, admin: Auth) -> None:
    boss = new_user(fake, admin, name="boss", kind="projectadmin")
    registry = requests.post(
        f"{fake.url}/v1/registries", auth=boss, json={"serverAddress": "p.io"}
    ).json()
    credential = requests.post(
        f"{fake.url}/v1/registrycredentials",
        auth=boss,
        json={"registryId": registry["id"], "email": "a@b.c", "secretValue": "visible"},
    ).json()
    assert settle(fake, credential, boss)["secretValue"] == "visible"
    assert settle(fake, credential, admin)["secretValue"] is None


# -- projects --------------------------------------------------------------------------------
def test_members_and_setmembers(fake: FakeRancher, admin: Auth) -> None:
    bob = new_user(fake, admin, name="bob")
    project = new_project(fake, bob)
    members = requests.get(project["links"]["projectMembers"], auth=bob).json()["data"]
    bob_id = members[0]["externalId"]
    assert [(m["externalIdType"], m["role"]) for m in members] == [("rancher_id", "owner")]
    set_members = project["actions"]["setmembers"]
    empty = requests.post(set_members, auth=bob, json={"members": []})
    assert (empty.status_code, empty.json()["code"]) == (422, "MinLengthExceeded")
    no_owner = [{"externalId": bob_id, "externalIdType": "rancher_id", "role": "member"}]
    refused = requests.post(set_members, auth=bob, json={"members": no_owner})
    assert (refused.status_code, refused.json()["code"]) == (400, "InvalidFormat")
    assert refused.json()["message"] == "Members list does not have an owner"
    carol = new_user(fake, admin, name="carol")
    carol_id = requests.get(f"{fake.url}/v1/accounts", auth=carol).json()["data"][0]["id"]
    both = [
        {"externalId": bob_id, "externalIdType": "rancher_id", "role": "owner"},
        {"externalId": carol_id, "externalIdType": "rancher_id", "role": "member"},
    ]
    assert requests.post(set_members, auth=bob, json={"members": both}).status_code == 200
    members = requests.get(project["links"]["projectMembers"], auth=bob).json()["data"]
    assert [(m["externalId"], m["role"]) for m in members] == [
        (bob_id, "owner"),
        (carol_id, "member"),
    ]
    seen_by_carol = settle(fake, project, carol)
    assert seen_by_carol["actions"] == {}  # a member may not act on the project
    assert requests.put(project["links"]["self"], auth=carol, json={"name": "x"}).status_code == 403
    assert requests.delete(project["links"]["self"], auth=carol).status_code == 403
    inside = requests.get(f"{fake.url}/v1/projects/{project['id']}/registries", auth=carol)
    assert inside.status_code == 200


def test_update_deactivate_and_delete_a_project(fake: FakeRancher, admin: Auth) -> None:
    project = new_project(fake, admin, name="temp")
    env = key_of(fake.add_api_key(project=project["id"]))
    renamed = requests.put(project["links"]["self"], auth=admin, json={"name": "renamed"})
    assert renamed.json()["name"] == "renamed"
    assert requests.get(f"{fake.url}/v1/registries", auth=env).status_code == 200
    deactivated = requests.post(project["actions"]["deactivate"], auth=admin)
    assert deactivated.json()["state"] == "deactivating"
    assert settle(fake, project, admin)["state"] == "inactive"
    assert requests.get(f"{fake.url}/v1/registries", auth=env).status_code == 401
    assert (
        requests.get(f"{fake.url}/v1/projects/{project['id']}/registries", auth=admin).status_code
        == 403
    )
    requests.post(settle(fake, project, admin)["actions"]["activate"], auth=admin)
    assert settle(fake, project, admin)["state"] == "active"
    deleted = requests.delete(project["links"]["self"], auth=admin)  # active: deactivates first
    assert (deleted.status_code, deleted.json()["state"]) == (200, "removing")
    assert settle(fake, project, admin)["state"] == "removed"
    purged = requests.post(settle(fake, project, admin)["actions"]["purge"], auth=admin)
    assert purged.status_code == 202


def test_an_environment_key_cannot_create_projects(fake: FakeRancher, admin: Auth) -> None:
    env = key_of(fake.add_api_key(project="1a5"))
    assert requests.post(f"{fake.url}/v1/projects", auth=env, json={}).status_code == 405
    schema = requests.get(f"{fake.url}/v1/schemas/project", auth=env).json()
    assert schema["collectionMethods"] == ["GET"]


# -- the cattle client -----------------------------------------------------------------------
def test_the_cattle_client_with_access_keys(fake: FakeRancher, admin: Auth) -> None:
    access, secret = admin
    client = cattle_client(fake.url, access_key=access, secret_key=secret)
    try:
        project = client.wait_success(client.create_project(name="from cattle"))
        assert project.state == "active"
        key = client.create_api_key(accountId=project.id)  # the secret: in this answer only
        assert client.wait_success(key).secretValue is None
        env = cattle_client(fake.url, access_key=key.publicValue, secret_key=key.secretValue)
    finally:
        close_client(client)
    try:
        registry = env.wait_success(env.create_registry(serverAddress="quay.io"))
        assert registry.accountId == project.id
        assert [p.id for p in env.list_project()] == [project.id]
        assert env.by_id_project("1a5") is None
    finally:
        close_client(env)
    with pytest.raises(gdapi.ApiError) as refused:
        cattle_client(fake.url, access_key=access, secret_key="wrong")
    assert refused.value.error.status == 401


def test_a_fake_used_from_python_does_not_import_werkzeug() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from fakerancher import FakeRancher\n"
        "fake = FakeRancher()\n"
        "fake.create('registry', serverAddress='q.io')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'werkzeug'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_settings_are_the_admins_and_a_create_updates_by_name(
    fake: FakeRancher, admin: Auth
) -> None:
    url = f"{fake.url}/v1/settings"
    first = requests.post(url, auth=admin, json={"name": "api.host", "value": "http://a"})
    again = requests.post(url, auth=admin, json={"name": "api.host", "value": "http://b"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert (again.json()["value"], again.json()["activeValue"]) == ("http://b", "http://b")
    env = key_of(fake.add_api_key(project="1a5"))
    assert requests.get(url, auth=env).status_code == 404


def test_the_last_admin_cannot_be_deactivated_or_deleted(fake: FakeRancher, admin: Auth) -> None:
    refused = requests.post(f"{fake.url}/v1/accounts/1a1/?action=deactivate", auth=admin)
    assert (refused.status_code, refused.json()["code"]) == (405, "LastAdminAccount")
    assert refused.json()["message"] == "Cannot deactivate the last admin account."
    other = requests.post(
        f"{fake.url}/v1/accounts", auth=admin, json={"name": "root2", "kind": "admin"}
    ).json()
    settle(fake, other, admin)
    root2 = key_of(fake.add_api_key(account=other["id"]))
    allowed = requests.post(f"{fake.url}/v1/accounts/1a1/?action=deactivate", auth=admin)
    assert allowed.status_code == 202
    last = requests.delete(f"{fake.url}/v1/accounts/{other['id']}", auth=root2)
    assert (last.status_code, last.json()["message"]) == (
        405,
        "Cannot delete the last admin account.",
    )


def test_a_member_made_owner_sees_the_owners_actions_at_once(
    fake: FakeRancher, admin: Auth
) -> None:
    bob = new_user(fake, admin, name="bob")
    carol = new_user(fake, admin, name="carol")
    carol_id = requests.get(f"{fake.url}/v1/accounts", auth=carol).json()["data"][0]["id"]
    project = new_project(fake, bob)
    bob_id = requests.get(project["links"]["projectMembers"], auth=bob).json()["data"][0][
        "externalId"
    ]

    def members(carol_role: str) -> list[dict[str, str]]:
        return [
            {"externalId": bob_id, "externalIdType": "rancher_id", "role": "owner"},
            {"externalId": carol_id, "externalIdType": "rancher_id", "role": carol_role},
        ]

    requests.post(project["actions"]["setmembers"], auth=bob, json={"members": members("member")})
    assert settle(fake, project, carol)["actions"] == {}
    requests.post(project["actions"]["setmembers"], auth=bob, json={"members": members("owner")})
    assert "setmembers" in settle(fake, project, carol)["actions"]
    listed = requests.get(f"{fake.url}/v1/projects", auth=carol).json()["data"]
    assert "setmembers" in listed[0]["actions"]


def test_a_member_shows_its_accounts_current_name(fake: FakeRancher, admin: Auth) -> None:
    bob = new_user(fake, admin, name="bob")
    project = new_project(fake, bob)
    members_url = project["links"]["projectMembers"]

    def names() -> list[str]:
        listed = requests.get(members_url, auth=bob).json()["data"]
        scoped = requests.get(f"{fake.url}/v1/projectmembers", auth=bob, headers=scope)
        by_id = requests.get(
            f"{fake.url}/v1/projectmembers/{listed[0]['id']}", auth=bob, headers=scope
        )
        return [listed[0]["name"], scoped.json()["data"][0]["name"], by_id.json()["name"]]

    scope = {"X-API-Project-Id": project["id"]}
    assert names() == ["bob"] * 3
    account = requests.get(f"{fake.url}/v1/accounts", auth=bob).json()["data"][0]
    renamed = requests.put(account["links"]["self"], auth=admin, json={"name": "robert"})
    assert renamed.status_code == 200
    assert names() == ["robert"] * 3


def test_an_admin_lists_its_own_projects_unless_it_asks_for_all(
    fake: FakeRancher, admin: Auth
) -> None:
    bob = new_user(fake, admin, name="bob")
    bobs = new_project(fake, bob, name="bob's")
    mine = new_project(fake, admin, name="mine")

    def listed(auth: Auth, query: str = "") -> list[str]:
        answer = requests.get(f"{fake.url}/v1/projects{query}", auth=auth)
        assert answer.status_code == 200, answer.text
        return [p["id"] for p in answer.json()["data"]]

    assert listed(admin) == ["1a5", mine["id"]]
    assert listed(admin, "?all=true") == ["1a5", bobs["id"], mine["id"]]
    assert listed(bob) == listed(bob, "?all=true") == [bobs["id"]]
    # By id, an admin reads any project.
    assert requests.get(bobs["links"]["self"], auth=admin).status_code == 200


def test_projects_are_accounts_of_kind_project(fake: FakeRancher, admin: Auth) -> None:
    """Cattle keeps projects in its account table: /v1/accounts lists them (kind project)."""
    bob = new_user(fake, admin, name="bob")
    project = new_project(fake, bob, name="bob's")
    accounts = requests.get(f"{fake.url}/v1/accounts?kind=project", auth=admin).json()["data"]
    assert [(a["id"], a["type"], a["kind"]) for a in accounts] == [
        ("1a5", "account", "project"),
        (project["id"], "account", "project"),
    ]
    as_account = requests.get(f"{fake.url}/v1/accounts/{project['id']}", auth=admin).json()
    assert (as_account["type"], as_account["kind"], as_account["name"]) == (
        "account",
        "project",
        "bob's",
    )
    assert as_account["links"]["self"] == f"{fake.url}/v1/accounts/{project['id']}"
    # Every project the admin lists (with all=true) is among the accounts, as Cattle's
    # test_list_all_projects checks.
    every = requests.get(f"{fake.url}/v1/projects?all=true", auth=admin).json()["data"]
    listed = requests.get(f"{fake.url}/v1/accounts", auth=admin).json()["data"]
    assert {p["id"] for p in every} <= {a["id"] for a in listed}
    # A user's key sees only its own account; an environment key its project.
    assert [
        a["kind"] for a in requests.get(f"{fake.url}/v1/accounts", auth=bob).json()["data"]
    ] == ["user"]
    env = key_of(fake.add_api_key(project=project["id"]))
    seen = requests.get(f"{fake.url}/v1/accounts", auth=env).json()["data"]
    assert [(a["id"], a["kind"]) for a in seen] == [(project["id"], "project")]


def test_an_accounts_credentials_are_its_api_keys(fake: FakeRancher, admin: Auth) -> None:
    bob = new_user(fake, admin, name="bob")
    account = requests.get(f"{fake.url}/v1/accounts", auth=bob).json()["data"][0]
    credentials = requests.get(account["links"]["credentials"], auth=admin).json()
    assert credentials["resourceType"] == "credential"
    assert [(c["type"], c["publicValue"], c["secretValue"]) for c in credentials["data"]] == [
        ("apiKey", bob[0], None)
    ]
    fresh = requests.post(f"{fake.url}/v1/accounts", auth=admin, json={"name": "carol"}).json()
    assert requests.get(fresh["links"]["credentials"], auth=admin).json()["data"] == []


def test_the_superadmin_reads_a_keys_stored_hash(fake: FakeRancher, admin: Auth) -> None:
    """Cattle's test_api_key_create_admin: the superadmin's reload of a key has a secretValue
    (the hash Cattle stores), never the secret itself; other roles see none."""
    activated = requests.post(f"{fake.url}/v1/accounts/1a3/?action=activate", auth=admin)
    assert activated.status_code == 202
    superadmin = key_of(fake.add_api_key(account="1a3"))
    made = requests.post(f"{fake.url}/v1/apikeys", auth=superadmin, json={}).json()
    secret = made["secretValue"]
    reloaded = requests.get(made["links"]["self"], auth=superadmin).json()
    assert reloaded["secretValue"] not in (None, secret)
    assert requests.get(made["links"]["self"], auth=admin).json()["secretValue"] is None
    assert requests.get(f"{fake.url}/v1", auth=(made["publicValue"], secret)).status_code == 200
