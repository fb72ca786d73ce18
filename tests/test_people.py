"""What people see: the HTML API browser, the `/_fake` dashboard and summary, the notebook view.

All through HTTP as a browser (or a script) sends it; the real browser runs in
test_browser_e2e.py. Non-browser clients must get the API's JSON byte for byte.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import BASE, create, create_credential, create_registry
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from fakerancher import FakeRancher

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"
NAVIGATE = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BROWSER = {"User-Agent": CHROME, "Accept": NAVIGATE}


def page(api: Client, url: str, **headers: str) -> tuple[int, str, Response]:
    response = api.get(url, headers={**BROWSER, **headers})
    return response.status_code, response.get_data(as_text=True), response


# -- who gets HTML ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "query", "html"),
    [
        ({"User-Agent": CHROME, "Accept": NAVIGATE}, "", True),
        ({"User-Agent": CHROME, "Accept": "*/*"}, "", True),
        ({"User-Agent": CHROME}, "", True),  # no Accept counts as */*
        ({"User-Agent": "Mozilla/5.0 Firefox/121.0", "Accept": "text/html"}, "", True),
        ({"User-Agent": CHROME, "Accept": "application/json"}, "", False),
        ({"User-Agent": CHROME, "Accept": NAVIGATE}, "?_format=json", False),
        ({"User-Agent": CHROME, "Accept": NAVIGATE}, "?_format=JSON", False),
        ({"User-Agent": "curl/8.5.0", "Accept": "*/*"}, "", False),
        ({"User-Agent": "curl/8.5.0", "Accept": "*/*"}, "?_format=html", True),
        ({"User-Agent": "python-requests/2.31.0", "Accept": "*/*"}, "", False),
        ({"User-Agent": "Go-http-client/1.1"}, "", False),
        ({}, "", False),
    ],
)
def test_cattles_rule_picks_html_or_json(
    api: Client, headers: dict[str, str], query: str, html: bool
) -> None:
    response = api.get(f"{BASE}/registries{query}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == ("text/html" if html else "application/json")


class Unhooked:
    """The same app without the people hook: the API's own answers."""

    def __init__(self, fake: FakeRancher) -> None:
        self.fake = fake

    def __call__(self, environ: Any, start_response: Any) -> Iterator[bytes]:
        response = self.fake.wsgi_app.answer(Request(environ))
        return iter(response(environ, start_response))


CLIENTS: dict[str, tuple[dict[str, str], str]] = {
    "requests": ({"User-Agent": "python-requests/2.31.0", "Accept": "*/*"}, ""),
    "gdapi": ({"User-Agent": "python-requests/2.31.0", "Accept": "application/json"}, ""),
    "curl": ({"User-Agent": "curl/8.5.0", "Accept": "*/*"}, ""),
    "go-rancher": ({"User-Agent": "Go-http-client/1.1"}, ""),
    "terraform": ({"User-Agent": "Terraform/1.5.7 terraform-provider-rancher/1.0"}, ""),
    "httpx": ({"User-Agent": "python-httpx/0.27.0", "Accept": "*/*"}, ""),
    "browser asking for JSON": ({"User-Agent": CHROME, "Accept": "application/json"}, ""),
    "browser with _format=json": ({"User-Agent": CHROME, "Accept": NAVIGATE}, "_format=json"),
}


