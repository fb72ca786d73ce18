"""Answers as bytes on the wire: Cattle's JSON, and a cache of recently rendered documents."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from fakerancher.store import Record

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

JSON_TYPE = "application/json; charset=utf-8"
# Documents are trees the app builds: no cycle to look for.
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)
# The C encoder `_ENCODER.encode` makes on every call, made once (where there is one).
_C_ENCODER = (
    None
    if c_make_encoder is None
    else c_make_encoder(
        None, _ENCODER.default, encode_basestring_ascii, None, ":", ",", False, False, True
    )
)


class Reply:
    """One answer: status, headers and body bytes, and a WSGI app that sends it.

    Lighter than werkzeug's `Response`, which a request answered in process (`mock_rancher`)
    never needs: the live server's WSGI call makes one, to send it. Header values are the
    app's own or made safe by it (no line breaks)."""

    __slots__ = ("body", "headers", "status_code")

    def __init__(
        self,
        status_code: int,
        body: bytes,
        content_type: str = JSON_TYPE,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.headers: list[tuple[str, str]] = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            *headers,
        ]

    @property
    def mimetype(self) -> str:
        """The content type without its parameters, e.g. `application/json`."""
        return media_type(self.header("Content-Type"))

    def headers_named(self, *prefixes: str) -> list[tuple[str, str]]:
        """The headers whose lower-cased names start with one of `prefixes`."""
        return [(name, value) for name, value in self.headers if name.lower().startswith(prefixes)]

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def get_data(self) -> bytes:
        return self.body

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        from werkzeug.wrappers import Response

        try:
            response = Response(self.body, status=self.status_code, headers=self.headers)
        except ValueError:  # a header value with a line break, which werkzeug refuses to send
            safe = [(name, " ".join(value.splitlines())) for name, value in self.headers]
            response = Response(self.body, status=self.status_code, headers=safe)
        return response(environ, start_response)


def media_type(content_type: str | None) -> str:
    """A Content-Type without its parameters, lower-cased (`application/json`)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def encode(body: Any, *, cattle: bool = True) -> str:
    return encode_bytes(body, cattle=cattle).decode("ascii")


def encode_bytes(body: Any, *, cattle: bool = True) -> bytes:
    """`body` as Cattle writes JSON: compact, ASCII (anything else escaped), and with `/`
    escaped as `\\/` (Jackson's `escapeForwardSlashes`; the parsed content is the same)."""
    text = _ENCODER.encode(body) if _C_ENCODER is None else "".join(_C_ENCODER(body, 0))
    data = text.encode("ascii")
    return data.replace(b"/", b"\\/") if cattle else data


def json_response(status: int, body: Any, *, cattle: bool = True) -> Reply:
    return Reply(status, encode_bytes(body, cattle=cattle))


def text_response(status: int, text: str, content_type: str = JSON_TYPE) -> Reply:
    return Reply(status, text.encode("utf-8"), content_type)


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
            tuple[int, Hashable], tuple[Record, dict[str, Any], tuple[Any, ...], str]
        ] = OrderedDict()

    def get(self, record: Record, key: Hashable) -> str | None:
        entry = self._entries.get((id(record), key))
        if entry is None:
            return None
        cached, values, state, text = entry
        if cached is not record or values is not record.values or state != _state(record):
            return None
        return text

    def put(self, record: Record, key: Hashable, text: str) -> None:
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
