"""The three ways in: `mock_rancher`, the pytest fixtures, the live server and the CLI, plus the
Python API a notebook uses. Everything is observed as a user would observe it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import responses

from fakerancher import ApiError, FakeRancher, mock_rancher

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --------------------------------------------------------------------------- mock_rancher


def test_mock_rancher_routes_requests_to_the_fake() -> None:
    with mock_rancher() as fake:
        created = requests.post(f"{fake.url}/v1/registries", json={"serverAddress": "quay.io"})
        assert created.status_code == 201
        assert created.json()["state"] == "registering"
        assert created.headers["X-API-Schemas"] == "http://rancher.test/v1/schemas"
        again = requests.get(created.json()["links"]["self"])
        assert again.json()["state"] == "active"
    assert fake.url == "http://rancher.test"


def test_the_same_request_again_with_another_header_is_answered_for_that_header() -> None:
    with mock_rancher() as fake:
        other = requests.post(f"{fake.url}/v2-beta/projects", json={"name": "other"}).json()
        requests.post(f"{fake.url}/v1/registries", json={"serverAddress": "default.io"})
        url = f"{fake.url}/v1/registries"
        for _ in range(2):  # each answer as it was the first time
            plain = requests.get(url).json()
            assert [r["serverAddress"] for r in plain["data"]] == ["default.io"]
            assert set(plain["data"][0]["actions"]) == {"update", "deactivate"}
            in_other = requests.get(url, headers={"X-API-Project-Id": other["id"]})
            assert in_other.json()["data"] == []
            linked = requests.get(url, headers={"X-API-Action-Links": "true"}).json()["data"][0]
            assert "actions" not in linked
            assert set(linked["actionLinks"]) == {"update", "deactivate"}
            moved = requests.get(url, headers={"Host": "rancher.elsewhere:8080"})
            assert moved.json()["links"]["self"] == "http://rancher.elsewhere:8080/v1/registries"
            assert moved.headers["X-API-Schemas"] == "http://rancher.elsewhere:8080/v1/schemas"


def test_mock_rancher_with_custom_url_and_options() -> None:
    with mock_rancher("https://rancher.example.com:8443/", transition_delay=30) as fake:
        assert fake.url == "https://rancher.example.com:8443"
        created = requests.post(f"{fake.url}/v1/registries", json={"serverAddress": "x.io"})
        assert created.json()["links"]["self"].startswith("https://rancher.example.com:8443/v1/")
        assert requests.get(created.json()["links"]["self"]).json()["state"] == "registering"


def test_mock_rancher_stops_routing_on_exit() -> None:
    with mock_rancher("http://127.0.0.1:9") as fake:
        assert requests.get(f"{fake.url}/v1").status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:9/v1", timeout=2)


def test_entering_and_leaving_without_requests_is_fine() -> None:
    with mock_rancher():
        pass


def test_importing_mock_rancher_leaves_requests_for_the_first_mock() -> None:
    code = (
        "import sys\n"
        "from fakerancher import FakeRancher, mock_rancher\n"
        "print(sorted({'requests', 'responses'} & set(sys.modules)))\n"
        "with mock_rancher() as fake:\n"
        "    import requests\n"
        "    print(requests.get(f'{fake.url}/v1/registries').status_code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "200"]


def test_requests_in_process_leave_no_garbage_cycles() -> None:
    """Each answer is freed as soon as the client drops it. (werkzeug's router leaves a
    cycle the first time it matches a path, so the paths here repeat.)"""
    import gc

    with mock_rancher() as fake, requests.Session() as session:
        first = session.post(f"{fake.url}/v1/registries", json={"serverAddress": "q.io"})
        url = first.json()["links"]["self"]
        session.get(url)
        gc.collect()
        enabled = gc.isenabled()
        gc.disable()
        try:
            for i in range(20):
                created = session.post(
                    f"{fake.url}/v1/registries", json={"serverAddress": f"r{i}.io"}
                )
                assert created.status_code == 201
                assert session.get(url).status_code == 200
            assert gc.collect() == 0  # everything was freed by reference counting
        finally:
            if enabled:
                gc.enable()


def test_mock_rancher_as_decorator_passes_the_fake() -> None:
    @mock_rancher("http://deco.test")
    def scenario(fake_rancher: FakeRancher) -> int:
        return requests.get(f"{fake_rancher.url}/v1/registries").status_code

    @mock_rancher("http://deco.test")
    def without_argument() -> int:
        return requests.get("http://deco.test/v1").status_code

    assert scenario() == 200
    assert without_argument() == 200


@pytest.mark.parametrize("user_first", [True, False])
def test_users_own_responses_mocks_keep_working(user_first: bool) -> None:
    user = responses.RequestsMock()
    user.get("http://other.test/thing", json={"from": "user"})
    fake_mock = mock_rancher()
    first, second = (user, fake_mock) if user_first else (fake_mock, user)
    first.start()
    second.start()
    try:
        assert requests.get("http://other.test/thing").json() == {"from": "user"}
        assert requests.get("http://rancher.test/v1").json()["id"] == "v1"
    finally:
        second.stop()
        first.stop()
    user.reset()


def test_unmocked_hosts_behave_as_without_fakerancher() -> None:
    port = free_port()
    with mock_rancher(), pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_unmocked_hosts_reach_a_real_server() -> None:
    other = FakeRancher()
    with other.serve(), mock_rancher():
        assert requests.get(f"{other.url}/v1").status_code == 200


def test_two_fakes_at_once_never_share_data() -> None:
    with mock_rancher("http://a.test") as a, mock_rancher("http://b.test") as b:
        requests.post(f"{a.url}/v1/registries", json={"serverAddress": "only-a.io"})
        listed_a = requests.get(f"{a.url}/v1/registries").json()["data"]
        listed_b = requests.get(f"{b.url}/v1/registries").json()["data"]
    assert [r["serverAddress"] for r in listed_a] == ["only-a.io"]
    assert listed_b == []


def test_url_prefix_is_matched_on_a_boundary() -> None:
    with mock_rancher("http://rancher.test"), pytest.raises(requests.ConnectionError):
        requests.get("http://rancher.testing.invalid/v1", timeout=2)


def test_mock_rancher_rejects_a_url_without_scheme() -> None:
    with pytest.raises(ValueError, match="http"):
        mock_rancher("rancher.test")


# --------------------------------------------------------------------------- the fixtures


def test_fake_rancher_fixture(fake_rancher: FakeRancher) -> None:
    assert fake_rancher.url == "http://rancher.test"
    created = requests.post(f"{fake_rancher.url}/v1/registrationtokens")
    assert created.status_code == 201
    assert fake_rancher.list("registrationToken")[0]["state"] == "active"


def test_fake_rancher_fixture_is_fresh_per_test(fake_rancher: FakeRancher) -> None:
    # The test above created a token; this one starts empty.
    assert requests.get(f"{fake_rancher.url}/v1/registrationtokens").json()["data"] == []


def test_fake_rancher_server_fixture(fake_rancher_server: FakeRancher) -> None:
    assert fake_rancher_server.url.startswith("http://127.0.0.1:")
    answer = httpx.post(f"{fake_rancher_server.url}/v1/registries", json={"serverAddress": "q.io"})
    assert answer.status_code == 201
    assert answer.json()["links"]["self"].startswith(fake_rancher_server.url)


@pytest.mark.fake_rancher(url="http://marked.test:8080", transition_delay=60, seed=7)
def test_marker_configures_the_fixture(fake_rancher: FakeRancher) -> None:
    created = requests.post("http://marked.test:8080/v1/registries", json={"serverAddress": "m.io"})
    assert requests.get(created.json()["links"]["self"]).json()["state"] == "registering"
    assert fake_rancher.seed == 7


@pytest.mark.fake_rancher(transition_delay=60)
def test_marker_configures_the_server(fake_rancher_server: FakeRancher) -> None:
    created = httpx.post(f"{fake_rancher_server.url}/v1/registries", json={"serverAddress": "s"})
    assert httpx.get(created.json()["links"]["self"]).json()["state"] == "registering"


PYTESTER_MODULE = """
import pytest, requests

