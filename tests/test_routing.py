"""Routing: every path routes exactly as werkzeug's URL map routes it, whatever its shape."""

from __future__ import annotations

import itertools
import random

import pytest
from werkzeug.exceptions import HTTPException

from fakerancher.api import URL_MAP, route
from fakerancher.versions import VERSIONS

_SEGMENTS = [
    *VERSIONS,
    "V1",
    "scripts",
    "Scripts",
    "registries",
    "1sp2",
    "",
    "@1",
    "@",
    "a b",
    "%40",
]


def _werkzeug(path: str) -> tuple[str, dict[str, str]] | None:
    try:
        endpoint, args = URL_MAP.bind("fake").match(path, method="GET")
    except HTTPException:
        return None
    return endpoint, dict(args)


def _paths() -> list[str]:
    short = [
        "/" + "/".join(parts) for n in range(4) for parts in itertools.product(_SEGMENTS, repeat=n)
    ]
    chosen = random.Random(7)
    longer = ["/" + "/".join(chosen.choices(_SEGMENTS, k=chosen.randint(4, 7))) for _ in range(500)]
    return short + longer


@pytest.mark.parametrize("batch", range(4))
def test_route_agrees_with_werkzeug(batch: int) -> None:
    paths = _paths()[batch::4]
    for path in paths:
        found = route(path)
        assert (None if found is None else (found[0], dict(found[1]))) == _werkzeug(path), path


def test_a_new_id_routes_like_the_last() -> None:
    for index in range(3):
        assert route(f"/v1/registries/1sp{index}") == (
            "resource",
            {"version": "v1", "type_name": "registries", "resource_id": f"1sp{index}"},
        )


@pytest.mark.parametrize(
    "path",
    [
        "/v1/registries/" + "a" * 600,
        "/v1/" + "x/" * 300,
        "/v1/registries/" + "a" * 600 + "/credentials/",
    ],
)
def test_long_paths_route_as_werkzeug_routes_them(path: str) -> None:
    found = route(path)
    assert (None if found is None else (found[0], dict(found[1]))) == _werkzeug(path)
