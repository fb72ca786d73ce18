"""The API browser: any API document as one self-contained HTML page (no external assets).

The page shows the JSON pretty-printed with every link and action clickable, a resource's
state at a glance, collections as tables with their sort, filter and paging links, and error
documents as Cattle's message. Inline script (`static/browser.js`) adds what needs the schema:
the create and edit forms, delete, and the filter form. Secret-named values are masked and
every string is escaped: resource names are user input.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from collections.abc import Iterable
from html import escape
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "********"
_SECRET = re.compile(r"secret|password", re.IGNORECASE)
# `secretValue=...` (any parameter named like a secret) inside a URL's query.
_SECRET_PARAMETER = re.compile(r"((?:^|[?&])[^&=#]*(?:secret|password)[^&=#]*=)[^&#]*", re.I)
_BOOKKEEPING = frozenset(
    {
        "id",
        "type",
        "links",
        "actions",
        "actionLinks",
        "baseType",
        "name",
        "state",
        "kind",
        "uuid",
        "accountId",
        "transitioning",
        "transitioningMessage",
        "transitioningProgress",
        "removed",
        "description",
        "created",
    }
)
_MAX_EXTRA_COLUMNS = 5
_LIMITS = (10, 25, 100)


@functools.cache
def asset(name: str) -> str:
    return resources.files("fakerancher").joinpath("static", name).read_text(encoding="utf-8")


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@functools.cache
def security_headers() -> tuple[tuple[str, str], ...]:
    """A CSP that allows only this page's own inline script and style and same-origin calls."""
    scripts = " ".join(_digest(asset(n)) for n in ("browser.js", "dashboard.js"))
    policy = (
        f"default-src 'none'; script-src {scripts}; style-src {_digest(asset('page.css'))}; "
        "connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )
    return (
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    )


# -- the page -----------------------------------------------------------------------------------
def render_page(doc: Any, url: str, schemas_url: str | None) -> str:
    """The page for the API document `doc`, the answer to `url`."""
    kind, title, content = _content(doc, url)
    context = {"url": url, "schemas": schemas_url or "", "kind": kind}
    if isinstance(doc, dict):
        links = _dict(doc, "links")
        context["self"] = str(links.get("self") or "")
        if kind == "collection":
            context["resource-type"] = str(doc.get("resourceType") or "")
        elif kind == "resource":
            context["resource-type"] = str(doc.get("type") or "")
            context["transitioning"] = str(doc.get("transitioning") or "")
    data = "".join(f' data-{k}="{escape(shown_url(v))}"' for k, v in context.items())
    body = (
        f'<main id="fr"{data}>{content}'
        '<div id="notice" role="status" aria-live="polite"></div>'
        '<details class="json" open><summary>JSON</summary>'
        f'<pre class="json" id="json">{json_html(doc)}</pre></details></main>'
    )
    return page(title, _top(url, schemas_url), body, "browser.js")


def page(title: str, top: str, body: str, script: str) -> str:
    """A whole HTML page: inline style and script only (allowed by their CSP hashes)."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{escape(title)}</title>'
        f"<style>{asset('page.css')}</style></head><body>{top}{body}"
        f"<script>{asset(script)}</script></body></html>"
    )


def _top(url: str, schemas_url: str | None) -> str:
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    crumbs = [f'<a href="{escape(origin)}/">{escape(parts.netloc)}</a>']
    walked = origin
    for segment in [s for s in parts.path.split("/") if s]:
        walked = f"{walked}/{segment}"
        crumbs.append(f'<a href="{escape(walked)}">{escape(segment)}</a>')
    api = schemas_url.rsplit("/schemas", 1)[0] if schemas_url else f"{origin}/v1"
    nav = [
        (api, "API"),
        (f"{api}/schemas", "Schemas"),
        (f"{origin}/_fake", "Dashboard"),
        (f"{api}/openapi.json", "OpenAPI"),
        (with_query(url, _format="json"), "JSON"),
    ]
    links = "".join(f'<a href="{escape(shown_url(href))}">{text}</a>' for href, text in nav)
    separator = '<span class="sep">/</span>'
    return (
        '<header class="top"><span class="brand">fakerancher <span>Cattle API</span></span>'
        f'<span class="crumbs">{separator.join(crumbs)}</span><nav>{links}</nav></header>'
    )


def _content(doc: Any, url: str) -> tuple[str, str, str]:
    """The page's kind, title and the HTML above the JSON."""
    if not isinstance(doc, dict):
        return "other", "fakerancher", ""
    kind = doc.get("type")
    if kind == "error":
        return "error", f"{doc.get('status')} {doc.get('code')}", _error(doc)
    if kind == "collection" and isinstance(doc.get("data"), list):
        title = f"{doc.get('resourceType')} collection"
        return "collection", title, _collection(doc, url)
    if kind == "apiVersion":
        return "version", f"API {doc.get('id')}", _version(doc)
    if kind == "schema":
        return "schema", f"schema {doc.get('id')}", _schema(doc)
    if isinstance(kind, str) and "id" in doc and isinstance(doc.get("links"), dict):
        return "resource", f"{kind} {doc.get('id')}", _resource(doc)
    return "other", str(kind or "fakerancher"), ""


def _error(doc: dict[str, Any]) -> str:
    facts = [(k, doc.get(k)) for k in ("status", "code", "message", "detail", "fieldName")]
    return (
        f"<h1>Error {escape(str(doc.get('status')))} <code>{escape(str(doc.get('code')))}</code>"
        f'</h1><div class="notice error">{_facts(facts)}</div>'
    )


def _version(doc: dict[str, Any]) -> str:
    links = doc.get("links") or {}
    rows = "".join(
        f'<tr><td>{escape(name)}</td><td><a href="{escape(str(href))}">{escape(str(href))}</a>'
        "</td></tr>"
        for name, href in links.items()
        if name != "self"
    )
    return (
        f"<h1>API <code>{escape(str(doc.get('id')))}</code></h1>"
        '<p class="sub">The collections this API serves: follow one.</p>'
        f'<div class="wrap"><table class="grid"><thead><tr><th>collection</th><th>URL</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></div>"
    )


def _schema(doc: dict[str, Any]) -> str:
    flags = ("create", "update", "required", "nullable", "readOnCreateOnly")
    rows = []
    for name, field in (doc.get("resourceFields") or {}).items():
        if not isinstance(field, dict):
            continue
        marks = " ".join(f'<span class="tag">{f}</span>' for f in flags if field.get(f))
        limits = ", ".join(
            f"{k} {field[k]}" for k in ("minLength", "maxLength", "min", "max") if k in field
        )
        options = ", ".join(str(o) for o in field.get("options") or [])
        rows.append(
            f"<tr><td><code>{escape(name)}</code></td><td>{escape(str(field.get('type')))}</td>"
            f"<td>{marks}</td><td>{escape(limits)}</td><td>{escape(options)}</td></tr>"
        )
    methods = (
        f"collection: {', '.join(doc.get('collectionMethods') or []) or '-'} · "
        f"resource: {', '.join(doc.get('resourceMethods') or []) or '-'} · "
        f"actions: {', '.join(doc.get('resourceActions') or {}) or '-'}"
    )
    return (
        f"<h1>schema <code>{escape(str(doc.get('id')))}</code></h1>"
        f'<p class="sub">{escape(methods)}</p><div class="wrap"><table class="grid"><thead><tr>'
        "<th>field</th><th>type</th><th>flags</th><th>limits</th><th>options</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _resource(doc: dict[str, Any]) -> str:
    facts = [
        ("state", doc.get("state")),
        ("transitioning", doc.get("transitioning")),
        ("transitioningMessage", doc.get("transitioningMessage")),
        ("created", doc.get("created")),
    ]
    facts = [(k, v) for k, v in facts if k in doc]
    name = doc.get("name")
    heading = (
        f"<h1>{escape(str(doc.get('type')))} <code>{escape(str(doc.get('id')))}</code>"
        + (f" {escape(str(name))}" if name else "")
        + f" {state_badge(doc)}</h1>"
    )
    return (
        f'{heading}<div class="card">{_facts(facts)}'
        f'<div class="buttons" id="actions">{_action_buttons(doc)}</div></div>'
        '<div id="forms"></div>'
    )


def _action_buttons(doc: dict[str, Any], small: bool = False) -> str:
    actions = doc.get("actions") or doc.get("actionLinks") or {}
    if not isinstance(actions, dict):
        return ""
    size = " small" if small else ""
    return "".join(
        f'<button type="button" class="action{size}" data-action="{escape(str(href))}" '
        f'data-name="{escape(str(name))}">{escape(str(name))}</button>'
        for name, href in actions.items()
    )


def state_badge(doc: dict[str, Any]) -> str:
    state = doc.get("state")
    if state is None:
        return ""
    transitioning = doc.get("transitioning")
    if transitioning == "error":
        tone = "bad"
    elif transitioning == "yes":
        tone = "busy"
    elif state == "active":
        tone = "ok"
    elif state in ("inactive", "removed", "purged"):
        tone = "off"
    else:
        tone = "info"
    title = f' title="transitioning: {escape(str(transitioning))}"' if transitioning else ""
    shown = escape(str(state))
    return f'<span class="badge {tone}" data-state="{shown}"{title}>{shown}</span>'


def _facts(facts: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{_cell(k, v)}</dd>" for k, v in facts)
    return f'<dl class="facts">{rows}</dl>'


# -- collections ------------------------------------------------------------------------------
def _collection(doc: dict[str, Any], url: str) -> str:
    items = [d for d in doc["data"] if isinstance(d, dict)]
    columns = _columns(items)
    sort = doc.get("sort") if isinstance(doc.get("sort"), dict) else None
    sort_links = _dict(doc, "sortLinks")
    head = "".join(_header(c, sort, sort_links) for c in columns)
    rows = "".join(_row(item, columns) for item in items)
    if not rows:
        rows = f'<tr><td class="empty" colspan="{len(columns) + 1}">Nothing here.</td></tr>'
    return (
        f"<h1>{escape(str(doc.get('resourceType')))} <code>collection</code></h1>"
        f'<div class="toolbar">{_active_filters(doc, url)}<span id="filter-form"></span></div>'
        f'<div class="wrap"><table class="grid" id="items"><thead><tr>{head}<th>actions</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></div>"
        f"{_pager(doc, url, len(items))}"
        '<div id="forms"></div>'
    )


def _columns(items: list[dict[str, Any]]) -> list[str]:
    extra: list[str] = []
    for item in items:
        for key, value in item.items():
            if (
                key not in _BOOKKEEPING
                and not key.endswith("TS")
                and key not in extra
                and value is not None
                and len(extra) < _MAX_EXTRA_COLUMNS
            ):
                extra.append(key)
    base = [k for k in ("id", "name", "state") if any(k in i for i in items)] or ["id"]
    tail = ["created"] if any("created" in i for i in items) else []
    return [*base, *extra, *tail]


def _header(column: str, sort: dict[str, Any] | None, sort_links: dict[str, Any]) -> str:
    label = escape(column)
    if sort is not None and sort.get("name") == column:
        arrow = "▲" if sort.get("order") == "asc" else "▼"
        href = escape(shown_url(str(sort.get("reverse") or "")))
        return f'<th><a href="{href}" data-sort="{label}">{label} {arrow}</a></th>'
    if column in sort_links:
        href = str(sort_links[column])
        return f'<th><a href="{escape(shown_url(href))}" data-sort="{label}">{label}</a></th>'
    return f"<th>{label}</th>"


def _row(item: dict[str, Any], columns: list[str]) -> str:
    links = _dict(item, "links")
    cells = []
    for column in columns:
        value = item.get(column)
        if column == "id" and links.get("self"):
            cell = f'<a href="{escape(str(links["self"]))}">{escape(str(value))}</a>'
        elif column == "state":
            cell = state_badge(item)
        else:
            cell = _cell(column, value)
        cells.append(f'<td class="cell">{cell}</td>')
    cells.append(f'<td><div class="buttons">{_action_buttons(item, small=True)}</div></td>')
    return f'<tr data-id="{escape(str(item.get("id")))}">{"".join(cells)}</tr>'


def _cell(key: str, value: Any) -> str:
    if value is None:
        return '<span class="null">null</span>'
    if _SECRET.search(key):
        return f'<span class="masked">{MASK}</span>'
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        shown = escape(shown_url(value))
        return f'<a href="{shown}" title="{shown}">{shown}</a>'
    if isinstance(value, dict | list):
        text = json.dumps(masked(value))
        return f'<span class="mono" title="{escape(text)}">{escape(text[:80])}</span>'
    text = str(value) if not isinstance(value, bool) else str(value).lower()
    return f'<span title="{escape(text)}">{escape(text)}</span>'


def _active_filters(doc: dict[str, Any], url: str) -> str:
    filters = _dict(doc, "filters")
    chips = []
    for name, conditions in filters.items():
        if not isinstance(conditions, list):
            continue
        for condition in conditions:
            if not isinstance(condition, dict):
                continue
            value = MASK if _SECRET.search(name) else str(condition.get("value"))
            text = f"{name} {condition.get('modifier')} {value}"
            href = without_filter(url, name)
            chips.append(
                f'<span class="chip">{escape(text)}<a href="{escape(shown_url(href))}" '
                f'title="remove this filter" aria-label="remove filter {escape(name)}">✕</a></span>'
            )
    return "".join(chips)


def _pager(doc: dict[str, Any], url: str, shown: int) -> str:
    pagination = doc.get("pagination") if isinstance(doc.get("pagination"), dict) else None
    parts = [f"<span>{shown} shown</span>"]
    if pagination is not None:
        query = dict(parse_qsl(urlsplit(url).query))
        if "marker" in query:
            first = escape(shown_url(with_query(url, marker=None)))
            parts.append(f'<a href="{first}" id="first-page">« first page</a>')
        next_url = pagination.get("next")
        if next_url:
            parts.append(f'<a href="{escape(shown_url(str(next_url)))}" id="next-page">next »</a>')
        limits = " ".join(
            f'<a href="{escape(shown_url(with_query(url, limit=str(n), marker=None)))}">{n}</a>'
            if str(n) != str(pagination.get("limit"))
            else f"<strong>{n}</strong>"
            for n in _LIMITS
        )
        parts.append(f"<span>per page: {limits}</span>")
    return f'<div class="pager">{"".join(parts)}</div>'


def _dict(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


# -- URLs -------------------------------------------------------------------------------------
def with_query(url: str, **changes: str | None) -> str:
    """`url` with query parameters set (or removed, for None)."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in changes]
    params += [(k, v) for k, v in changes.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(params)))


def without_filter(url: str, field: str) -> str:
    """`url` without the parameters filtering on `field` (`field`, `field_<modifier>`)."""
    parts = urlsplit(url)
    params = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if (k.rpartition("_")[0] if "_" in k else k) != field and k != "marker"
    ]
    return urlunsplit(parts._replace(query=urlencode(params)))


def shown_url(url: str) -> str:
    """A URL with the values of secret-named query parameters masked."""
    if "?" not in url:
        return url
    base, _, query = url.partition("?")
    return f"{base}?{_SECRET_PARAMETER.sub(lambda m: m.group(1) + MASK, query)}"


# -- the JSON view ----------------------------------------------------------------------------
def masked(value: Any) -> Any:
    """`value` with every secret-named key's non-null value masked, at any depth."""
    if isinstance(value, dict):
        return {
            k: MASK if v is not None and _SECRET.search(str(k)) else masked(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def json_html(value: Any) -> str:
    """`value` pretty-printed as JSON in HTML: links as links, actions as action links, and
    secret-named values masked."""
    out: list[str] = []
    _json(value, out, "", False)
    return "".join(out)


def _json(value: Any, out: list[str], indent: str, actions: bool) -> None:
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = indent + "  "
        out.append("{\n")
        last = len(value) - 1
        for i, (key, item) in enumerate(value.items()):
            key = str(key)
            out.append(f'{inner}<span class="j-key">{escape(json.dumps(key))}</span>: ')
            if item is not None and _SECRET.search(key):
                out.append(f'<span class="masked">"{MASK}"</span>')
            else:
                _json(item, out, inner, actions or key in ("actions", "actionLinks"))
            out.append(",\n" if i < last else "\n")
        out.append(indent + "}")
    elif isinstance(value, list):
        if not value:
            out.append("[]")
            return
        inner = indent + "  "
        out.append("[\n")
        last = len(value) - 1
        for i, item in enumerate(value):
            out.append(inner)
            _json(item, out, inner, False)
            out.append(",\n" if i < last else "\n")
        out.append(indent + "]")
    elif isinstance(value, str):
        text = escape(json.dumps(value, ensure_ascii=False))
        if value.startswith(("http://", "https://")):
            href = escape(shown_url(value))
            shown = escape(json.dumps(shown_url(value), ensure_ascii=False))
            if actions:
                out.append(f'<a class="j-action" href="{href}" data-action="{href}">{shown}</a>')
            else:
                out.append(f'<a class="j-str" href="{href}">{shown}</a>')
        else:
            out.append(f'<span class="j-str">{text}</span>')
    elif value is None or isinstance(value, bool):
        out.append(f'<span class="j-lit">{json.dumps(value)}</span>')
    else:
        out.append(f'<span class="j-num">{escape(json.dumps(value))}</span>')
