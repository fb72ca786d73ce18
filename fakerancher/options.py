"""Checks shared by the control plane's option documents (transition rules, fault rules and the
bodies of `/_fake` routes): each failure is a 400 `InvalidOption` naming the problem."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fakerancher.errors import ApiError
from fakerancher.schemas import lookup


def invalid_option(detail: str) -> ApiError:
    return ApiError(400, "InvalidOption", message=detail, detail=detail)


def require_strings(body: Mapping[str, Any], keys: Iterable[str], prefix: str = "") -> None:
    """Each of `keys` that `body` holds (and is not null) must be a string."""
    for key in keys:
        if body.get(key) is not None and not isinstance(body[key], str):
            raise invalid_option(f"{prefix}{key} must be a string")


def resource_type_id(name: str | None) -> str | None:
    """The schema id a rule's `type` names, in any case, singular or plural."""
    if name is None:
        return None
    # A plural or differently cased name would otherwise never match anything.
    rtype = lookup(name)
    if rtype is None:
        raise invalid_option(f"type {name!r} is not a resource type")
    return rtype.id
