"""The fake at a glance: the `/_fake/summary` document, the dashboard page a browser gets at
`/_fake`, and the same summary as a notebook's HTML (`FakeRancher._repr_html_`).

Read through `FakeRancher`'s public face only (`export_state`, `clock`, `faults`, `calls`).
"""

from __future__ import annotations

import base64
import io
import time
from collections import Counter
from html import escape
from typing import TYPE_CHECKING, Any

from fakerancher.browser import page, state_badge

if TYPE_CHECKING:
    from fakerancher.calls import Call
    from fakerancher.fake import FakeRancher

RECENT_CALLS = 500


def summary(fake: FakeRancher) -> dict[str, Any]:
    """Counts by type and state, pending transitions with due times, transition policies,
    fault rules with hits, the clock and the call log's totals with its most recent calls."""
    state = fake.export_state()  # one consistent reading, with due transitions settled
    now = fake.clock.now()
    counts: dict[str, Counter[str]] = {}
    pending = []
    for record in state["records"]:
        counts.setdefault(record["type"], Counter())[record["state"]] += 1
        waiting = record["pending"]
        if waiting is not None:
            due = waiting["due"]
            pending.append(
                {
                    "type": record["type"],
                    "id": record["id"],
                    "state": record["state"],
                    "processes": waiting["processes"],
                    "due": None if due is None else _instant(due),
                    "dueIn": None if due is None else round(due - now, 3),
                    "readsLeft": waiting["readsLeft"],
                    "failMessage": waiting["failMessage"],
                }
            )
    calls = fake.calls.snapshot()
    return {
        "type": "fakerancherSummary",
        "clock": fake.clock.document(),
        "resources": {t: dict(sorted(c.items())) for t, c in sorted(counts.items())},
        "pending": sorted(pending, key=lambda p: (p["dueIn"] is None, p["dueIn"] or 0)),
        "transitions": state["transitions"],
        "faults": [_shown_fault(rule) for rule in fake.faults.document()],
        "calls": {
            "total": len(calls),
            "limit": fake.calls.limit,
            "byStatus": {str(k): v for k, v in sorted(Counter(c.status for c in calls).items())},
            "recent": [c.document() for c in calls[-RECENT_CALLS:]],
        },
    }


