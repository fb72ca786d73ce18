"""The size limits of Cattle's Jetty front, checked before anything else reads the request.

Jetty's `requestHeaderSize` (16 KiB, as Cattle's launcher sets it) bounds the request line and
the header block together: a request line over it is refused with 414, headers that take the
total over it with 431. Checking first keeps every request's cost linear in its size.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from fakerancher.errors import ApiError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

MAX_HEADER_BYTES = 16 * 1024  # cattle's launcher/jetty/Main.java: setRequestHeaderSize(16 * 1024)
MAX_BODY_BYTES = 16 * 1024 * 1024
_CRLF = 2
# An environ key under which the maker of a WSGI environ may leave the header block's size.
HEADER_BYTES = "fakerancher.header_bytes"
_BODY = "fakerancher.body"  # the body, once `read_body` has read it
_SEPARATOR = 2  # ": " between a header's name and value


def request_line_length(environ: WSGIEnvironment) -> int:
    """`METHOD /path?query HTTP/1.1` in bytes, as the client sent it (the live server and
    `mock_rancher` give the raw target; another WSGI server may give only the decoded path)."""
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if target is None:
        query = environ.get("QUERY_STRING", "")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    method = environ.get("REQUEST_METHOD", "GET")
    protocol = environ.get("SERVER_PROTOCOL", "HTTP/1.1")
    return len(method) + 1 + len(target) + 1 + len(protocol) + _CRLF


def header_bytes(environ: WSGIEnvironment) -> int:
    """The header block's size in bytes, as sent (near enough: names as WSGI spells them)."""
    known = environ.get(HEADER_BYTES)
    if known is not None:  # counted by whoever made the environ (`mock_rancher`)
        return int(known)
    total = 0
    for key, value in environ.items():
        if key[:5] == "HTTP_":
            total += len(key) - 5 + len(str(value))
        elif key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":
            total += len(key) + len(str(value))
        else:
            continue
        total += _SEPARATOR + _CRLF
    return total


def request_too_large(environ: WSGIEnvironment) -> ApiError | None:
    """414 or 431 as Jetty refuses an oversized request line or header block, else None."""
    line = request_line_length(environ)
    if line > MAX_HEADER_BYTES:
        return ApiError(414)
    if line + header_bytes(environ) > MAX_HEADER_BYTES:
        return ApiError(431)
    return None


def buffer_unsized_body(environ: WSGIEnvironment) -> ApiError | None:
    """A body sent without a length (chunked) is read here, up to the limit: 413 past it, as a
    body with a length gets (werkzeug would silently cut it at the limit instead)."""
    if environ.get("CONTENT_LENGTH") or not environ.get("wsgi.input_terminated"):
        return None
    body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return ApiError(413)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return None


def read_body(environ: WSGIEnvironment) -> bytes:
    """The request body, read once and kept in the environ: what werkzeug's `get_data` gives,
    without its stream wrappers. 413 for a declared length over `MAX_BODY_BYTES`; a length
    that is no number reads as none, as werkzeug reads it."""
    kept = environ.get(_BODY)
    if kept is not None:
        return bytes(kept)
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    length = int(declared) if declared.isascii() and declared.isdigit() else 0
    if length > MAX_BODY_BYTES:
        raise ApiError(413)
    body = environ["wsgi.input"].read(length) if length else b""
    environ[_BODY] = body
    return bytes(body)
