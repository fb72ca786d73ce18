"""Never a 500 that hides, never a half-write, never a hang: hostile input, bugs in the fake,
clock moves and the ways in, as a user meets them."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.test import Client

from fakerancher import ApiError, FakeRancher, mock_rancher
from fakerancher.render import Renderer

BASE = "http://localhost/v1"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def deep_body(depth: int) -> str:
    return '{"serverAddress": "n.io", "labels": ' + nested(depth) + "}"


def registry_ids(api: Client) -> list[str]:
    data = api.get(f"{BASE}/registries?_removed=true").get_json()["data"]
    return [r["id"] for r in data]


# -- deep bodies --------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [500, 900])
def test_a_deeply_nested_body_is_answered_and_logged(depth: int, api: Client) -> None:
    created = api.post(f"{BASE}/registries", data=deep_body(depth))
    assert created.status_code == 201, created.get_data(as_text=True)
    logged = api.get("http://localhost/_fake/calls").get_json()["calls"][-1]
    assert logged["status"] == 201
    labels = logged["body"]["labels"]
    assert "nested deeper than" in json.dumps(labels)


def test_a_body_too_deep_to_parse_is_refused_and_changes_nothing(api: Client) -> None:
    answer = api.post(f"{BASE}/registries", data=deep_body(100_000))
    assert answer.status_code == 400
    assert answer.get_json()["code"] == "InvalidBodyContent"
    assert registry_ids(api) == []


def test_a_deeply_nested_body_on_the_live_server(fake_rancher_server: FakeRancher) -> None:
    url = fake_rancher_server.url
    answer = requests.post(f"{url}/v1/registries", data=deep_body(900), timeout=10)
    assert answer.status_code == 201
    assert answer.headers["Content-Type"].startswith("application/json")
    calls = requests.get(f"{url}/_fake/calls", timeout=10)
    assert calls.status_code == 200 and calls.json()["calls"][-1]["status"] == 201


# -- a bug in the fake --------------------------------------------------------------------
@pytest.fixture
def broken_rendering(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A bug in the fake that strikes after a create changed the store."""

    def explode(self: Renderer, record: Any) -> dict[str, Any]:
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(Renderer, "resource", explode)
    yield
    monkeypatch.undo()


def test_a_bug_answers_500_and_leaves_the_store_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRancher(seed=7)
    api = Client(fake.wsgi_app)
    original = Renderer.resource
    monkeypatch.setattr(Renderer, "resource", lambda self, record: 1 / 0)
    answer = api.post(f"{BASE}/registries", json={"serverAddress": "quay.io"})
    monkeypatch.setattr(Renderer, "resource", original)
    assert answer.status_code == 500
    assert answer.headers["X-API-Schemas"] == f"{BASE}/schemas"
    assert answer.get_json()["code"] == "Internal Server Error"
    assert registry_ids(api) == []
    # Nothing drawn by the failed request shows: the seeded ids and uuids are those of a
    # fake that never saw it.
    twin = Client(FakeRancher(seed=7).wsgi_app)
    for client in (api, twin):
        client.post(f"{BASE}/registries", json={"serverAddress": "quay.io"})
    ours, theirs = (c.get(f"{BASE}/registries/1sp1").get_json() for c in (api, twin))
    assert ours["uuid"] == theirs["uuid"]
    with pytest.raises(ZeroDivisionError) as raised:
        fake.check_errors()
    assert any(entry.name == "<lambda>" for entry in raised.traceback)
    fake.check_errors()  # reported once