def _instant(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _shown_fault(rule: dict[str, Any]) -> dict[str, Any]:
    path = rule.get("path")
    return {**rule, "path": getattr(path, "pattern", path)}  # a compiled regex from Python


def dashboard_page() -> str:
    """The dashboard: a skeleton that its script fills from `/_fake/summary` and keeps fresh."""
    top = (
        '<header class="top"><span class="brand">fakerancher <span>dashboard</span></span>'
        '<nav><a href="/v1">API</a><a href="/_fake?_format=json">control routes (JSON)</a>'
        '<a href="/_fake/summary">summary (JSON)</a></nav></header>'
    )
    body = """<main id="dash">
<div class="toolbar"><span id="updated" class="sub">loading…</span>
<label>refresh <select id="every"><option value="1000">1 s</option><option value="3000">3 s</option>
<option value="0">paused</option></select></label></div>
<div id="notice" role="status" aria-live="polite"></div>
<h2>Resources by state</h2><div class="stats" id="counts"></div>
<div class="cols"><section><h2>Clock</h2><div class="card" id="clock-card">
<dl class="facts"><dt>now</dt><dd id="clock-now" class="mono">…</dd>
<dt>mode</dt><dd id="clock-mode">…</dd></dl>
<div class="buttons"><button type="button" id="freeze">freeze</button>
<button type="button" id="unfreeze">unfreeze</button></div>
<form class="inline" id="advance-form"><input id="advance" type="number" step="any" value="30"
 aria-label="seconds to advance"><button type="submit">advance seconds</button></form>
<form class="inline" id="set-form"><input id="set" type="text" placeholder="2024-01-01T00:00:00Z"
 aria-label="time to set"><button type="submit">set</button></form></div></section>
<section><h2>Pending transitions</h2><div class="buttons"><button type="button" id="advance-manual">
complete manual transitions</button></div><div class="wrap"><table class="grid"><thead><tr>
<th>resource</th><th>state</th><th>processes</th><th>due</th><th>in</th><th>reads left</th></tr>
</thead><tbody id="pending"></tbody></table></div></section></div>
<div class="cols"><section><h2>Transition policies</h2><div class="wrap"><table class="grid"><thead>
<tr><th>type</th><th>process</th><th>id</th><th>mode</th><th>delay</th><th>reads</th><th>message</th>
</tr></thead><tbody id="policies"></tbody></table></div><p class="sub" id="purge"></p></section>
<section><h2>Fault rules</h2><div class="wrap"><table class="grid"><thead><tr><th>method</th>
<th>path</th><th>type</th><th>action</th><th>answer</th><th>times</th><th>hits</th></tr></thead>
<tbody id="faults"></tbody></table></div></section></div>
<h2>Calls <span class="sub" id="calls-total"></span></h2>
<svg class="spark" id="spark" viewBox="0 0 600 44" preserveAspectRatio="none"
 aria-label="calls over time"></svg>
<div class="toolbar"><label>status <select id="status-filter"><option value="">all</option>
<option value="2">2xx</option><option value="4">4xx</option><option value="5">5xx</option>
</select></label><label>path <input id="path-filter" placeholder="/v1/registries"></label></div>
<div class="wrap"><table class="grid"><thead><tr><th>time</th><th>method</th><th>path</th>
<th>status</th><th>ms</th><th>type</th><th>id</th><th>action</th><th>body</th></tr></thead>
<tbody id="calls"></tbody></table></div></main>"""
    return page("fakerancher dashboard", top, body, "dashboard.js")


# -- the notebook ------------------------------------------------------------------------------
def notebook_html(fake: FakeRancher) -> str:
    """The resource table, then the summary (and a plot of calls when matplotlib is there)."""
    rows = fake.table()
    cells = "".join("<tr>" + "".join(f"<td>{escape(r[k])}</td>" for k in r) + "</tr>" for r in rows)
    head = "".join(f"<th>{k}</th>" for k in ("type", "id", "name", "state"))
    caption = escape(f"FakeRancher {fake.url}: {len(rows)} resource(s)")
    table = (
        f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{cells}</tbody></table>"
    )
    return table + _summary_html(fake, summary(fake))


def _summary_html(fake: FakeRancher, doc: dict[str, Any]) -> str:
    clock = doc["clock"]
    counts = "".join(
        f"<tr><td>{escape(t)}</td><td>"
        + " ".join(f"{state_badge({'state': s})}&nbsp;{n}" for s, n in states.items())
        + "</td></tr>"
        for t, states in doc["resources"].items()
    )
    parts = [
        '<div class="fakerancher-summary">',
        f"<p><b>clock</b> {escape(clock['now'])} ({'frozen' if clock['frozen'] else 'running'})"
        f" · <b>calls</b> {doc['calls']['total']}"
        + "".join(f" · {escape(status)}: {n}" for status, n in doc["calls"]["byStatus"].items())
        + "</p>",
        f"<table><thead><tr><th>type</th><th>states</th></tr></thead><tbody>{counts}</tbody>"
        "</table>",
    ]
    if doc["pending"]:
        parts.append(
            _table(
                "pending transitions",
                ("resource", "state", "processes", "due", "in (s)"),
                [
                    (
                        f"{p['type']} {p['id']}",
                        p["state"],
                        " → ".join(p["processes"]),
                        p["due"] or "manual",
                        p["dueIn"],
                    )
                    for p in doc["pending"]
                ],
            )
        )
    rules = doc["transitions"]["rules"]
    if rules:
        parts.append(
            _table(
                "transition policies",
                ("type", "process", "id", "mode", "delay", "reads", "message"),
                [
                    (
                        r["type"],
                        r["process"],
                        r["id"],
                        r["mode"],
                        r["delay"],
                        r["reads"],
                        r["message"],
                    )
                    for r in rules
                ],
            )
        )
    if doc["faults"]:
        parts.append(
            _table(
                "fault rules",
                ("method", "path", "type", "action", "status", "times", "hits"),
                [
                    (
                        f["method"],
                        f["path"],
                        f["type"],
                        f["action"],
                        f["status"],
                        f["times"],
                        f["hits"],
                    )
                    for f in doc["faults"]
                ],
            )
        )
    calls = fake.calls.snapshot()
    if calls:
        parts.append(
            _table(
                "recent calls",
                ("method", "path", "status", "ms"),
                [(c.method, c.path, c.status, f"{c.duration * 1000:.1f}") for c in calls[-10:]],
            )
        )
        parts.append(calls_plot(calls))
    parts.append("</div>")
    return "".join(parts)


def _table(title: str, head: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption>{escape(title)}</caption><thead><tr>{header}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


_TONES = (("2xx", "#2e7d32"), ("4xx", "#ef8f00"), ("5xx", "#c62828"), ("dropped", "#757575"))


def calls_plot(calls: list[Call]) -> str:
    """A small histogram of calls over time by status class, as an inline PNG; empty when
    matplotlib is not installed (it is never required)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return ""
    start = min(c.at for c in calls)
    by_class: dict[str, list[float]] = {name: [] for name, _ in _TONES}
    for call in calls:
        name = "dropped" if call.status == 0 else f"{min(call.status // 100, 5)}xx"
        by_class.setdefault(name, []).append(call.at - start)
    shown = [(name, tone) for name, tone in _TONES if by_class.get(name)]
    figure = Figure(figsize=(4.8, 1.6), dpi=100)
    axes = figure.subplots()
    span = max(c.at for c in calls) - start
    axes.hist(
        [by_class[name] for name, _ in shown],
        bins=20,
        range=(0, span or 1),
        stacked=True,
        color=[tone for _, tone in shown],
        label=[name for name, _ in shown],
    )
    axes.set_xlabel("seconds since the first logged call", fontsize=7)
    axes.set_ylabel("calls", fontsize=7)
    axes.tick_params(labelsize=7)
    axes.legend(fontsize=6, loc="upper right", frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="calls over time" src="data:image/png;base64,{encoded}">'
