"""Input validation derived from the schema declarations (gdapi ValidationHandler).

Unknown keys and keys that are not creatable (on create) or updatable (on update) are dropped
silently. Only the first error is reported, fields checked in schema order.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from fakerancher.errors import ApiError, validation_error
from fakerancher.schemas import Field, ResourceType

_ID = re.compile(r"1[a-z]+([0-9]+)")


def parse_id(value: str) -> int | None:
    """Cattle's TypeIdFormatter#parseId: `1` + lower-case letters + digits -> the DB id.

    The prefix letters are not checked against the type (a Cattle quirk kept here).
    """
    match = _ID.fullmatch(value)
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) > 18:
        return None
    return int(digits)


def parse_json_value(raw: bytes) -> Any:
    """Strict RFC 8259 parsing, as Jackson's defaults, of any JSON value; an empty body is
    None. `InvalidBodyContent` for anything else (NaN, Infinity, bad UTF-8, too deep)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_body() from None
    if not text.strip():
        return None
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError):
        raise invalid_body() from None


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """A request body: a JSON object, with an empty body or `null` read as `{}`."""
    parsed = parse_json_value(raw)
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise invalid_body()
    return parsed


def invalid_body() -> ApiError:
    return ApiError(400, "InvalidBodyContent", message="InvalidBodyContent")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def java_length(text: str) -> int:
    """String length in UTF-16 code units, as Java's String#length counts."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def coerce_string(field: Field, value: Any) -> str:
    """Scalars become strings the way Java's toString would; maps and lists are refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    raise validation_error("InvalidFormat", field.name)


def java_double(value: float) -> str:
    """Java's `Double.toString`: how Cattle turns a JSON number read as a double into text."""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text else f"{text}.0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    shown = "".join(map(str, digits))
    mantissa = f"{shown[0]}.{shown[1:] or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{len(digits) - 1 + exponent}"


def _boolean(field: Field, value: Any) -> bool:
    """JSON booleans, or the strings Jackson reads as booleans."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise validation_error("InvalidFormat", field.name)


# Resolves a reference field's raw value to a DB id, or None when it does not resolve.
ReferenceResolver = Callable[[Field, str], int | None]


def _check(field: Field, value: Any, resolve: ReferenceResolver) -> Any:
    if value is None:
        if not field.nullable:
            raise validation_error("NotNullable", field.name)
        return None
    if field.type == "boolean":
        return _boolean(field, value)
    if field.type == "array[string]":
        if not isinstance(value, list):
            raise validation_error("InvalidFormat", field.name)
        return [coerce_string(field, item) for item in value]
    if field.type.startswith("array["):  # of objects: each checked by the type's behaviour
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise validation_error("InvalidFormat", field.name)
        if field.min_length is not None and len(value) < field.min_length:
            raise validation_error("MinLengthExceeded", field.name)
        return value
    if not field.is_scalar_text and field.type not in ("int", "date"):  # an object type
        if not isinstance(value, dict):
            raise validation_error("InvalidFormat", field.name)
        return value
    text = coerce_string(field, value)
    if field.is_reference:
        resolved = resolve(field, text)
        if resolved is None:
            raise validation_error("InvalidReference", field.name)
        return resolved
    length = java_length(text)
    if field.min_length is not None and length < field.min_length:
        raise validation_error("MinLengthExceeded", field.name)
    if field.max_length is not None and length > field.max_length:
        raise validation_error("MaxLengthExceeded", field.name)
    if field.options is not None and text not in field.options:
        raise validation_error("InvalidOption", field.name)
    return text


def validate_create(
    rtype: ResourceType, body: Mapping[str, Any], resolve: ReferenceResolver
) -> dict[str, Any]:
    """The creatable fields of `body`, checked and converted (references become DB ids).

    As Cattle's ValidationHandler: the fields sent are checked in the order they were sent,
    then the required ones that are missing; the first error is the answer.
    """
    accepted: dict[str, Any] = {}
    for name, value in body.items():
        field = rtype.field(name)
        if field is not None and field.create:
            accepted[name] = _check(field, value, resolve)
    for name in rtype.required_on_create:
        if name not in body:
            raise validation_error("MissingRequired", name)
    return _in_schema_order(rtype, accepted)


def validate_update(
    rtype: ResourceType, body: Mapping[str, Any], resolve: ReferenceResolver
) -> dict[str, Any]:
    """The updatable fields of `body`, checked in the order sent and converted."""
    accepted: dict[str, Any] = {}
    for name, value in body.items():
        field = rtype.field(name)
        if field is not None and field.update:
            accepted[name] = _check(field, value, resolve)
    return _in_schema_order(rtype, accepted)


def _in_schema_order(rtype: ResourceType, accepted: dict[str, Any]) -> dict[str, Any]:
    if len(accepted) < 2:
        return accepted
    return {f.name: accepted[f.name] for f in rtype.fields if f.name in accepted}
