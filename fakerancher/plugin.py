"""The pytest plugin (entry point `pytest11`): fixtures only, nothing autouse.

- `fake_rancher`: a fresh fake per test with every `requests` call under its URL routed to
  it in process (`mock_rancher`).
- `fake_rancher_server`: a fresh fake per test on a live socket (ephemeral port), for clients
  that are not `requests`.

Configure both with `@pytest.mark.fake_rancher(url=..., transition_delay=..., seed=...)` or by
overriding the `fake_rancher_url` and `fake_rancher_options` fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fakerancher.fake import FakeRancher

MARKER = "fake_rancher"
# FakeRancher's keyword options besides `url`.
_OPTIONS = frozenset(
    {"transition_delay", "seed", "call_log_limit", "access_control", "reveal_secrets"}
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(url=None, transition_delay=0.0, seed=None, call_log_limit=10000, "
        "access_control=False, reveal_secrets=False): "
        "configure the fake_rancher and fake_rancher_server fixtures for one test",
    )


@pytest.fixture
def fake_rancher_url() -> str:
    """Base URL `fake_rancher` intercepts; override it to match your client's configuration."""
    return "http://rancher.test"


@pytest.fixture
def fake_rancher_options() -> dict[str, Any]:
    """Keyword arguments for `FakeRancher` (transition_delay, seed, call_log_limit,
    access_control, reveal_secrets)."""
    return {}


def _settings(request: pytest.FixtureRequest, url: str, options: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {"url": url, **options}
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only")
        settings.update(marker.kwargs)
    unknown = set(settings) - _OPTIONS - {"url"}
    if unknown:
        raise pytest.UsageError(f"unknown {MARKER} options: {', '.join(sorted(unknown))}")
    return settings


@pytest.fixture
def fake_rancher(
    request: pytest.FixtureRequest, fake_rancher_url: str, fake_rancher_options: dict[str, Any]
) -> Iterator[FakeRancher]:
    """A fresh fake Rancher; `requests` calls under `fake_rancher.url` reach it in process."""
    from fakerancher.mock import mock_rancher

    settings = _settings(request, fake_rancher_url, fake_rancher_options)
    # Leaving the block at teardown raises a bug the fake met, failing this test.
    with mock_rancher(**settings) as fake:
        yield fake


@pytest.fixture
def fake_rancher_server(
    request: pytest.FixtureRequest, fake_rancher_options: dict[str, Any]
) -> Iterator[FakeRancher]:
    """A fresh fake Rancher on a live socket; `fake_rancher_server.url` is its base URL."""
    from fakerancher.fake import FakeRancher

    marker = request.node.get_closest_marker(MARKER)
    if marker is not None and "url" in marker.kwargs:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER}(url=...) applies to fake_rancher only: "
            "fake_rancher_server listens on a free port of 127.0.0.1 (see its .url)"
        )
    settings = _settings(request, "http://127.0.0.1", fake_rancher_options)
    settings.pop("url")
    fake = FakeRancher(**settings)
    fake.serve(host="127.0.0.1", port=0)
    try:
        yield fake
    finally:
        fake.stop()
    fake.check_errors()  # a bug in the fake fails the test that met it, at teardown