def conversation(
    client: Client, headers: dict[str, str], query: str
) -> list[tuple[int, list[Any], bytes]]:
    """A session touching every kind of answer: documents, collections, errors, control."""
    requests: list[tuple[str, str, Any]] = [
        ("GET", "/v1", None),
        ("GET", "/", None),
        ("GET", "/v1/schemas", None),
        ("GET", "/v1/schemas/registrycredential", None),
        ("POST", "/v1/registries", {"serverAddress": "quay.io", "name": "<b>Quay</b>"}),
        ("GET", "/v1/registries/1sp1", None),
        (
            "POST",
            "/v1/registrycredentials",
            {"registryId": "1sp1", "email": "a@b.c", "secretValue": "hunter2"},
        ),
        ("GET", "/v1/registrycredentials?sort=name&limit=1&include=registry", None),
        ("POST", "/v1/registrycredentials/1c2?action=deactivate", None),
        ("DELETE", "/v1/registries/1sp1", None),
        ("GET", "/v1/nothing", None),
        ("POST", "/v1/registrycredentials", {}),
        ("GET", "/v1/projects/1a5/registries", None),
        ("GET", "/_fake", None),
        ("GET", "/_fake/clock", None),
    ]
    answers = []
    for method, path, body in requests:
        url = path + (("&" if "?" in path else "?") + query if query else "")
        response = client.open(url, method=method, json=body, headers=headers)
        answers.append((response.status_code, sorted(response.headers.items()), response.data))
    return answers


@pytest.mark.parametrize("name", list(CLIENTS))
def test_non_browser_clients_get_the_same_bytes_as_without_the_view(name: str) -> None:
    hooked, plain = FakeRancher(seed=3), FakeRancher(seed=3)
    for fake in (hooked, plain):
        fake.clock.freeze(1_700_000_000)
    with_view = conversation(Client(hooked.wsgi_app), *CLIENTS[name])
    without = conversation(Client(Unhooked(plain)), *CLIENTS[name])
    assert with_view == without
    assert all(body[:1] in (b"{", b"[") for _, _, body in with_view)


# -- the API browser's page ---------------------------------------------------------------------
def test_a_resource_page_shows_state_actions_and_clickable_json(api: Client) -> None:
    registry = create_registry(api, name="Quay")
    status, html, response = page(api, registry["links"]["self"])
    assert status == 200 and response.mimetype == "text/html"
    assert '<span class="badge ok" data-state="active"' in html
    for name, url in registry["actions"].items():
        assert f'data-action="{url}" data-name="{name}">{name}</button>' in html
        assert f'<a class="j-action" href="{url}" data-action="{url}">' in html
    for url in registry["links"].values():
        assert f'href="{url}"' in html
    assert f'data-schemas="{BASE}/schemas"' in html and 'data-resource-type="registry"' in html
    # The Cattle headers stay, and a person's page is never cached as the JSON answer.
    assert response.headers["X-API-Schemas"] == f"{BASE}/schemas"
    assert "User-Agent" in response.headers["Vary"]


def test_a_transitioning_resource_shows_it(fake: FakeRancher, api: Client) -> None:
    fake.transitions.set("manual", process="deactivate")
    registry = create_registry(api)
    api.post(registry["actions"]["deactivate"])
    _, html, _ = page(api, registry["links"]["self"])
    assert '<span class="badge busy" data-state="deactivating" title="transitioning: yes"' in html
    assert 'data-transitioning="yes"' in html


def test_a_collection_is_a_table_with_sort_filter_and_paging(api: Client) -> None:
    for address in ("a.io", "b.io", "c.io"):
        create_registry(api, address, name=f"reg-{address}")
    status, html, _ = page(api, f"{BASE}/registries?limit=2&sort=name&order=desc&name_prefix=reg")
    assert status == 200
    table = html[html.index('<table class="grid" id="items">') : html.index("</table>")]
    assert table.count("<tr data-id=") == 2
    assert ">reg-c.io<" in table and ">reg-b.io<" in table and "reg-a.io" not in table
    # The sorted column links to the reverse order; the others to their sortLinks.
    assert 'data-sort="name">name ▼</a>' in html
    assert re.search(r'href="[^"]*sort=created[^"]*" data-sort="created"', html)
    # An applied filter is a chip with a link that drops it; paging has next and per-page links.
    assert "name prefix reg" in html and 'aria-label="remove filter name"' in html
    assert 'id="next-page"' in html and "marker=m2" in html
    status, second, _ = page(api, f"{BASE}/registries?limit=2&sort=name&order=desc&marker=m2")
    assert 'id="first-page"' in second and ">reg-a.io<" in second


