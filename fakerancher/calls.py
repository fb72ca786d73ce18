"""The call log: the most recent API calls, with every secret masked, and assertions on it."""

from __future__ import annotations

import copy
import difflib
import fnmatch
import functools
import json
import re
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

DEFAULT_LIMIT = 10_000
MASK = "********"
_SECRET_KEY = re.compile(r"secret|password", re.IGNORECASE)


class Call(NamedTuple):
    """One logged call, immutable (a tuple: one is made for every request)."""

    method: str
    path: str
    query: dict[str, Any]
    status: int
    type: str | None
    id: str | None
    action: str | None
    duration: float
    body: Any
    # When the call was answered (wall clock, epoch seconds): what "calls over time" plots.
    at: float

    def document(self) -> dict[str, Any]:
        """The call as a JSON-ready dict, its query and body copied (not the log's own)."""
        return {
            **self._asdict(),
            "query": copy.deepcopy(self.query),
            "body": copy.deepcopy(self.body),
        }

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


# The environ key under which the view that parsed a JSON object body leaves it for the log.
PARSED_BODY = "fakerancher.parsed_body"

# Logged bodies are cut below this depth, so the log, its JSON and `asdict` never recurse deep.
MAX_LOGGED_DEPTH = 32
TOO_DEEP = f"<nested deeper than {MAX_LOGGED_DEPTH} levels>"


def mask(value: Any, *, reveal: bool = False) -> Any:
    """`value` with every secret-named key's value replaced, at any depth (iterative: a body
    nested thousands deep costs no stack); parts nested deeper than `MAX_LOGGED_DEPTH` become
    `TOO_DEEP`. With `reveal`, secrets are kept (a test's opt-in)."""
    if isinstance(value, dict):  # the usual body, flat: copied in one pass
        flat: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(item, dict | list):
                return _mask_nested(value, reveal)
            flat[key] = MASK if not reveal and _is_secret(key) else item
        return flat
    return _mask_nested(value, reveal)


@functools.lru_cache(maxsize=1024)
def _is_secret(key: Any) -> bool:
    return _SECRET_KEY.search(str(key)) is not None


def _mask_nested(value: Any, reveal: bool) -> Any:
    root: list[Any] = [None]
    # (source, container in the copy, key or index in it, depth)
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]
    while stack:
        source, parent, slot, depth = stack.pop()
        if not isinstance(source, dict | list):
            parent[slot] = source
        elif depth >= MAX_LOGGED_DEPTH:
            parent[slot] = TOO_DEEP
        elif isinstance(source, dict):
            copied: dict[Any, Any] = {}
            parent[slot] = copied
            for key, item in source.items():
                if not reveal and _is_secret(key):
                    copied[key] = MASK
                else:
                    copied[key] = None
                    stack.append((item, copied, key, depth + 1))
        else:
            items: list[Any] = [None] * len(source)
            parent[slot] = items
            stack.extend((item, items, index, depth + 1) for index, item in enumerate(source))
    return root[0]


def loggable_body(raw: bytes, form: bool, *, reveal: bool = False) -> Any:
    """The body as logged: parsed and masked, or a note of its size when it cannot be parsed."""
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
        parsed: Any = (
            dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
            if form and not text.lstrip().startswith(("{", "["))
            else json.loads(text)
        )
    except (ValueError, RecursionError):
        return f"<unparsable, {len(raw)} bytes>"
    return mask(parsed, reveal=reveal)


def loggable_query(params: Sequence[tuple[str, str]], *, reveal: bool = False) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, value in params:
        shown = MASK if not reveal and _SECRET_KEY.search(key) else value
        if key in query:
            previous = query[key]
            query[key] = [*previous, shown] if isinstance(previous, list) else [previous, shown]
        else:
            query[key] = shown
    return query


def path_matcher(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    """A compiled regex, a glob with `*`, or an exact path (trailing slash optional)."""
    if isinstance(pattern, re.Pattern):
        return pattern
    if "*" in pattern or "?" in pattern or "[" in pattern:
        return re.compile(fnmatch.translate(pattern), re.IGNORECASE)
    return re.compile(re.escape(pattern.rstrip("/")) + "/?", re.IGNORECASE)


def _as_call(fields: tuple[Any, ...]) -> Call:
    call = Call._make(fields)
    return call if call.query is not None else call._replace(query={})


class CallLog:
    """A bounded, thread-safe log; iterate it, index it, `len()` it.

    It keeps each call's fields as a plain tuple and makes a `Call` only when read: every
    request adds one, and a named tuple's constructor is a Python function call. An entry
    holds as few objects of its own as it can (no query, not an empty dict, when there is
    none): the log is thousands of entries long, and each object an entry holds is memory
    a request writes, and, once the log is full, memory the entry it pushes out touches."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._lock = threading.Lock()
        self._calls: deque[tuple[Any, ...]] = deque(maxlen=limit)

    @property
    def limit(self) -> int:
        return self._calls.maxlen or DEFAULT_LIMIT

    @limit.setter
    def limit(self, value: int) -> None:
        with self._lock:
            self._calls = deque(self._calls, maxlen=max(1, value))

    def add(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None,
        status: int,
        type: str | None,
        id: str | None,
        action: str | None,
        duration: float,
        body: Any,
        at: float,
    ) -> None:
        """Log one call (its fields in `Call`'s order; no query is None)."""
        fields = (method, path, query or None, status, type, id, action, duration, body, at)
        with self._lock:
            self._calls.append(fields)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def snapshot(self) -> list[Call]:
        with self._lock:
            return list(map(_as_call, self._calls))

    def __iter__(self) -> Iterator[Call]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        return len(self._calls)

    def __getitem__(self, index: int) -> Call:
        with self._lock:
            return _as_call(self._calls[index])

    def matching(
        self, method: str | None = None, path: str | re.Pattern[str] | None = None
    ) -> list[Call]:
        regex = None if path is None else path_matcher(path)
        return [
            call
            for call in self.snapshot()
            if (method is None or call.method == method.upper())
            and (regex is None or regex.fullmatch(call.path) is not None)
        ]

    def assert_called(
        self, method: str, path: str | re.Pattern[str], times: int | None = None
    ) -> list[Call]:
        found = self.matching(method, path)
        if (times is None and found) or (times is not None and len(found) == times):
            return found
        wanted = "at least once" if times is None else f"{times} time(s)"
        raise AssertionError(
            f"expected {method.upper()} {_shown(path)} {wanted}, saw it {len(found)} time(s)"
            + self._closest(method, path)
        )

    def assert_not_called(self, method: str, path: str | re.Pattern[str]) -> None:
        found = self.matching(method, path)
        if found:
            listed = "\n".join(f"  {call}" for call in found[:10])
            raise AssertionError(
                f"expected no {method.upper()} {_shown(path)}, saw {len(found)}:\n{listed}"
            )

    def _closest(self, method: str, path: str | re.Pattern[str]) -> str:
        seen = list(dict.fromkeys(f"{c.method} {c.path}" for c in self.snapshot()))
        if not seen:
            return "; no calls were logged"
        target = f"{method.upper()} {_shown(path)}"
        closest = difflib.get_close_matches(target, seen, n=5, cutoff=0.0)
        return "; closest calls:\n" + "\n".join(f"  {line}" for line in closest)


def _shown(path: str | re.Pattern[str]) -> str:
    return path.pattern if isinstance(path, re.Pattern) else path
