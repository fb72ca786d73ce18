"""Collections: filters with modifiers, sort, pagination and include, as Cattle parses them.

Parameters that do not name a filterable, visible field with one of its listed modifiers are
ignored silently, exactly as `ParseCollectionAttributes` does.
"""

from __future__ import annotations

import calendar
import heapq
import operator
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fakerancher.schemas import Field, ResourceType
from fakerancher.store import Record
from fakerancher.validation import parse_id

DEFAULT_LIMIT = 100
MAX_LIMIT = 3000
_RESERVED = frozenset({"sort", "order", "limit", "marker", "include"})
_MARKER = re.compile(r"m([0-9]{1,9})")

Params = Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Condition:
    field: Field
    modifier: str
    values: tuple[str, ...]


@dataclass(slots=True)
class CollectionQuery:
    conditions: dict[str, Condition] = field(default_factory=dict)
    sort: str | None = None
    descending: bool = False
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    include: str | None = None
    include_removed: bool = False


def parse_query(rtype: ResourceType, params: Params) -> CollectionQuery:
    query = CollectionQuery()
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        grouped.setdefault(key, []).append(value)
    for key, values in grouped.items():
        if key in _RESERVED:
            continue
        name, _, modifier = key.rpartition("_") if "_" in key else (key, "", "eq")
        fdef = rtype.field(name)
        if fdef is None or modifier not in rtype.filters.get(name, ()):
            continue
        # One condition list per field: a later parameter for the same field replaces it.
        query.conditions[name] = Condition(fdef, modifier, tuple(values))
    query.include_removed = "_removed" in grouped
    sort = grouped.get("sort", [None])[0]
    if sort is not None and sort in rtype.filters and rtype.field(sort) is not None:
        query.sort = sort
        query.descending = grouped.get("order", ["asc"])[0].lower() == "desc"
    query.limit = _parse_limit(grouped.get("limit", [None])[0])
    marker = _MARKER.fullmatch(grouped.get("marker", [""])[0])
    query.offset = int(marker.group(1)) if marker else 0
    includes = grouped.get("include")
    if includes:
        wanted = includes[0].lower()
        query.include = next((n for n in rtype.includeable_links if n.lower() == wanted), None)
    return query


def _parse_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw.strip())
    except ValueError:
        return DEFAULT_LIMIT
    return MAX_LIMIT if limit <= 0 or limit > MAX_LIMIT else limit


# -- values ---------------------------------------------------------------------------------
_RECORD_ATTRIBUTES = {
    "id": "id",
    "accountId": "account_id",
    "created": "created",
    "removed": "removed",
    "state": "state",
    "uuid": "uuid",
}


def value_getter(name: str) -> Callable[[Record], Any]:
    """Reads a field's comparable value: ids as DB ints, dates as epoch seconds."""
    attribute = _RECORD_ATTRIBUTES.get(name)
    if attribute is not None:
        return operator.attrgetter(attribute)
    if name == "kind":  # an account's own kind (`admin`, `user`, ...), else the type
        return lambda record: record.values.get("kind") or record.type
    return lambda record: record.values.get(name)


def _operand(fdef: Field, raw: str) -> Any:
    if fdef.type == "boolean":
        return raw.strip().lower() == "true"
    if fdef.is_reference or fdef.name == "id":
        parsed = parse_id(raw)
        return -1 if parsed is None else parsed
    if fdef.is_date:
        return parse_date(raw)
    return raw.lower()


def parse_date(raw: str) -> int | None:
    """`yyyy-MM-ddTHH:mm:ssZ` or epoch milliseconds; anything else matches nothing."""
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) < 16:
        return int(text) // 1000
    try:
        return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return None


def _like(pattern: str) -> re.Pattern[str]:
    """SQL LIKE (`%` any run, `_` one char), case-insensitive as MySQL's default collation."""
    parts = []
    for char in pattern:
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _matcher(condition: Condition) -> Callable[[Any], bool]:
    modifier = condition.modifier
    if modifier == "null":
        return lambda value: value is None
    if modifier == "notnull":
        return lambda value: value is not None
    if modifier in ("prefix", "like", "notlike"):
        patterns = [_like(raw + "%" if modifier == "prefix" else raw) for raw in condition.values]
        negate = modifier == "notlike"

        def like(value: Any) -> bool:
            # SQL: a NULL column satisfies neither LIKE nor NOT LIKE.
            if value is None:
                return False
            return all(bool(p.fullmatch(str(value))) != negate for p in patterns)

        return like
    operands = [_operand(condition.field, raw) for raw in condition.values]
    compare = _COMPARISONS[modifier]

    if len(operands) == 1 and operands[0] is not None:
        operand = operands[0]

        def compare_one(value: Any) -> bool:
            if value is None:
                return False
            return compare(value.lower() if isinstance(value, str) else value, operand)

        return compare_one

    def compare_all(value: Any) -> bool:
        if value is None:
            return False
        if isinstance(value, str):
            value = value.lower()
        return all(operand is not None and compare(value, operand) for operand in operands)

    return compare_all


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}