@pytest.fixture
def fake_rancher_url():
    return "http://overridden.test"

@pytest.fixture
def fake_rancher_options():
    return {"transition_delay": 60}

def test_overridden(fake_rancher):
    assert fake_rancher.url == "http://overridden.test"
    doc = requests.post("http://overridden.test/v1/registries", json={"serverAddress": "a"}).json()
    assert requests.get(doc["links"]["self"]).json()["state"] == "registering"

@pytest.mark.fake_rancher("positional")
def test_bad_marker(fake_rancher):
    pass

@pytest.mark.fake_rancher(colour="blue")
def test_unknown_option(fake_rancher):
    pass

@pytest.mark.fake_rancher(url="http://127.0.0.1:8123")
def test_url_for_the_server(fake_rancher_server):
    pass
"""


def test_fixtures_are_overridable_and_misuse_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_downstream=PYTESTER_MODULE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*keyword arguments only*",
            "*unknown fake_rancher options*",
            "*applies to fake_rancher only*",
        ]
    )


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["@pytest.mark.fake_rancher(*"])


# --------------------------------------------------------------------------- the live server


def test_live_server_serves_concurrent_clients() -> None:
    fake = FakeRancher()
    with fake.serve() as server:

        def create(n: int) -> int:
            body = {"serverAddress": f"r{n}.example.com"}
            return httpx.post(f"{server.url}/v1/registries", json=body).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(create, range(40)))
        assert statuses == [201] * 40
        listed = httpx.get(f"{server.url}/v1/registries?limit=100").json()["data"]
        assert len({r["id"] for r in listed}) == 40


def test_live_server_stops_quickly_with_idle_keep_alive_connections() -> None:
    fake = FakeRancher()
    server = fake.serve()
    client = httpx.Client()
    assert client.get(f"{server.url}/v1").status_code == 200
    idle = socket.create_connection(("127.0.0.1", server.port))  # never sends a byte
    started = time.perf_counter()
    server.stop()
    elapsed = time.perf_counter() - started
    idle.close()
    client.close()
    assert not server.running
    assert elapsed < 2.0  # a hang would take socketserver's timeouts, far longer
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/v1")


def test_serve_reports_its_url_and_stop_is_idempotent() -> None:
    fake = FakeRancher()
    server = fake.serve(port=0)
    assert fake.url == server.url == f"http://127.0.0.1:{server.port}"
    assert "running" in repr(server)
    fake.stop()
    fake.stop()
    assert "stopped" in repr(server)
    assert fake.url == "http://rancher.test"  # the configured URL again, not a dead socket


# --------------------------------------------------------------------------- the Python API


def test_python_api_creates_active_resources_and_lists_them() -> None:
    fake = FakeRancher()
    registry = fake.create("registry", serverAddress="quay.io", name="Quay")
    credential = fake.create(
        "registryCredential",
        registryId=registry["id"],
        email="ci@example.com",
        publicValue="robot",
        secretValue="hunter2",
    )
    assert registry["state"] == credential["state"] == "active"
    assert credential["secretValue"] is None
    assert fake.get("registrycredentials", credential["id"]) == credential
    assert fake.get("registry", "1sp999") is None
    assert [r["id"] for r in fake.list("registry", state="active")] == [registry["id"]]
    fake.action("registryCredential", credential["id"], "deactivate")
    inactive = fake.list(state="inactive")
    assert [r["id"] for r in inactive if r["type"] != "account"] == [credential["id"]]
    pending = fake.create("registrationToken", wait=False)
    assert pending["state"] == "registering"


def test_python_api_validates_like_the_http_api() -> None:
    fake = FakeRancher()
    with pytest.raises(ApiError) as missing:
        fake.create("registry")
    assert (missing.value.status, missing.value.code) == (422, "MissingRequired")
    with pytest.raises(ValueError, match="unknown resource type"):
        fake.create("volume")


def test_reset_empties_the_fake_but_the_default_project() -> None:
    fake = FakeRancher()
    fake.create("registry", serverAddress="quay.io")
    fake.reset()
    assert [(r["type"], r["id"]) for r in fake.list()] == [
        ("account", "1a1"),
        ("account", "1a2"),
        ("account", "1a3"),
        ("account", "1a4"),
        ("project", "1a5"),
        ("projectMember", "1pm1"),
        *[("projectTemplate", f"1pt{n}") for n in range(1, 6)],
    ]
    assert fake.create("registry", serverAddress="quay.io")["id"] == "1sp1"


def test_repr_and_html_show_a_table_without_secrets() -> None:
    fake = FakeRancher()
    registry = fake.create("registry", serverAddress="quay.io")
    fake.create(
        "registryCredential",
        registryId=registry["id"],
        email="ci@example.com",
        publicValue="robot",
        secretValue="hunter2-secret",
    )
    text, page = repr(fake), fake._repr_html_()
    for shown in ("registry", "1sp1", "quay.io", "registryCredential", "1c1", "active"):
        assert shown in text and shown in page
    assert "hunter2" not in text + page
    assert page.startswith("<table>") and "<th>state</th>" in page


# --------------------------------------------------------------------------- the CLI


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fakerancher", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_explains_every_option() -> None:
    top = cli("--help")
    assert top.returncode == 0 and "serve" in top.stdout
    serve = cli("serve", "--help")
    for option in ("--host", "--port", "--transition-delay", "--seed", "--state", "--quiet"):
        assert option in serve.stdout


def test_bad_options_are_rejected() -> None:
    result = cli("serve", "--transition-delay", "soon")
    assert result.returncode == 2 and "not a number of seconds" in result.stderr


class Served:
    """`fakerancher serve` in a subprocess."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fakerancher", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert "listening on" in line, line + self.stop()[1]
        self.url = line.split()[3]

    def stop(self, sig: int = signal.SIGINT) -> tuple[str, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=30)
        return out, err


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[Any]:
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(*args))
        return started[-1]

    yield start
    for each in started:
        if each.process.poll() is None:
            each.process.kill()
            each.process.communicate()