def test_an_error_is_shown_as_cattles_message(api: Client) -> None:
    status, html, _ = page(api, f"{BASE}/registrycredentials/1c99")
    assert status == 404 and "<h1>Error 404 <code>Not Found</code></h1>" in html
    response = api.post(f"{BASE}/registrycredentials?_format=html", json={"email": "a@b.c"})
    assert response.status_code == 422 and response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert "<dt>code</dt><dd><span" in text and "MissingRequired" in text and "registryId" in text


def test_secrets_are_never_rendered(api: Client) -> None:
    registry = create_registry(api)
    # A create answer echoes the secret (Cattle does); its page must not.
    created = api.post(
        f"{BASE}/registrycredentials?_format=html",
        json={"registryId": registry["id"], "email": "a@b.c", "secretValue": "hunter2-secret"},
    )
    assert created.status_code == 201 and created.mimetype == "text/html"
    text = created.get_data(as_text=True)
    assert "hunter2" not in text and '&quot;secretValue&quot;</span>: <span class="masked">' in text
    # Nor the value of a filter on a secret-named field, in the chips, links or JSON.
    for url in (
        f"{BASE}/registrycredentials?secretValue=hunter2-secret",
        f"{BASE}/registrycredentials?secretValue_prefix=hunter2&password=hunter2",
    ):
        _, html, _ = page(api, url)
        assert "hunter2" not in html


def test_user_input_is_escaped(api: Client) -> None:
    evil = '<img src=x onerror="alert(1)">"\'&'
    registry = create_registry(api, name=evil)
    create_credential(api, registry["id"], name=evil, email=f"{evil}@example.com")
    for url in (registry["links"]["self"], f"{BASE}/registries", f"{BASE}/registrycredentials"):
        _, html, _ = page(api, url)
        assert "<img" not in html and 'onerror="alert' not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_the_page_loads_nothing_from_elsewhere(api: Client) -> None:
    create_registry(api)
    for url in (
        f"{BASE}",
        f"{BASE}/registries",
        f"{BASE}/registries/1sp1",
        "http://localhost/_fake",
    ):
        _, html, response = page(api, url)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "connect-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(https?:)?//", html)
        assert html.count("<script>") == 1 and "<script src" not in html
        assert ' style="' not in html  # inline style attributes would break the CSP


def test_the_version_and_schema_pages(api: Client) -> None:
    _, html, _ = page(api, BASE)
    assert f'<a href="{BASE}/registries">{BASE}/registries</a>' in html
    _, html, _ = page(api, f"{BASE}/schemas/registrycredential")
    assert "<code>registryId</code>" in html and '<span class="tag">required</span>' in html


def test_a_project_scoped_page_works_in_that_scope(api: Client) -> None:
    _, html, _ = page(api, "http://localhost/v1/projects/1a5/registries")
    assert 'data-schemas="http://localhost/v1/projects/1a5/schemas"' in html
    assert 'href="http://localhost/v1/projects/1a5/openapi.json">OpenAPI</a>' in html


def test_a_browser_is_challenged_for_an_api_key(fake: FakeRancher, api: Client) -> None:
    fake.add_api_key(project="1a5")
    fake.access_control = True
    status, html, response = page(api, f"{BASE}/registries")
    assert status == 401 and response.mimetype == "text/html"
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert "<h1>Error 401 <code>Unauthorized</code></h1>" in html


def test_a_page_that_fails_to_render_falls_back_to_the_json(
    api: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any) -> str:
        raise ValueError("a bug")

    monkeypatch.setattr("fakerancher.browser.render_page", broken)
    status, text, response = page(api, f"{BASE}/registries")
    assert status == 200 and response.mimetype == "application/json"
    assert text.startswith('{"type":"collection"')
    assert "could not render GET /v1/registries as a page" in caplog.text


