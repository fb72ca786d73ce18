"""What the app shows people, around the API's own answers: the one hook `CattleApp` calls.

- A browser (Cattle's rule, spec §3.3) or `_format=html` gets the JSON answer as an HTML page
  (`fakerancher.browser`); `GET /_fake` in a browser is the dashboard (`fakerancher.dashboard`).
  Every other client gets the API's answer untouched, byte for byte.
- `GET /<version>/openapi.json` (also under `/projects/<id>/`) is made from the caller's own
  `GET /<version>/schemas` answer (`fakerancher.openapi`).

Kept apart from the app's dispatch on purpose: it reads only finished answers and `FakeRancher`'s
public face.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from io import BytesIO
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from fakerancher.answers import Reply, json_response

if TYPE_CHECKING:
    from fakerancher.fake import FakeRancher

Answerer = Callable[[Request], Reply]
log = logging.getLogger("fakerancher")

DASHBOARD_PATHS = frozenset({"/_fake", "/_fake/"})
_OPENAPI = re.compile(r"(/[^/]+(?:/projects/[^/]+)?)/openapi\.json/?")


def respond(fake: FakeRancher, request: Request, answer: Answerer) -> Reply:
    """The answer to `request`: `answer(request)`, or what a person or an OpenAPI tool wants."""
    path = request.path
    if path.endswith(("/openapi.json", "/openapi.json/")):
        match = _OPENAPI.fullmatch(path)
        if match is not None and request.method == "GET":
            return _openapi(fake, request, answer, match.group(1))
    response = answer(request)
    if not wants_html(request.environ):
        return response
    if path in DASHBOARD_PATHS and response.status_code == 200:
        from fakerancher.dashboard import dashboard_page

        return _page(response, dashboard_page(), response.status_code)
    return _as_page(fake, request, response)


def _guarded(fake: FakeRancher, request: Request, respond: Callable[[], Reply]) -> Reply:
    """`respond()`, or Cattle's 500 document (logged) if it fails: never a traceback."""
    try:
        return respond()
    except Exception as error:  # a bug in the fake: answered, and raised at the test's end
        fake.record_error(error)
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return _error(fake, 500)


def _error(fake: FakeRancher, status: int) -> Reply:
    from fakerancher.errors import ApiError

    return json_response(status, ApiError(status).document(fake.store.new_error_id()))


def wants_html(environ: dict[str, Any]) -> bool:
    """Cattle's choice of format: `_format=html|json` decides; otherwise a browser (a `Mozilla`
    User-Agent accepting `*/*` or `text/html`, or sending no Accept) gets HTML."""
    query = environ.get("QUERY_STRING", "")
    if "_format" in query:
        chosen = Request(environ, populate_request=False).args.get("_format", "").strip().lower()
        if chosen in ("html", "json"):
            return chosen == "html"
    agent = environ.get("HTTP_USER_AGENT", "")
    if "mozilla" not in agent.lower():
        return False
    accept = environ.get("HTTP_ACCEPT", "*/*").lower()
    return "*/*" in accept or "text/html" in accept


def _as_page(fake: FakeRancher, request: Request, response: Reply) -> Reply:
    """The JSON answer as the API browser's page; any other answer unchanged."""
    if response.mimetype != "application/json":
        return response
    try:
        doc = json.loads(response.get_data())
    except ValueError:
        return response
    from fakerancher.browser import render_page

    try:
        page = render_page(doc, request.url, response.header("X-API-Schemas"))
    except Exception as error:  # a bug in the page must not cost the person the answer itself
        fake.record_error(error)
        log.exception("could not render %s %s as a page", request.method, request.path)
        return response
    return _page(response, page, response.status_code)


def _page(source: Reply, html: str, status: int) -> Reply:
    from fakerancher.browser import security_headers

    kept = source.headers_named("x-api-", "x-rancher-", "www-authenticate")
    return Reply(
        status,
        html.encode("utf-8"),
        "text/html; charset=utf-8",
        [*kept, *security_headers(), ("Vary", "Accept, User-Agent")],
    )


# -- OpenAPI ----------------------------------------------------------------------------------
def _openapi(fake: FakeRancher, request: Request, answer: Answerer, root: str) -> Reply:
    """The OpenAPI document of `root` (`/v1`, `/v1/projects/1a5`), made from the schemas this
    caller gets there: the same authentication, scope and faults apply."""
    environ = dict(request.environ)
    environ.update(
        {
            "PATH_INFO": f"{root}/schemas",
            "QUERY_STRING": "",
            "REQUEST_METHOD": "GET",
            "CONTENT_LENGTH": "0",
            "wsgi.input": BytesIO(b""),
        }
    )
    environ.pop("CONTENT_TYPE", None)
    schemas = answer(Request(environ, populate_request=False))
    if schemas.status_code != 200 or schemas.mimetype != "application/json":
        return schemas
    return _guarded(fake, request, lambda: _openapi_answer(schemas, root))


def _openapi_answer(schemas: Reply, root: str) -> Reply:
    from fakerancher.openapi import openapi_document

    version = root.strip("/").split("/")[0]
    doc = openapi_document(json.loads(schemas.get_data()), version)
    response = json_response(200, doc, cattle=False)
    response.headers += schemas.headers_named("x-api-", "x-rancher-")
    return response
