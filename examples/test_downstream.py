"""How a project that uses fakerancher tests its Rancher code: copy this file and adapt it.

`pip install fakerancher` registers a pytest plugin, so the fixtures below need no conftest
and no import: `fake_rancher` (in process, every `requests` call under `fake_rancher.url`
reaches the fake) and `fake_rancher_server` (a live socket at `fake_rancher_server.url`, for
any other HTTP client). Both give a fresh, empty fake per test.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import requests

if TYPE_CHECKING:
    from fakerancher import FakeRancher

TIMEOUT = 5  # requests has no default timeout; never let a test hang on a stuck server


def wait_until_settled(
    session: requests.Session, resource: dict[str, Any], timeout: float = 10
) -> dict[str, Any]:
    """Re-read a resource until it stops transitioning, as cattle's `wait_success` does."""
    deadline = time.monotonic() + timeout
    while True:
        response = session.get(resource["links"]["self"], timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        current: dict[str, Any] = response.json()
        if current["transitioning"] != "yes":
            assert current["transitioning"] == "no", current["transitioningMessage"]
            return current
        assert time.monotonic() < deadline, f"{current['id']} still {current['state']}"
        time.sleep(0.01)


# -- requests, in process -------------------------------------------------------------------
def test_registry_and_credential_lifecycle(fake_rancher: FakeRancher) -> None:
    api = f"{fake_rancher.url}/v1"  # http://rancher.test/v1: no socket, no network
    session = requests.Session()

    created = session.post(
        f"{api}/registries", json={"serverAddress": "quay.io", "name": "Quay"}, timeout=TIMEOUT
    )
    assert created.status_code == 201
    assert created.json()["state"] == "registering"  # Cattle answers before the work is done
    registry = wait_until_settled(session, created.json())
    assert registry["state"] == "active"

    response = session.post(
        f"{api}/registrycredentials",
        json={
            "registryId": registry["id"],
            "email": "ci@example.com",
            "publicValue": "robot",
            "secretValue": "s3cret",
        },
        timeout=TIMEOUT,
    )
    assert response.status_code == 201
    assert response.json()["secretValue"] == "s3cret"  # echoed in the POST answer only
    credential = wait_until_settled(session, response.json())
    assert credential["state"] == "active"
    assert credential["secretValue"] is None  # every GET hides it, as Rancher does

    # Filters are query parameters, `field` or `field_<modifier>`.
    listed = session.get(
        f"{api}/registrycredentials",
        params={"registryId": registry["id"], "publicValue_prefix": "rob"},
        timeout=TIMEOUT,
    ).json()
    assert [c["id"] for c in listed["data"]] == [credential["id"]]
    nobody = session.get(
        f"{api}/registrycredentials", params={"publicValue": "nobody"}, timeout=TIMEOUT
    )
    assert nobody.json()["data"] == []

    # Rancher refuses to delete an active resource; the fake does too.
    refused = session.delete(credential["links"]["self"], timeout=TIMEOUT)
    assert refused.status_code == 405
    assert refused.json()["code"] == "Method not allowed"

    # Deactivate first (an action: POST to the URL in `actions`), then delete.
    deactivating = session.post(credential["actions"]["deactivate"], timeout=TIMEOUT)
    assert deactivating.status_code == 202
    assert deactivating.json()["state"] == "deactivating"
    assert wait_until_settled(session, credential)["state"] == "inactive"

    removing = session.delete(credential["links"]["self"], timeout=TIMEOUT)
    assert removing.status_code == 200
    assert removing.json()["state"] == "removing"
    assert wait_until_settled(session, credential)["state"] == "removed"

    # Removed resources leave the default listing, but stay readable by id.
    assert session.get(f"{api}/registrycredentials", timeout=TIMEOUT).json()["data"] == []

    # The fixture is the fake itself: inspect it from Python, and check what your code sent.
    stored = fake_rancher.get("registryCredential", credential["id"])
    assert stored is not None and stored["state"] == "removed"
    fake_rancher.assert_called("DELETE", f"/v1/registrycredentials/{credential['id']}", times=2)
    fake_rancher.assert_not_called("PUT", "/v1/registrycredentials/*")


# -- configured with the marker ---------------------------------------------------------------
@pytest.mark.fake_rancher(url="http://rancher.example:8080", transition_delay=30)
def test_slow_rancher(fake_rancher: FakeRancher) -> None:
    """A Rancher whose processes take 30 s, at the URL the code under test is configured with."""
    assert fake_rancher.url == "http://rancher.example:8080"
    fake_rancher.clock.freeze()  # the fake's own clock: nothing moves until we advance it

    registry = requests.post(
        "http://rancher.example:8080/v1/registries",
        json={"serverAddress": "registry.example.com"},
        timeout=TIMEOUT,
    ).json()
    read = requests.get(registry["links"]["self"], timeout=TIMEOUT).json()
    assert (read["state"], read["transitioning"]) == ("registering", "yes")

    # Code that does not wait for `transitioning` gets Cattle's error, as on a real server.
    purge = requests.post(f"{registry['links']['self']}/?action=purge", timeout=TIMEOUT)
    assert purge.status_code == 422
    assert (purge.json()["code"], purge.json()["fieldName"]) == ("ActionNotAvailable", "action")

    fake_rancher.clock.advance(30)
    assert requests.get(registry["links"]["self"], timeout=TIMEOUT).json()["state"] == "activating"
    fake_rancher.clock.advance(30)
    assert requests.get(registry["links"]["self"], timeout=TIMEOUT).json()["state"] == "active"


# -- Rancher's own Python client, over a real socket --------------------------------------------
@pytest.fixture
def cattle_client(
    fake_rancher_server: FakeRancher, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A `cattle.Client` on the live fake (pip install cattle==0.5.4 gdapi-python==0.5.3)."""
    cattle = pytest.importorskip("cattle")
    gdapi = pytest.importorskip("gdapi")

    # gdapi 0.5.3 is Python 2 code: its RestObject got len(), [] and `in` from __getattr__,
    # which Python 3 skips for special methods. Put them on the class for this test only.
    rest_object = gdapi.RestObject
    monkeypatch.setattr(rest_object, "__len__", lambda self: len(self.data), raising=False)
    monkeypatch.setattr(rest_object, "__getitem__", lambda self, i: self.data[i], raising=False)
    monkeypatch.setattr(rest_object, "__contains__", lambda self, k: k in vars(self), raising=False)

    client = cattle.from_env(
        url=f"{fake_rancher_server.url}/v1/schemas",
        cache=False,  # gdapi's schema cache crashes on Python 3 (and would outlive the fake)
        access_key="key",  # any keys: the fake ignores them, and requests warns about None
        secret_key="secret",
    )
    # gdapi sets no timeout and never closes its session (a leaked keep-alive socket is a
    # ResourceWarning later on): give its requests a timeout, and close it after the test.
    session = client._session
    session.request = functools.partial(session.request, timeout=TIMEOUT)
    yield client
    session.close()


def test_cattle_client(cattle_client: Any, fake_rancher_server: FakeRancher) -> None:
    gdapi = pytest.importorskip("gdapi")
    client = cattle_client
    registry = client.wait_success(client.create_registry(serverAddress="quay.io", name="Quay"))
    assert registry.state == "active"

    credential = client.wait_success(
        client.create_registry_credential(
            registryId=registry.id, email="ci@example.com", publicValue="robot", secretValue="x"
        )
    )
    assert credential.state == "active"
    assert "secretValue" in credential and credential.secretValue is None

    found = client.list_registry_credential(publicValue="robot")
    assert len(found) == 1 and found[0].id == credential.id

    with pytest.raises(gdapi.ApiError) as refused:
        client.delete(credential)
    assert refused.value.error.status == 405

    credential = client.wait_success(credential.deactivate())
    assert credential.state == "inactive"
    credential = client.wait_success(client.delete(credential))
    assert credential.state == "removed"
    assert client.by_id_registry_credential("1c999") is None  # a 404 becomes None

    stored = fake_rancher_server.get("registryCredential", credential.id)
    assert stored is not None and stored["state"] == "removed"


# -- any other client: httpx ------------------------------------------------------------------
def test_registration_token_with_httpx(fake_rancher_server: FakeRancher) -> None:
    with httpx.Client(base_url=f"{fake_rancher_server.url}/v1", timeout=TIMEOUT) as http:
        created = http.post("/registrationtokens")  # no body at all, as some clients send
        assert created.status_code == 201
        assert created.headers["X-API-Schemas"] == f"{fake_rancher_server.url}/v1/schemas"

        token = http.get(created.json()["links"]["self"]).json()
        assert token["state"] == "active"
        assert token["command"].startswith("sudo docker run")
        assert token["registrationUrl"] == token["command"].split()[-1]

        script = http.get(token["registrationUrl"])
        assert script.status_code == 200 and script.text.startswith("#!/bin/sh")

        # A token has no PUT in the v1 schema, and unknown ids are 404s: Cattle error documents.
        update = http.put(token["links"]["self"], json={"name": "renamed"})
        assert (update.status_code, update.json()["type"]) == (405, "error")
        missing = http.get("/registrationtokens/1c999")
        assert missing.status_code == 404
        assert (missing.json()["status"], missing.json()["code"]) == (404, "Not Found")