def test_serve_prints_url_logs_requests_and_stops_cleanly(served: Any) -> None:
    server = served()
    assert requests.get(f"{server.url}/v1").headers["X-API-Schemas"] == f"{server.url}/v1/schemas"
    requests.post(f"{server.url}/v1/registries", json={"serverAddress": "quay.io"})
    requests.post(
        f"{server.url}/v1/registrycredentials?secretValue=hunter2-in-query",
        json={"registryId": "1sp1", "email": "a@b.c"},
    )
    _, err = server.stop(signal.SIGTERM)
    assert "hunter2" not in err
    assert "secretValue=********" in err
    assert server.process.returncode == 0
    assert "GET /v1 HTTP/1.1 200" in err
    assert "POST /v1/registries HTTP/1.1 201" in err
    assert "Traceback" not in err


def test_state_file_keeps_a_scenario_between_runs(served: Any, tmp_path: Path) -> None:
    state = tmp_path / "scenario.json"
    first = served("--state", str(state))
    created = requests.post(f"{first.url}/v1/registries", json={"serverAddress": "quay.io"})
    registry_id = created.json()["id"]
    first.stop()
    assert first.process.returncode == 0
    assert json.loads(state.read_text())["format"] == "fakerancher-state"

    second = served("--state", str(state))
    again = requests.get(f"{second.url}/v1/registries/{registry_id}").json()
    assert (again["serverAddress"], again["state"]) == ("quay.io", "active")
    duplicate = requests.post(f"{second.url}/v1/registries", json={"serverAddress": "quay.io"})
    assert duplicate.json()["code"] == "ServerAddressUsed"
    nxt = requests.post(f"{second.url}/v1/registries", json={"serverAddress": "b.io"}).json()
    assert nxt["id"] == "1sp2"
    second.stop()