def apply(records: list[Record], query: CollectionQuery) -> tuple[list[Record], bool]:
    """Filter, sort and page `records` (id ascending on entry): the page and whether more exist."""
    for name, condition in query.conditions.items():
        matches, read = _matcher(condition), value_getter(name)
        records = [r for r in records if matches(read(r))]
    end = query.offset + query.limit
    if query.sort is not None:
        read = value_getter(query.sort)

        def key(record: Record) -> tuple[bool, Any, int]:
            value = read(record)
            if value is None:  # MySQL puts NULLs first ascending (and so last descending)
                return (False, 0, record.id)
            return (True, value.lower() if isinstance(value, str) else value, record.id)

        if end < len(records) // 4:  # a page of a long list: no need to sort all of it
            pick = heapq.nlargest if query.descending else heapq.nsmallest
            return pick(end, records, key=key)[query.offset :], True
        records = sorted(records, key=key, reverse=query.descending)
    return records[query.offset : end], len(records) > end


def wants_removed(params: Params) -> bool:
    return any(key == "_removed" for key, _ in params)


def wants_every(params: Params) -> bool:
    """Cattle's `all=true`: an admin's list of every environment, not only its own."""
    return any(key == "all" and value.strip().lower() == "true" for key, value in params)


def plain_filter(records: list[Record], params: Params) -> list[Record]:
    """What a list with no filtering machinery (projects) honours: `id`, `uuid` and `name`
    (the first value of each; `name` in any case)."""
    wanted: dict[str, str] = {}
    for key, value in params:
        wanted.setdefault(key, value)
    if "id" in wanted:
        record_id = parse_id(wanted["id"])
        records = [r for r in records if r.id == record_id]
    if "uuid" in wanted:
        records = [r for r in records if r.uuid == wanted["uuid"]]
    if "name" in wanted:
        name = wanted["name"].lower()
        records = [r for r in records if str(r.values.get("name") or "").lower() == name]
    return records


# -- the collection document ----------------------------------------------------------------
def filters_document(rtype: ResourceType, query: CollectionQuery) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name in sorted(rtype.filters):
        condition = query.conditions.get(name)
        if condition is None:
            doc[name] = None
            continue
        doc[name] = [
            {"modifier": condition.modifier, "value": _display_value(condition.field, raw)}
            for raw in condition.values
        ]
    return doc


def _display_value(fdef: Field, raw: str) -> str:
    # Id and reference values are shown as the raw DB id they were parsed to ("2" for 1sp2).
    if fdef.is_reference or fdef.name == "id":
        parsed = parse_id(raw)
        return str(-1 if parsed is None else parsed)
    return raw


def with_params(base_url: str, params: Params) -> str:
    return f"{base_url}?{urlencode(list(params))}" if params else base_url


def collection_document(
    rtype: ResourceType,
    base_url: str,
    params: Params,
    query: CollectionQuery,
    data: list[dict[str, Any]],
    has_more: bool,
) -> dict[str, Any]:
    """Cattle's collection envelope; `base_url` is the request URL without its query."""
    kept = [(k, v) for k, v in params if k not in ("sort", "order")]
    sort_links = {
        name: with_params(base_url, [*kept, ("sort", name)]) for name in sorted(rtype.filters)
    }
    next_url = None
    if has_more:
        paged = [(k, v) for k, v in params if k != "marker"]
        next_url = with_params(base_url, [*paged, ("marker", f"m{query.offset + query.limit}")])
    sort_doc = None
    if query.sort is not None:
        flipped = "asc" if query.descending else "desc"
        if any(k == "order" for k, _ in params):
            reverse = [(k, flipped if k == "order" else v) for k, v in params]
        else:
            reverse = [*params, ("order", flipped)]
        sort_doc = {
            "name": query.sort,
            "order": "desc" if query.descending else "asc",
            "reverse": with_params(base_url, reverse),
        }
    return {
        "type": "collection",
        "resourceType": rtype.id,
        "links": {"self": base_url},
        "createTypes": {},
        "actions": {},
        "data": data,
        "sortLinks": sort_links,
        "pagination": {
            "first": None,
            "previous": None,
            "next": next_url,
            "limit": query.limit,
            "total": None,
            "partial": has_more,
        },
        "sort": sort_doc,
        "filters": filters_document(rtype, query),
        "createDefaults": {},
    }


def plain_collection(
    resource_type: str, base_url: str, data: list[dict[str, Any]]
) -> dict[str, Any]:
    """A collection with no filtering machinery (schemas, API versions)."""
    return {
        "type": "collection",
        "resourceType": resource_type,
        "links": {"self": base_url},
        "createTypes": {},
        "actions": {},
        "data": data,
        "sortLinks": {},
        "pagination": None,
        "sort": None,
        "filters": {},
        "createDefaults": {},
    }
