"""Every API version x role x type x operation, derived from the declarations (`schemas.py`, the
role overlays in `roles.py`) and checked through HTTP with a real key of that role.

An allowed operation is never 405 (a create may still be refused by validation, a missing row
is 404); a refused one is 405; a type the role lacks is 404. Each role's `/v1/schemas` lists
exactly its types, with the methods the overlay gives them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fakerancher import FakeRancher
from fakerancher.roles import ROLES
from fakerancher.schemas import RESOURCE_TYPES, ResourceType
from fakerancher.versions import VERSIONS

Auth = tuple[str, str]

# How a key gets each role: an account key of that kind at the top level, an account key inside
# a project by its member role there, an environment key.
ACCOUNT_KINDS = ("admin", "user", "service", "projectadmin", "readonly", "superadmin")
MEMBER_ROLES = ("owner", "member", "restricted")
REACHABLE = (*ACCOUNT_KINDS, *MEMBER_ROLES, "project")


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[FakeRancher, dict[str, tuple[Auth, dict[str, str]]]]]:
    """One fake with a key (and headers) for every reachable role."""
    fake = FakeRancher(access_control=True)
    keys: dict[str, tuple[Auth, dict[str, str]]] = {}
    for kind in ACCOUNT_KINDS:
        account = fake.create("account", name=kind, kind=kind)
        keys[kind] = (_auth(fake.add_api_key(account=account["id"])), {})
    owner = fake.create("account", name="owner", kind="user")
    members = [{"externalId": owner["id"], "externalIdType": "rancher_id", "role": "owner"}]
    accounts = {"owner": owner}
    for role in ("member", "restricted"):
        accounts[role] = fake.create("account", name=role, kind="user")
        members.append(
            {"externalId": accounts[role]["id"], "externalIdType": "rancher_id", "role": role}
        )
    project = fake.create("project", name="matrix", members=members)
    for role in MEMBER_ROLES:
        key = fake.add_api_key(account=accounts[role]["id"])
        keys[role] = (_auth(key), {"X-API-Project-Id": project["id"]})
    keys["project"] = (_auth(fake.add_api_key(project=project["id"])), {})
    with fake.serve():
        yield fake, keys


def _auth(key: dict[str, Any]) -> Auth:
    return key["publicValue"], key["secretValue"]


def methods(rtype: ResourceType, role: str, version: str) -> str:
    """What the declarations say: the role's methods, where the version serves the type."""
    access = ROLES[role].types.get(rtype.id)
    if access is None or VERSIONS[version].view(rtype) is None:
        return ""
    return access.methods


CELLS = [
    (version, role, rtype.id, operation)
    for version in VERSIONS
    for role in REACHABLE
    for rtype in RESOURCE_TYPES
    for operation in ("list", "create", "update", "delete")
]


@pytest.mark.parametrize(("version", "role", "type_id", "operation"), CELLS)
def test_cell(
    world: tuple[FakeRancher, dict[str, tuple[Auth, dict[str, str]]]],
    version: str,
    role: str,
    type_id: str,
    operation: str,
) -> None:
    fake, keys = world
    auth, headers = keys[role]
    rtype = next(t for t in RESOURCE_TYPES if t.id == type_id)
    allowed = methods(rtype, role, version)
    collection = f"{fake.url}/{version}/{rtype.plural.lower()}"
    missing_row = f"{collection}/{rtype.id_prefix}99999"
    answer = {
        "list": lambda: requests.get(collection, auth=auth, headers=headers),
        "create": lambda: requests.post(collection, auth=auth, headers=headers, json={}),
        "update": lambda: requests.put(missing_row, auth=auth, headers=headers, json={}),
        "delete": lambda: requests.delete(missing_row, auth=auth, headers=headers),
    }[operation]()
    if not allowed:
        assert answer.status_code == 404, f"{role} should not see {type_id}"
        return
    flag = {"list": "r", "create": "c", "update": "u", "delete": "d"}[operation]
    if flag in allowed:
        assert answer.status_code != 405, f"{role} may {operation} {type_id}: {answer.text}"
        assert answer.status_code < 500
    else:
        assert answer.status_code == 405, f"{role} may not {operation} {type_id}"
    assert answer.json()["type"] in ("collection", "error", rtype.id)


@pytest.mark.parametrize("version", list(VERSIONS))
@pytest.mark.parametrize("role", REACHABLE)
def test_schemas_of_each_role(
    world: tuple[FakeRancher, dict[str, tuple[Auth, dict[str, str]]]], role: str, version: str
) -> None:
    fake, keys = world
    auth, headers = keys[role]
    answer = requests.get(f"{fake.url}/{version}/schemas", auth=auth, headers=headers)
    schemas = {s["id"]: s for s in answer.json()["data"]}
    expected = {t.id for t in RESOURCE_TYPES if methods(t, role, version)} | {"schema"}
    assert set(schemas) == expected
    for type_id in expected - {"schema"}:
        rtype = next(t for t in RESOURCE_TYPES if t.id == type_id)
        allowed = methods(rtype, role, version)
        doc = schemas[type_id]
        assert ("POST" in doc["collectionMethods"]) == ("c" in allowed)
        assert ("PUT" in doc["resourceMethods"]) == ("u" in allowed)
        assert ("DELETE" in doc["resourceMethods"]) == ("d" in allowed)
        shows_admin_fields = ROLES[role].admin_fields
        assert ("removeTime" in doc["resourceFields"]) == shows_admin_fields