def test_unfit_state_file_is_refused_with_a_reason(tmp_path: Path) -> None:
    state = tmp_path / "broken.json"
    state.write_text(json.dumps({"format": "fakerancher-state", "version": 99}))
    result = cli("serve", "--port", "0", "--state", str(state))
    assert result.returncode == 2
    assert "version" in result.stderr and "Traceback" not in result.stderr
    state.write_text("{not json")
    result = cli("serve", "--port", "0", "--state", str(state))
    assert result.returncode == 2 and "not JSON" in result.stderr


def test_port_in_use_is_reported(served: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert result.returncode == 1 and "cannot listen" in result.stderr


def test_serve_on_a_taken_port_raises_oserror() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            FakeRancher().serve(port=taken.getsockname()[1])


def test_a_broken_request_line_gets_a_json_error_document() -> None:
    fake = FakeRancher()
    with fake.serve() as server, socket.create_connection(("127.0.0.1", server.port)) as conn:
        conn.sendall(b"GET /v1 HTTP/1.1 extra\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"application/json" in head
    assert json.loads(body)["type"] == "error"
    assert json.loads(body)["status"] == 400


def test_mocks_may_stop_in_any_order() -> None:
    first, second = mock_rancher("http://first.test"), mock_rancher("http://second.test")
    first.start()
    second.start()
    first.stop()  # not the last started: the other one must keep routing
    assert requests.get("http://second.test/v1").status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get("http://first.test/v1", timeout=2)
    second.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get("http://second.test/v1", timeout=2)


def test_the_same_url_twice_the_newest_mock_answers() -> None:
    with mock_rancher() as outer:
        outer.create("registry", serverAddress="outer.io")
        with mock_rancher() as inner:
            assert requests.get("http://rancher.test/v1/registries").json()["data"] == []
            assert inner.url == outer.url
        listed = requests.get("http://rancher.test/v1/registries").json()["data"]
        assert [r["serverAddress"] for r in listed] == ["outer.io"]


def test_a_sessions_retry_policy_applies_to_the_fake() -> None:
    from urllib3.util.retry import Retry

    with mock_rancher() as fake:
        fake.faults.add(method="GET", type="registry", status=503, times=2)
        session = requests.Session()
        retrying = requests.adapters.HTTPAdapter(
            max_retries=Retry(total=3, status_forcelist=[503], backoff_factor=0)
        )
        session.mount("http://", retrying)
        assert session.get(f"{fake.url}/v1/registries").status_code == 200
        # A session without retries sees the first fault.
        fake.faults.add(method="GET", type="registry", status=503, times=1)
        assert requests.Session().get(f"{fake.url}/v1/registries").status_code == 503


def test_a_mock_keeps_no_session_adapter_alive() -> None:
    import gc
    import weakref

    with mock_rancher() as fake:
        session = requests.Session()
        assert session.get(f"{fake.url}/v1").status_code == 200
        adapter = weakref.ref(session.adapters["http://"])
        del session
        gc.collect()
        assert adapter() is None
        assert requests.Session().get(f"{fake.url}/v1").status_code == 200