def test_a_bug_during_an_action_is_rolled_back(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRancher()
    api = Client(fake.wsgi_app)
    registry = fake.create("registry", serverAddress="quay.io")
    monkeypatch.setattr(Renderer, "resource", lambda self, record: 1 / 0)
    assert api.post(registry["actions"]["deactivate"]).status_code == 500
    monkeypatch.undo()
    assert api.get(registry["links"]["self"]).get_json()["state"] == "active"
    assert len(fake.errors) == 1


def test_mock_rancher_raises_a_bug_when_the_block_ends(broken_rendering: None) -> None:
    with pytest.raises(RuntimeError, match="renderer bug"), mock_rancher() as fake:
        answer = requests.post(f"{fake.url}/v1/registries", json={"serverAddress": "q.io"})
        assert answer.status_code == 500


FAILING_DOWNSTREAM = """
import requests
from fakerancher.render import Renderer


def test_in_process(fake_rancher, monkeypatch):
    monkeypatch.setattr(Renderer, "resource", lambda self, record: 1 / 0)
    requests.post(f"{fake_rancher.url}/v1/registries", json={"serverAddress": "q.io"})


def test_live(fake_rancher_server, monkeypatch):
    monkeypatch.setattr(Renderer, "resource", lambda self, record: 1 / 0)
    requests.post(f"{fake_rancher_server.url}/v1/registries", json={"serverAddress": "q.io"})
    assert requests.get(f"{fake_rancher_server.url}/v1").status_code == 200  # still serving
"""


def test_the_fixtures_fail_the_test_that_met_a_bug(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FAILING_DOWNSTREAM)
    result = pytester.runpytest("-p", "no:xdist")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(["*ZeroDivisionError*", "*lambda*"])


# -- oversized requests -------------------------------------------------------------------
def test_a_long_request_line_gets_414(api: Client) -> None:
    answer = api.get(f"{BASE}/registries?name=" + "x" * 70_000)
    assert answer.status_code == 414
    assert answer.get_json()["code"] == "URI Too Long"
    assert answer.headers["X-API-Schemas"] == f"{BASE}/schemas"


def test_a_query_under_16_kib_is_served(api: Client) -> None:
    """Cattle's Jetty takes 16 KiB of request head (its own test_query_length sends ~16 K)."""
    answer = api.get(f"{BASE}/registries?name=" + "a" * (16_384 - 512))
    assert answer.status_code == 200 and answer.get_json()["data"] == []


def test_oversized_headers_get_431(api: Client) -> None:
    answer = api.get(f"{BASE}/registries", headers={"X-Padding": "x" * 17_000})
    assert answer.status_code == 431
    assert answer.get_json()["code"] == "Request Header Fields Too Large"


def raw_exchange(url: str, head: bytes, chunks: Iterable[bytes] = ()) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
    return answer


def test_a_long_request_line_on_the_live_server(fake_rancher_server: FakeRancher) -> None:
    target = "/v1/registries?secretValue=" + "s" * 70_000
    answer = raw_exchange(
        fake_rancher_server.url, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    assert answer.startswith(b"HTTP/1.1 414") or answer.startswith(b"HTTP/1.0 414")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["status"] == 414


def test_a_request_line_is_measured_as_sent_in_process_as_on_the_live_server(
    fake_rancher_server: FakeRancher,
) -> None:
    """Jetty counts the bytes a client sends: 6,000 escaped spaces are 18,000 of them."""
    target = "/v1/registries/a" + "%20" * 6_000
    live = raw_exchange(
        fake_rancher_server.url, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    assert live.startswith((b"HTTP/1.1 414", b"HTTP/1.0 414"))
    with mock_rancher() as fake:
        assert requests.get(f"{fake.url}{target}").status_code == 414
        assert requests.get(f"{fake.url}/v1/registries/a" + "%20" * 5_000).status_code == 404


def test_a_large_chunked_body_gets_413(fake_rancher_server: FakeRancher) -> None:
    megabyte = b"a" * (1 << 20)
    chunks = (b"%x\r\n%s\r\n" % (len(megabyte), megabyte) for _ in range(50))
    head = b"POST /v1/registries HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer = raw_exchange(fake_rancher_server.url, head, chunks)
    assert answer.startswith(b"HTTP/1.1 413")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["code"] == "Request Entity Too Large"
    assert requests.get(f"{fake_rancher_server.url}/v1/registries").json()["data"] == []


def test_a_small_chunked_body_is_read(fake_rancher_server: FakeRancher) -> None:
    body = b'{"serverAddress": "quay.io"}'
    chunks = iter([b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)])
    head = b"POST /v1/registries HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer = raw_exchange(fake_rancher_server.url, head, chunks)
    assert answer.startswith(b"HTTP/1.1 201")


# -- the clock ----------------------------------------------------------------------------
@pytest.mark.parametrize("look_in_between", [False, True])
def test_a_clock_move_settles_what_was_due_first(look_in_between: bool) -> None:
    fake = FakeRancher(transition_delay=10)
    api = Client(fake.wsgi_app)
    fake.clock.freeze("2024-01-01T00:00:00Z")
    created = api.post(f"{BASE}/registries", json={"serverAddress": "quay.io"}).get_json()
    api.post("http://localhost/_fake/clock", json={"advance": 30})
    if look_in_between:
        api.get("http://localhost/_fake")
    api.post("http://localhost/_fake/clock", json={"advance": -30})
    assert api.get(created["links"]["self"]).get_json()["state"] == "active"


def test_setting_the_clock_back_from_python_settles_first() -> None:
    fake = FakeRancher(transition_delay=10)
    fake.clock.freeze("2024-01-01T00:00:00Z")
    created = fake.create("registry", serverAddress="quay.io", wait=False)
    fake.clock.set("2024-01-01T00:01:00Z")
    fake.clock.set("2024-01-01T00:00:00Z")
    settled = fake.get("registry", created["id"])
    assert settled is not None and settled["state"] == "active"


# -- mock_rancher with a fake of your own -------------------------------------------------
def test_mock_rancher_keeps_the_url_of_the_fake_it_is_given() -> None:
    fake = FakeRancher("http://mine.test")
    with mock_rancher(fake=fake) as mocked:
        assert mocked is fake and fake.url == "http://mine.test"
        assert requests.get("http://mine.test/v1").status_code == 200


def test_mock_rancher_refuses_options_beside_a_fake() -> None:
    with pytest.raises(TypeError, match="seed"):
        mock_rancher(fake=FakeRancher(), seed=3)


def test_mock_rancher_passes_its_options_to_the_fake_it_makes() -> None:
    with mock_rancher(seed=3) as first, mock_rancher("http://other.test", seed=3) as second:
        assert first.seed == 3 and second.url == "http://other.test"
        one = requests.post(f"{first.url}/v1/registrationtokens").json()
        two = requests.post(f"{second.url}/v1/registrationtokens").json()
        assert one["uuid"] == two["uuid"]


# -- errors in Python ---------------------------------------------------------------------
def test_an_api_error_reads_like_its_document() -> None:
    fake = FakeRancher()
    with pytest.raises(ApiError) as raised:
        fake.create("registryCredential", registryId="1sp99", email="a@b.c")
    assert str(raised.value) == "422 InvalidReference (fieldName=registryId)"
    with pytest.raises(ApiError, match=r"^400 InvalidOption: .*seconds"):
        fake.transitions.set("delay", delay=-1)


# -- secrets, for the tests that need them -------------------------------------------------
def test_secret_of_shows_the_current_secret(fake_rancher: FakeRancher) -> None:
    registry = fake_rancher.create("registry", serverAddress="quay.io")
    credential = fake_rancher.create(
        "registryCredential", registryId=registry["id"], email="a@b.c", secretValue="one"
    )
    requests.put(credential["links"]["self"], json={"secretValue": "two"})
    assert fake_rancher.secret_of(credential["id"]) == "two"
    assert requests.get(credential["links"]["self"]).json()["secretValue"] is None
    with pytest.raises(KeyError):
        fake_rancher.secret_of("1c999")


def test_secrets_are_not_over_http_unless_revealed(fake_rancher_server: FakeRancher) -> None:
    url = fake_rancher_server.url
    registry = fake_rancher_server.create("registry", serverAddress="quay.io")
    credential = fake_rancher_server.create(
        "registryCredential", registryId=registry["id"], email="a@b.c", secretValue="s3cret"
    )
    refused = requests.get(f"{url}/_fake/secrets/{credential['id']}")
    assert refused.status_code == 403 and "s3cret" not in refused.text


@pytest.mark.fake_rancher(reveal_secrets=True)
def test_reveal_secrets_keeps_them_in_the_call_log(fake_rancher: FakeRancher) -> None:
    registry = fake_rancher.create("registry", serverAddress="quay.io")
    requests.post(
        f"{fake_rancher.url}/v1/registrycredentials",
        json={"registryId": registry["id"], "email": "a@b.c", "secretValue": "s3cret"},
    )
    assert fake_rancher.calls[-1].body["secretValue"] == "s3cret"
    shown = requests.get(f"{fake_rancher.url}/_fake/secrets/1c1").json()
    assert shown == {"id": "1c1", "secretValue": "s3cret"}
    assert requests.get(f"{fake_rancher.url}/_fake/secrets/1c9").status_code == 404


# -- the command line ---------------------------------------------------------------------
def cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fakerancher", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_cli_version() -> None:
    import fakerancher

    result = cli("--version")
    assert (
        result.returncode == 0 and result.stdout.strip() == f"fakerancher {fakerancher.__version__}"
    )


def test_cli_refuses_a_port_out_of_range_without_a_traceback() -> None:
    result = cli("serve", "--port", "70000")
    assert result.returncode == 2
    assert "0-65535" in result.stderr and "Traceback" not in result.stderr


def test_cli_refuses_an_unwritable_state_file_at_start(tmp_path: Path) -> None:
    for path in (tmp_path / "missing" / "state.json", tmp_path):
        result = cli("serve", "--port", "0", "--state", str(path))
        assert result.returncode == 2, result.stderr
        assert "cannot save state" in result.stderr and "Traceback" not in result.stderr


def test_cli_request_log_lines_carry_a_timestamp(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with (
        log.open("w") as stderr,
        subprocess.Popen(
            [sys.executable, "-m", "fakerancher", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        ) as server,
    ):
        try:
            assert server.stdout is not None
            url = server.stdout.readline().split()[3]
            requests.get(f"{url}/v1/registries?secretValue=hunter2", timeout=10)
        finally:
            server.terminate()
            server.wait(timeout=10)
    lines = [line for line in log.read_text().splitlines() if "/v1/registries" in line]
    assert lines and "hunter2" not in lines[0]
    stamp = lines[0].split(" ")[0]
    assert time.strptime(stamp, "%Y-%m-%d")


def test_a_fault_path_may_be_a_compiled_regex_from_python(fake_rancher: FakeRancher) -> None:
    import re

    fake_rancher.faults.add(path=re.compile(r"/v1/regis\w+"), status=503, times=1)
    assert requests.get(f"{fake_rancher.url}/v1/registries").status_code == 503
    assert requests.get(f"{fake_rancher.url}/v1/registries").status_code == 200
    assert requests.get(f"{fake_rancher.url}/_fake/faults").json()["rules"][0]["hits"] == 1
