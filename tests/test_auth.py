"""API keys and access control (spec §3.2), in process and on a live server alike."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import requests

from fakerancher import FakeRancher

REALM = 'Basic realm="Enter API access key and secret key as username and password"'


@pytest.fixture(params=["inprocess", "live"])
def fake(request: pytest.FixtureRequest) -> FakeRancher:
    name = "fake_rancher" if request.param == "inprocess" else "fake_rancher_server"
    fake: FakeRancher = request.getfixturevalue(name)
    return fake


def make_key(fake: FakeRancher, **spec: Any) -> dict[str, Any]:
    answer = requests.post(f"{fake.url}/_fake/auth", json={"apiKey": spec})
    assert answer.status_code == 200, answer.text
    created: dict[str, Any] = answer.json()["created"]
    return created


def test_access_control_is_off_by_default(fake: FakeRancher) -> None:
    assert requests.get(f"{fake.url}/v1/registries").status_code == 200
    wrong = requests.get(f"{fake.url}/v1/registries", auth=("nobody", "nothing"))
    assert wrong.status_code == 200  # Cattle ignores credentials while access control is off


def test_enforce_header_requires_credentials_with_a_challenge(fake: FakeRancher) -> None:
    answer = requests.get(f"{fake.url}/v1/registries", headers={"X-ENFORCE-AUTHENTICATION": "true"})
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == REALM
    assert answer.headers["X-API-Schemas"].endswith("/v1/schemas")
    doc = answer.json()
    assert (doc["type"], doc["status"], doc["code"], doc["message"]) == (
        "error",
        401,
        "Unauthorized",
        "Unauthorized",
    )


def test_no_challenge_header_suppresses_www_authenticate(fake: FakeRancher) -> None:
    answer = requests.get(
        f"{fake.url}/v1",
        headers={"X-ENFORCE-AUTHENTICATION": "true", "X-API-No-Challenge": "true"},
    )
    assert answer.status_code == 401
    assert "WWW-Authenticate" not in answer.headers


def test_an_environment_key_opens_its_project_only(fake: FakeRancher) -> None:
    key = make_key(fake)
    assert key["id"].startswith("1c") and key["accountId"] == "1a5"
    assert len(key["publicValue"]) == 20 and len(key["secretValue"]) == 40
    enabled = requests.post(f"{fake.url}/_fake/auth", json={"accessControl": True})
    assert enabled.json()["accessControl"] is True
    good = (key["publicValue"], key["secretValue"])

    assert requests.get(f"{fake.url}/v1/registries").status_code == 401
    assert (
        requests.get(f"{fake.url}/v1/registries", auth=(key["publicValue"], "x")).status_code == 401
    )
    created = requests.post(
        f"{fake.url}/v1/registries", json={"serverAddress": "quay.io"}, auth=good
    )
    assert created.status_code == 201
    assert created.json()["accountId"] == "1a5"
    assert requests.get(f"{fake.url}/v1/projects/1a5/registries", auth=good).status_code == 200
    other = requests.get(
        f"{fake.url}/v1/registries", auth=good, headers={"X-API-Project-Id": "1a9"}
    )
    assert other.status_code == 403


def test_a_rejected_request_changes_nothing(fake: FakeRancher) -> None:
    make_key(fake)
    requests.post(f"{fake.url}/_fake/auth", json={"accessControl": True})
    refused = requests.post(f"{fake.url}/v1/registries", json={"serverAddress": "quay.io"})
    assert refused.status_code == 401
    requests.post(f"{fake.url}/_fake/auth", json={"accessControl": False})
    assert requests.get(f"{fake.url}/v1/registries").json()["data"] == []


def test_the_agent_script_needs_no_credentials(fake: FakeRancher) -> None:
    token = requests.post(f"{fake.url}/v1/registrationtokens").json()
    url = requests.get(token["links"]["self"]).json()["registrationUrl"]
    requests.post(f"{fake.url}/_fake/auth", json={"accessControl": True})
    assert requests.get(url).status_code == 200


def test_secret_keys_are_shown_once(fake: FakeRancher) -> None:
    key = make_key(fake, publicValue="ci-key", secretValue="ci-secret-value")
    assert (key["publicValue"], key["secretValue"]) == ("ci-key", "ci-secret-value")
    for path in ("/_fake/auth", "/_fake/state", "/_fake/calls"):
        assert "ci-secret-value" not in requests.get(f"{fake.url}{path}").text
    assert "ci-secret-value" not in repr(fake)
    duplicate = requests.post(f"{fake.url}/_fake/auth", json={"apiKey": {"publicValue": "ci-key"}})
    assert (duplicate.status_code, duplicate.json()["code"]) == (422, "NotUnique")


def test_keys_survive_a_snapshot_and_go_with_reset(fake: FakeRancher) -> None:
    key = make_key(fake, publicValue="snap", secretValue="shot")
    requests.post(f"{fake.url}/_fake/auth", json={"accessControl": True})
    state = requests.get(f"{fake.url}/_fake/state").json()
    requests.post(f"{fake.url}/_fake/reset")
    assert requests.get(f"{fake.url}/_fake/auth").json() == {
        "accessControl": False,
        "apiKeys": [],
    }
    assert requests.put(f"{fake.url}/_fake/state", json=state).status_code == 200
    assert requests.get(f"{fake.url}/v1").status_code == 401
    assert requests.get(f"{fake.url}/v1", auth=("snap", "shot")).status_code == 200
    assert key["id"] in requests.get(f"{fake.url}/_fake/auth").text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"accessControl": "yes"},
        {"apiKey": "1a5"},
        {"apiKey": {"project": "1a99"}},
        {"apiKey": {"colour": "blue"}},
        {"apiKey": {"secretValue": 5}},
        {"users": []},
    ],
)
def test_malformed_auth_requests_change_nothing(fake: FakeRancher, body: dict[str, Any]) -> None:
    before = requests.get(f"{fake.url}/_fake/auth").json()
    answer = requests.post(f"{fake.url}/_fake/auth", json=body)
    assert 400 <= answer.status_code < 500
    assert answer.json()["type"] == "error"
    assert requests.get(f"{fake.url}/_fake/auth").json() == before


def test_python_api_and_marker(fake_rancher: FakeRancher) -> None:
    key = fake_rancher.add_api_key(public_value="py", secret_value="thon")
    fake_rancher.access_control = True
    assert requests.get(f"{fake_rancher.url}/v1", auth=("py", "thon")).status_code == 200
    assert requests.get(f"{fake_rancher.url}/v1").status_code == 401
    assert key["secretValue"] == "thon"


@pytest.mark.fake_rancher(access_control=True)
def test_marker_turns_access_control_on(fake_rancher: FakeRancher) -> None:
    assert requests.get(f"{fake_rancher.url}/v1").status_code == 401


def test_serve_with_an_api_key() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "fakerancher", "serve", "--port", "0", "--api-key", "k:s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[3]
        assert requests.get(f"{url}/v1").status_code == 401
        assert requests.get(f"{url}/v1", auth=("k", "s")).status_code == 200
        listed = requests.get(f"{url}/_fake/auth").json()
        assert listed["accessControl"] is True
        assert [k["publicValue"] for k in listed["apiKeys"]] == ["k"]
        assert "secretValue" not in json.dumps(listed)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "Traceback" not in err
