"""Answers as bytes on the wire: Cattle's JSON, and a cache of recently rendered documents."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from werkzeug.wrappers import Response

from fakerancher.store import Record


def encode(body: Any, *, cattle: bool = True) -> str:
    text = json.dumps(body, separators=(",", ":"))
    if cattle:  # Cattle's Jackson writer escapes "/" in strings; the parsed content is the same.
        text = text.replace("/", "\\/")
    return text


def json_response(status: int, body: Any, *, cattle: bool = True) -> Response:
    return text_response(status, encode(body, cattle=cattle))


def text_response(status: int, text: str) -> Response:
    return Response(text, status=status, content_type="application/json; charset=utf-8")


class RenderedDocuments:
    """The JSON of recently read resources, so repeated GETs of an unchanged resource (a client
    polling `transitioning`) skip rendering. Bounded; used under the fake's lock.

    An entry is valid while the record shows the same state, removal, transitioning error and
    the very same `values` dict (updates replace that dict, never mutate it).
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, str, str], tuple[Any, dict[str, Any], str]] = (
            OrderedDict()
        )

    def get(self, record: Record, root: str) -> str | None:
        entry = self._entries.get((id(record), record.table, root))
        if entry is None or entry[1] is not record.values or entry[0] != _fingerprint(record):
            return None
        return entry[2]

    def put(self, record: Record, root: str, text: str) -> None:
        # The entry holds the record's values dict, so neither id() below can be reused.
        key = (id(record), record.table, root)
        self._entries[key] = (_fingerprint(record), record.values, text)
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)


def _fingerprint(record: Record) -> tuple[Any, ...]:
    return (
        record,
        record.state,
        record.removed,
        record.transitioning_error,
        record.transitioning_message,
    )
