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
        # (id(record), key) -> (record, its values dict, its state fields, JSON), the key
        # naming what else the rendering depends on (URL root, role, caller). Holding the
        # record keeps its id() from being reused while the entry lives.
        self._entries: OrderedDict[
            tuple[int, str], tuple[Record, dict[str, Any], tuple[Any, ...], str]
        ] = OrderedDict()

    def get(self, record: Record, key: str) -> str | None:
        entry = self._entries.get((id(record), key))
        if entry is None:
            return None
        cached, values, state, text = entry
        if cached is not record or values is not record.values or state != _state(record):
            return None
        return text

    def put(self, record: Record, key: str, text: str) -> None:
        entry = (id(record), key)
        self._entries[entry] = (record, record.values, _state(record), text)
        self._entries.move_to_end(entry)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)


def _state(record: Record) -> tuple[Any, ...]:
    return (
        record.state,
        record.removed,
        record.transitioning_error,
        record.transitioning_message,
    )
