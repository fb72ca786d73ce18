"""The real `cattle` 0.5.4 / `gdapi-python` 0.5.3 clients against a live fake.

Every request goes through the unmodified clients over a socket; `cattle_shims` only makes
them run on Python 3. The scenarios follow the way Cattle's own v1 integration tests and the
validation tests drive these types (spec/real-clients.md §4.1, §4.2).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import cattle  # type: ignore[import-untyped]
import gdapi  # type: ignore[import-untyped]
import pytest
from cattle_shims import cattle_client, close_client

from fakerancher import FakeRancher
from fakerancher.server import LiveServer

Client = Any  # cattle.Client: untyped
Obj = Any  # gdapi.RestObject: untyped

RESTING = {"requested", "active", "inactive", "removed", "purged"}


@pytest.fixture
def fake() -> FakeRancher:
    return FakeRancher(transition_delay=0.0)


@pytest.fixture
def server(fake: FakeRancher) -> Iterator[LiveServer]:
    with fake.serve(host="127.0.0.1", port=0) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Iterator[Client]:
    api = cattle_client(server.url)
    try:
        yield api
    finally:
        close_client(api)


def api_error(call: Callable[[], object]) -> Obj:
    """The error document of the `gdapi.ApiError` that `call` raises."""
    with pytest.raises(gdapi.ApiError) as caught:
        call()
    return caught.value.error


def make_registry(client: Client, address: str = "quay.io", **fields: Any) -> Obj:
    return client.wait_success(client.create_registry(serverAddress=address, **fields))


def make_credential(client: Client, registry: Obj, **fields: Any) -> Obj:
    body = {"email": "ci@example.com", "publicValue": "robot", "secretValue": "hunter2"}
    cred = client.create_registry_credential(registryId=registry.id, **{**body, **fields})
    return client.wait_success(cred)


def deactivated(client: Client, obj: Obj) -> Obj:
    return client.wait_success(obj.deactivate())


def ids(collection: Obj) -> list[str]:
    return [item.id for item in collection]


# -- construction -------------------------------------------------------------------------


def test_methods_bound_from_the_schemas(client: Client) -> None:
    for name in ("registry", "registry_credential", "registryCredential", "registration_token"):
        for verb in ("create", "list", "by_id"):
            assert callable(getattr(client, f"{verb}_{name}")), f"{verb}_{name}"
    assert callable(client.update_by_id_registry)
    assert callable(client.update_by_id_registry_credential)
    # registrationToken has resourceMethods [GET] only, so no update method is bound.
    assert not hasattr(client, "update_by_id_registration_token")
    assert client.valid()


@pytest.mark.parametrize("path", ["/v1", "/v1/schemas", "/v1/schemas/"])
def test_client_accepts_the_version_or_schemas_url(server: LiveServer, path: str) -> None:
    # With `…/v1` the client relies on the X-API-Schemas header to find the schemas.
    api = cattle_client(server.url + path)
    try:
        assert set(api.schema.types) >= {"registry", "registryCredential", "registrationToken"}
        assert make_registry(api).state == "active"
    finally:
        close_client(api)


# requests warns about the `None` credentials gdapi sends when built without keys; what is
# under test is that the fake accepts them, as a Cattle with access control off does.
@pytest.mark.filterwarnings("ignore:Non-string (usernames|passwords):DeprecationWarning")
def test_client_without_keys(server: LiveServer) -> None:
    api = cattle.Client(url=f"{server.url}/v1/schemas", cache=False)
    try:
        created = api.create_registry(serverAddress="quay.io")
        assert api.wait_success(created).state == "active"
    finally:
        api._session.close()


# -- registry ------------------------------------------------------------------------------


def test_registry_lifecycle(client: Client) -> None:
    created = client.create_registry(serverAddress="quay.io", name="Quay")
    assert created.type == "registry"
    assert (created.state, created.transitioning) == ("registering", "yes")
    assert created.transitioningMessage == "In Progress"

    registry = client.wait_success(created)
    assert (registry.state, registry.transitioning) == ("active", "no")
    assert (registry.serverAddress, registry.name, registry.kind) == ("quay.io", "Quay", "registry")
    assert registry.removed is None
    assert registry.id.startswith("1sp")
    # `update` is a dict method, so gdapi binds that action as `update_action`.
    assert sorted(vars(registry.actions)) == ["deactivate", "update"]
    assert callable(registry.update_action)

    deactivating = registry.deactivate()
    assert deactivating.state == "deactivating"
    registry = client.wait_success(deactivating)
    assert registry.state == "inactive"
    assert sorted(vars(registry.actions)) == ["activate", "remove", "update"]

    removing = client.delete(registry)
    assert (removing.state, removing.transitioning) == ("removing", "yes")
    registry = client.wait_success(removing)
    assert registry.state == "removed"
    assert registry.removed is not None
    assert sorted(vars(registry.actions)) == ["purge"]

    registry = client.wait_success(registry.purge())
    assert registry.state == "purged"
    assert vars(registry.actions) == {}
    # Still readable by id: wait_success above reloaded it.
    assert client.reload(registry).state == "purged"


def test_registry_reactivates(client: Client) -> None:
    registry = deactivated(client, make_registry(client))
    activating = registry.activate()
    assert activating.state == "activating"
    assert client.wait_success(activating).state == "active"


def test_wait_success_polls_until_the_transition_ends(fake: FakeRancher, client: Client) -> None:
    fake.transitions.set("delay", type="registry", delay=0.3)
    created = client.create_registry(serverAddress="quay.io")
    assert client.reload(created).transitioning == "yes"
    registry = client.wait_success(created)
    assert (registry.state, registry.transitioning) == ("active", "no")


def test_wait_success_raises_on_a_failed_transition(fake: FakeRancher, client: Client) -> None:
    fake.transitions.set("fail", type="registry", message="disk on fire")
    created = client.create_registry(serverAddress="quay.io")
    with pytest.raises(gdapi.ClientApiError, match="disk on fire"):
        client.wait_success(created)
    assert client.reload(created).transitioning == "error"


def test_duplicate_server_address(client: Client) -> None:
    make_registry(client, "quay.io")
    error = api_error(lambda: client.create_registry(serverAddress="QUAY.IO"))
    assert error.status == 400
    assert isinstance(error.status, int)
    assert error.code == "ServerAddressUsed"
    assert len(client.list_registry()) == 1


def test_server_address_free_again_after_removal(client: Client) -> None:
    first = deactivated(client, make_registry(client, "quay.io"))
    client.wait_success(client.delete(first))
    second = make_registry(client, "quay.io")
    assert second.id != first.id
    assert second.state == "active"


# -- registryCredential --------------------------------------------------------------------


def test_registry_credential_lifecycle(client: Client) -> None:
    registry = make_registry(client)
    created = client.create_registry_credential(
        registryId=registry.id, email="test@rancher.com", publicValue="rancher", secretValue="s1"
    )
    assert (created.state, created.transitioning) == ("registering", "yes")
    # readOnCreateOnly: the secret is echoed by the POST only.
    assert created.secretValue == "s1"

    cred = client.wait_success(created)
    assert cred.state == "active"
    assert cred.kind == "registryCredential"
    assert (cred.email, cred.publicValue, cred.registryId) == (
        "test@rancher.com",
        "rancher",
        registry.id,
    )
    assert cred.secretValue is None
    assert cred.id.startswith("1c")

    cred = deactivated(client, cred)
    assert cred.state == "inactive"

    updated = client.update(
        cred, {"publicValue": "rancher2", "secretValue": "s2", "email": "new@rancher.com"}
    )
    assert updated.state == "inactive"
    cred = client.wait_success(updated)
    assert (cred.publicValue, cred.email, cred.secretValue) == (
        "rancher2",
        "new@rancher.com",
        None,
    )

    cred = client.wait_success(client.delete(cred))
    assert cred.state == "removed"
    cred = client.wait_success(cred.purge())
    assert cred.state == "purged"


def test_credential_with_unknown_registry(client: Client) -> None:
    error = api_error(
        lambda: client.create_registry_credential(
            registryId="1sp999", email="a@b.c", publicValue="u", secretValue="p"
        )
    )
    assert (error.status, error.code, error.fieldName) == (422, "InvalidReference", "registryId")


def test_credential_links(client: Client) -> None:
    quay, docker = make_registry(client, "quay.io"), make_registry(client, "docker.io")
    mine = make_credential(client, quay, publicValue="a")
    make_credential(client, docker, publicValue="b")

    linked = quay.credentials()
    assert ids(linked) == [mine.id]
    assert linked[0].publicValue == "a"
    assert mine.registry().id == quay.id
    assert mine.registry().serverAddress == "quay.io"


def test_purging_a_registry_removes_its_credentials(client: Client) -> None:
    registry = make_registry(client)
    cred = make_credential(client, registry)
    registry = client.wait_success(client.delete(deactivated(client, registry)))
    assert client.reload(cred).state == "active"  # removing alone does not cascade
    client.wait_success(registry.purge())
    assert client.wait_success(cred).state == "removed"


# -- registrationToken ---------------------------------------------------------------------


def test_registration_token_lifecycle(client: Client) -> None:
    created = client.create_registration_token()
    assert created.state == "registering"
    token = client.wait_success(created)
    assert token.state == "active"
    assert token.kind == "registrationToken"
    assert "publicValue" not in token
    assert "secretValue" not in token
    assert token.token is not None
    assert client.reload(token).token == token.token

    by_id = client.by_id_registration_token(token.id)
    assert by_id.image.startswith("rancher/agent:")
    assert by_id.command.startswith("sudo docker run")
    assert by_id.registrationUrl == by_id.command.split()[-1]
    assert by_id.registrationUrl.endswith(f"/v1/scripts/{token.token}")
    # The link and the field share a name, so gdapi binds the link with a `_link` suffix.
    assert callable(by_id.registrationUrl_link)

    # No DELETE for tokens: they are retired with actions.
    token = deactivated(client, token)
    assert token.state == "inactive"
    token = client.wait_success(token.remove())
    assert token.state == "removed"
    assert client.wait_success(token.purge()).state == "purged"


def test_registration_token_has_no_required_fields(client: Client) -> None:
    token = client.wait_success(client.create_registration_token(name="ci", description="d"))
    assert (token.name, token.description) == ("ci", "d")


@pytest.mark.parametrize("state", ["active", "inactive"])
def test_registration_token_refuses_put_and_delete(client: Client, state: str) -> None:
    token = client.wait_success(client.create_registration_token())
    if state == "inactive":
        token = deactivated(client, token)
    assert api_error(lambda: client.update(token, name="x")).status == 405
    assert api_error(lambda: client.delete(token)).status == 405
    assert client.reload(token).state == state


# -- lists and filters ---------------------------------------------------------------------


def test_list_filters(client: Client) -> None:
    quay, docker = make_registry(client, "quay.io"), make_registry(client, "docker.io")
    prod = make_credential(client, quay, name="prod-pull", publicValue="robot-prod")
    stage = make_credential(client, quay, name="stage-pull", publicValue="robot-stage")
    other = make_credential(client, docker, name="prod-push", publicValue="human")

    assert ids(client.list_registry_credential(registryId=quay.id)) == [prod.id, stage.id]
    assert ids(client.list_registry_credential(registryId=docker.id)) == [other.id]
    assert ids(client.list_registry_credential(name_like="%prod%")) == [prod.id, other.id]
    assert ids(client.list_registry_credential(name_prefix="stage")) == [stage.id]
    assert ids(client.list_registry_credential(name_ne="prod-pull")) == [stage.id, other.id]
    assert ids(client.list_registry_credential(publicValue="human")) == [other.id]
    assert ids(client.list_registryCredential(publicValue_prefix="robot")) == [prod.id, stage.id]

    deactivated(client, stage)
    assert ids(client.list_registry_credential(state="inactive")) == [stage.id]
    assert ids(client.list_registry_credential(state_ne="inactive")) == [prod.id, other.id]
    assert ids(client.list_registry(name_null="true")) == [quay.id, docker.id]


def test_server_address_is_not_a_filter(client: Client) -> None:
    # serverAddress is not in the registry's collectionFilters: Cattle ignores the parameter.
    quay, docker = make_registry(client, "quay.io"), make_registry(client, "docker.io")
    listed = client.list_registry(serverAddress="quay.io")
    assert ids(listed) == [quay.id, docker.id]
    assert [r.serverAddress for r in listed] == ["quay.io", "docker.io"]


def test_list_sort_and_pages(client: Client) -> None:
    registry = make_registry(client)
    creds = [make_credential(client, registry, name=name) for name in ("b", "c", "a")]

    by_name = client.list_registry_credential(sort="name", order="desc")
    assert [c.name for c in by_name] == ["c", "b", "a"]
    assert by_name.sort.order == "desc"

    page = client.list_registry_credential(limit=2)
    assert len(page) == 2
    assert page.pagination.partial is True
    rest = page.next()
    assert ids(rest) == [creds[2].id]
    assert rest.pagination.next is None
    assert not hasattr(rest, "next")
    assert ids(page) + ids(rest) == [c.id for c in creds]


def test_removed_hidden_from_lists_but_readable_by_id(client: Client) -> None:
    keep = make_registry(client, "quay.io")
    gone = client.wait_success(client.delete(deactivated(client, make_registry(client, "gcr.io"))))
    assert ids(client.list_registry()) == [keep.id]
    assert ids(client.list_registry(_removed="true")) == [keep.id, gone.id]
    assert client.by_id_registry(gone.id).state == "removed"


def test_collection_behaves_like_a_list(client: Client) -> None:
    registry = make_registry(client)
    coll = client.list_registry()
    assert coll.type == "collection"
    assert coll.resourceType == "registry"
    assert len(coll) == 1
    assert coll[0].id == registry.id
    assert [r.id for r in coll] == [registry.id]
    assert "pagination" in coll


# -- by id, update ------------------------------------------------------------------------


def test_by_id(client: Client) -> None:
    registry = make_registry(client, name="Quay")
    cred = make_credential(client, registry)
    assert client.by_id_registry(registry.id).name == "Quay"
    assert client.by_id("registryCredential", cred.id).email == "ci@example.com"
    assert client.by_id_registry_credential(cred.id).registryId == registry.id


@pytest.mark.parametrize(
    ("type_name", "missing"),
    [
        ("registry", "1sp404"),
        ("registryCredential", "1c404"),
        ("registrationToken", "1c404"),
        ("registry", "not-an-id"),
    ],
)
def test_by_id_of_an_unknown_id_is_none(client: Client, type_name: str, missing: str) -> None:
    assert client.by_id(type_name, missing) is None


def test_update(client: Client) -> None:
    registry = make_registry(client, "quay.io", name="Quay")
    updated = client.update(registry, description="mirror", serverAddress="evil.io")
    assert updated.description == "mirror"
    assert updated.state == "active"  # a PUT does not start a process
    # serverAddress is create-only: silently dropped from the PUT.
    assert client.reload(registry).serverAddress == "quay.io"
    assert client.reload(registry).description == "mirror"

    renamed = client.update_by_id_registry(registry.id, name="Quay mirror")
    assert renamed.name == "Quay mirror"

    cred = make_credential(client, registry)
    other = make_registry(client, "docker.io")
    moved = client.update(cred, registryId=other.id, name="pull")
    assert (moved.registryId, moved.name) == (registry.id, "pull")


def test_update_with_an_object_as_the_values(client: Client) -> None:
    # gdapi serialises a RestObject value field by field (the `_to_value` shim).
    registry = make_registry(client)
    source = make_credential(client, registry, name="src", email="src@x.io", publicValue="s")
    target = make_credential(client, registry, name="dst", email="dst@x.io", publicValue="d")
    copied = client.update(target, source)
    assert copied.id == target.id
    assert (copied.name, copied.email, copied.publicValue) == ("src", "src@x.io", "s")
    assert client.reload(source).name == "src"


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("create", "fields", "dropped"),
    [
        ("create_registry", {"serverAddress": "quay.io"}, "serverAddress"),
        ("create_registry_credential", {"email": "a@b.c"}, "registryId"),
        ("create_registry_credential", {"registryId": None}, "email"),
    ],
)
def test_missing_required(
    client: Client, create: str, fields: dict[str, Any], dropped: str
) -> None:
    # As Cattle's `assert_required_fields`: drop one required field, expect MissingRequired.
    registry = make_registry(client, "gcr.io")
    body = {key: registry.id if key == "registryId" else value for key, value in fields.items()}
    body.pop(dropped, None)
    error = api_error(lambda: getattr(client, create)(**body))
    assert (error.status, error.code, error.fieldName) == (422, "MissingRequired", dropped)


def test_delete_of_an_active_resource(client: Client) -> None:
    registry = make_registry(client)
    cred = make_credential(client, registry)
    for obj in (registry, cred):
        error = api_error(functools.partial(client.delete, obj))
        assert (error.status, error.code) == (405, "Method not allowed")
        assert client.reload(obj).state == "active"


def test_action_not_available(client: Client) -> None:
    inactive = deactivated(client, make_registry(client))
    client.wait_success(inactive.activate())
    # `inactive` is stale: its activate link was valid when read, not now.
    error = api_error(inactive.activate)
    assert (error.status, error.code, error.fieldName) == (422, "ActionNotAvailable", "action")
    # An action the current state does not offer is not bound at all.
    active = client.reload(inactive)
    assert not hasattr(active, "activate")
    assert not hasattr(active, "purge")


def test_purge_twice(client: Client) -> None:
    removed = client.wait_success(client.delete(deactivated(client, make_registry(client))))
    assert client.wait_success(removed.purge()).state == "purged"
    error = api_error(removed.purge)  # stale: purge is no longer offered
    assert (error.status, error.code) == (422, "ActionNotAvailable")
    assert client.reload(removed).state == "purged"