def test_scripts_and_non_json_answers_are_left_alone(fake: FakeRancher, api: Client) -> None:
    token = fake.create("registrationToken")
    response = api.get(token["registrationUrl"], headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/plain"


# -- the dashboard and its summary --------------------------------------------------------------
def test_the_dashboard_is_for_browsers_and_the_index_for_the_rest(api: Client) -> None:
    status, html, response = page(api, "http://localhost/_fake")
    assert status == 200 and response.mimetype == "text/html"
    assert 'id="dash"' in html and 'id="calls"' in html and 'id="advance-form"' in html
    index = api.get("/_fake")
    assert index.mimetype == "application/json" and index.get_json()["type"] == "fakerancherControl"


def test_the_summary_counts_pending_policies_faults_and_calls(
    fake: FakeRancher, api: Client
) -> None:
    fake.clock.freeze(1_700_000_000)
    fake.transitions.set("delay", type="registry", delay=30)
    fake.faults.add(method="GET", path="/v1/registrycredentials", status=503, times=1)
    registry = create(api, "registries", {"serverAddress": "quay.io"})
    assert api.get(f"{BASE}/registrycredentials").status_code == 503
    api.post(f"{BASE}/registrycredentials", json={"registryId": registry["id"], "email": "e"})

    doc = api.get("/_fake/summary").get_json()
    assert doc["type"] == "fakerancherSummary"
    assert doc["clock"] == {
        "now": "2023-11-14T22:13:20.000Z",
        "nowTS": 1_700_000_000_000,
        "frozen": True,
    }
    assert doc["resources"] == {
        "account": {"active": 2, "inactive": 2},  # Cattle's seeded accounts
        "project": {"active": 1},
        "projectMember": {"active": 1},  # the admin, owner of the Default project
        "projectTemplate": {"active": 5},
        "registry": {"registering": 1},
        "registryCredential": {"active": 1},  # the default policy: done by the next look
    }
    assert [p["id"] for p in doc["pending"]] == ["1sp1"]
    pending = {p["id"]: p for p in doc["pending"]}
    assert pending["1sp1"]["due"] == "2023-11-14T22:13:50Z" and pending["1sp1"]["dueIn"] == 30
    assert pending["1sp1"]["processes"] == ["create", "activate"]
    assert doc["transitions"]["rules"][0]["mode"] == "delay"
    assert [(f["status"], f["hits"]) for f in doc["faults"]] == [(503, 1)]
    assert doc["calls"]["total"] == 3 and doc["calls"]["byStatus"] == {"201": 2, "503": 1}
    assert doc["calls"]["recent"][-1]["body"]["registryId"] == "1sp1"
    assert all(isinstance(c["at"], float) for c in doc["calls"]["recent"])
    # Reading the summary is not a call.
    assert api.get("/_fake/summary").get_json()["calls"]["total"] == 3


def test_the_summary_refuses_other_methods_with_a_cattle_error(api: Client) -> None:
    response = api.post("/_fake/summary", json={})
    assert response.status_code == 405 and response.get_json()["code"] == "Method not allowed"


def test_secrets_stay_masked_in_the_summary(api: Client) -> None:
    registry = create_registry(api)
    create_credential(api, registry["id"], secretValue="hunter2-secret")
    assert "hunter2" not in api.get("/_fake/summary").get_data(as_text=True)
    assert "hunter2" not in page(api, "http://localhost/_fake/summary")[1]


# -- the notebook -------------------------------------------------------------------------------
def test_the_notebook_view_adds_the_summary_and_a_plot(fake: FakeRancher, api: Client) -> None:
    pytest.importorskip("matplotlib")
    registry = create_registry(api, name="<b>bold</b>")
    create_credential(api, registry["id"], secretValue="hunter2-secret")
    api.get(f"{BASE}/nothing")
    html = fake._repr_html_()
    assert html.startswith("<table><caption>FakeRancher") and "<th>state</th>" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "hunter2" not in html
    assert "<caption>recent calls</caption>" in html and "404" in html
    assert '<img alt="calls over time" src="data:image/png;base64,' in html


def test_the_notebook_view_needs_no_matplotlib(
    fake: FakeRancher, api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    create_registry(api)
    html = fake._repr_html_()
    assert "<caption>recent calls</caption>" in html and "<img" not in html
