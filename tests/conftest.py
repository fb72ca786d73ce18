"""Shared fixtures for fakerancher's own suite: a fresh fake and a socket-less HTTP client."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from fakerancher import FakeRancher

pytest_plugins = ["pytester"]


@pytest.fixture
def fake() -> FakeRancher:
    return FakeRancher()


@pytest.fixture
def api(fake: FakeRancher) -> Client:
    """Drives the WSGI app with no socket; base URL http://localhost."""
    return Client(fake.wsgi_app)
