#!/usr/bin/env python3
"""Measure fakerancher against the quality bar in the design (`make bench`).

Machines are noisy, so every measure is taken against a baseline measured in the same run
(interleaved where the two can alternate) and reported as a ratio, with the absolute
numbers alongside. Timings are medians of repeated measurements.

    python benchmarks/run.py            # full run (about a minute)
    python benchmarks/run.py --quick    # fewer repetitions (a few seconds)
    python benchmarks/run.py --check    # exit 1 when a budget is exceeded

It is a report, not a gate: the exit code is 0 unless a measurement errored (2), or, with
`--check`, a budget was exceeded (1).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import threading
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

MS = 1000.0


@dataclass(frozen=True)
class Settings:
    import_rounds: int
    fixture_rounds: int
    server_rounds: int
    get_rounds: int
    get_per_round: int
    list_records: int
    list_rounds: int
    memory_records: int
    threads: int
    creates_per_thread: int
    html_rounds: int


FULL = Settings(
    import_rounds=15,
    fixture_rounds=400,
    server_rounds=60,
    get_rounds=30,
    get_per_round=100,
    list_records=10_000,
    list_rounds=30,
    memory_records=5000,
    threads=8,
    creates_per_thread=500,
    html_rounds=40,
)
QUICK = Settings(
    import_rounds=4,
    fixture_rounds=60,
    server_rounds=10,
    get_rounds=6,
    get_per_round=30,
    list_records=10_000,
    list_rounds=5,
    memory_records=200,
    threads=8,
    creates_per_thread=50,
    html_rounds=6,
)


@dataclass
class Row:
    """One line of the report. `value` and `baseline` are in `unit`; `ok` None = no verdict."""

    measure: str
    value: float | None
    baseline: float | None
    unit: str
    budget: str
    ok: bool | None
    note: str = ""
    value_text: str | None = None
    baseline_text: str | None = None
    error: bool = False

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


# -- helpers ---------------------------------------------------------------------------------
def median(samples: Iterable[float]) -> float:
    return statistics.median(list(samples))


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def interleaved(
    subject: Callable[[], object], baseline: Callable[[], object], rounds: int
) -> tuple[list[float], list[float]]:
    """Time both `rounds` times, alternating which goes first (ABBA) to cancel drift."""
    subject_times: list[float] = []
    baseline_times: list[float] = []
    for i in range(rounds):
        if i % 2:
            baseline_times.append(timed(baseline))
            subject_times.append(timed(subject))
        else:
            subject_times.append(timed(subject))
            baseline_times.append(timed(baseline))
    return subject_times, baseline_times


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.3f} ms" if value < 10 else f"{value:.1f} ms"
    if unit == "B":
        return f"{value:,.0f} B"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    return f"{value:g} {unit}"


# -- 1. import -------------------------------------------------------------------------------
_IMPORT_PROBE = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def _python(code: str) -> tuple[float, float]:
    """Wall time of `python -c code` and the float the code printed (0.0 when none)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    out = done.stdout.strip()
    return wall, float(out) if out else 0.0


# Dependencies only: the floor under `from fakerancher import FakeRancher, mock_rancher`.
_DEPENDENCIES = "import requests, responses, werkzeug.routing, werkzeug.wrappers"


def bench_import(settings: Settings) -> list[Row]:
    statements = [
        "import fakerancher",
        "from fakerancher import FakeRancher",
        "from fakerancher import FakeRancher, mock_rancher",
        _DEPENDENCIES,
    ]
    for stmt in statements:  # warm the bytecode caches
        _python(_IMPORT_PROBE.format(stmt=stmt))
    startup: list[float] = []
    inner: dict[str, list[float]] = {stmt: [] for stmt in statements}
    walls: dict[str, list[float]] = {stmt: [] for stmt in statements}
    for _ in range(settings.import_rounds):
        startup.append(_python("pass")[0])
        for stmt in statements:
            wall, cost = _python(_IMPORT_PROBE.format(stmt=stmt))
            walls[stmt].append(wall)
            inner[stmt].append(cost)
    baseline = median(startup) * MS
    floor = median(inner[_DEPENDENCIES]) * MS
    rows = []
    for stmt in statements[:-1]:
        value = median(inner[stmt]) * MS
        note = (
            "the import statement timed inside a fresh interpreter (whole process "
            f"{median(walls[stmt]) * MS:.0f} ms); baseline: `python -c pass` wall"
        )
        if "mock_rancher" in stmt:
            note += f"; `{_DEPENDENCIES}` alone takes {floor:.0f} ms"
        rows.append(Row(stmt, value, baseline, "ms", "<= 150 ms", value <= 150, note=note))
    return rows


# -- 2. fixture set-up + tear-down -----------------------------------------------------------
def bench_fixture(settings: Settings) -> list[Row]:
    import responses

    from fakerancher import mock_rancher

    def subject() -> None:
        with mock_rancher():
            pass

    def baseline() -> None:
        with responses.RequestsMock():
            pass

    for _ in range(10):
        subject()
        baseline()
    ours, theirs = interleaved(subject, baseline, settings.fixture_rounds)
    value = median(ours) * MS
    return [
        Row(
            "fixture set-up + tear-down (mock_rancher)",
            value,
            median(theirs) * MS,
            "ms",
            "<= 2 ms",
            value <= 2,
            note="`with mock_rancher(): pass`, fresh FakeRancher each time; "
            "baseline: `with responses.RequestsMock(): pass`",
        )
    ]


# -- 3. live server start + stop -------------------------------------------------------------
def bench_server(settings: Settings) -> list[Row]:
    from werkzeug.serving import make_server

    from fakerancher import FakeRancher
    from fakerancher.server import POLL_INTERVAL

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def subject() -> None:
        fake = FakeRancher()
        fake.serve()
        fake.stop()

    def baseline() -> None:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
        )
        thread.start()
        server.shutdown()
        server.server_close()
        thread.join()

    for _ in range(3):
        subject()
        baseline()
    ours, theirs = interleaved(subject, baseline, settings.server_rounds)
    value = median(ours) * MS
    return [
        Row(
            "live server start + stop",
            value,
            median(theirs) * MS,
            "ms",
            "<= 20 ms",
            value <= 20,
            note="`FakeRancher().serve(); .stop()`; baseline: bare werkzeug threaded "
            f"make_server + serve_forever(poll_interval={POLL_INTERVAL}) thread + shutdown",
        )
    ]


# -- 4. GET by id through requests -----------------------------------------------------------
def _against_bare_responses(
    settings: Settings,
    fake: Any,
    exchange: list[tuple[str, str, Any]],
    measure: str,
    budget: float,
    note: str,
) -> Row:
    """Time `exchange` (method, url, json body) through `mock_rancher` against a bare
    `responses` callback answering each call with the bytes the fake gave, interleaved."""
    import requests
    import responses

    from fakerancher import mock_rancher

    session = requests.Session()
    snapshot = fake.export_state()

    def send(method: str, url: str, body: Any) -> requests.Response:
        return session.request(method, url, json=body)

    with mock_rancher(fake=fake):
        answers = [send(*call) for call in exchange]
    fake.import_state(snapshot)
    for answer in answers:
        answer.raise_for_status()

    def callback_for(answer: requests.Response) -> Callable[[Any], tuple[int, Any, bytes]]:
        headers = {k: v for k, v in answer.headers.items() if k != "Content-Length"}
        return lambda request: (answer.status_code, headers, answer.content)

    writes = any(method != "GET" for method, _, _ in exchange)

    def run(count: int, samples: list[float]) -> None:
        for _ in range(count):
            start = time.perf_counter()
            for (method, url, body), answer in zip(exchange, answers, strict=True):
                got = send(method, url, body)
                if got.status_code != answer.status_code:
                    raise AssertionError(f"{method} {url}: {got.status_code} {got.text[:200]}")
            samples.append(time.perf_counter() - start)
            if writes:
                # Untimed, so that every round creates into the same store; and on both
                # sides, as the restore touches memory enough to leave the next round's
                # caches colder: done after the subject's rounds alone, the baseline's
                # requests would run warmer than the subject's.
                fake.import_state(snapshot)

    ours: list[float] = []
    theirs: list[float] = []

    def subject(count: int) -> None:
        with mock_rancher(fake=fake):
            run(count, ours)

    def baseline(count: int) -> None:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
            for (method, url, _), answer in zip(exchange, answers, strict=True):
                mocked.add_callback(method, url, callback=callback_for(answer))
            run(count, theirs)

    subject(20)
    baseline(20)
    ours.clear()
    theirs.clear()
    interleaved(
        lambda: subject(settings.get_per_round),
        lambda: baseline(settings.get_per_round),
        settings.get_rounds,
    )
    value = median(ours) * MS
    base = median(theirs) * MS
    return Row(
        measure,
        value,
        base,
        "ms",
        f"<= {budget:g} x baseline",
        value <= budget * base,
        note=f"{len(ours)} rounds each, one session, interleaved; {note}",
    )


def bench_get(settings: Settings) -> list[Row]:
    from fakerancher import FakeRancher

    fake = FakeRancher()
    registry = fake.create("registry", serverAddress="quay.io")["id"]
    for i in range(100):
        credential = fake.create(
            "registryCredential",
            registryId=registry,
            email="ci@example.com",
            publicValue=f"robot{i}",
            secretValue="hunter2",
        )["id"]
    api = f"{fake.url}/v1"
    by_id = f"{api}/registrycredentials/{credential}"
    return [
        _against_bare_responses(
            settings,
            fake,
            [("GET", by_id, None)],
            "GET by id via requests + mock_rancher",
            1.3,
            "baseline: bare responses callback returning the same bytes",
        ),
        _against_bare_responses(
            settings,
            fake,
            [("GET", f"{api}/registrycredentials?limit=100", None)],
            "page of 100 via requests + mock_rancher",
            2.5,
            "GET ?limit=100; baseline: bare responses callback returning the same bytes",
        ),
        _against_bare_responses(
            settings,
            fake,
            [
                ("POST", f"{api}/registries", {"serverAddress": "new.io"}),
                ("GET", f"{api}/registries/1sp2", None),
            ],
            "create + get via requests + mock_rancher",
            1.3,
            "POST then GET of the new registry, the store restored (untimed) after each "
            "pair on both sides; baseline: callbacks with the same bytes",
        ),
    ]


def bench_versions(settings: Settings) -> list[Row]:
    """The same requests on `/v2-beta` and on `/v1`, interleaved: a version is an overlay."""
    from werkzeug.test import Client

    from fakerancher import FakeRancher

    fake = FakeRancher()
    registry = fake.create("registry", serverAddress="quay.io")["id"]
    for i in range(100):
        fake.create("registryCredential", registryId=registry, email="a@b.c", publicValue=f"r{i}")
    client = Client(fake.wsgi_app)

    def exchange(version: str) -> Callable[[], None]:
        paths = (
            f"/{version}/registries/{registry}",
            f"/{version}/registrycredentials?limit=100&sort=publicValue",
            f"/{version}/projects/1a5",
        )

        def run() -> None:
            for _ in range(settings.get_per_round):
                for path in paths:
                    if client.get(path).status_code != 200:
                        raise AssertionError(path)

        return run

    exchange("v2-beta")()
    exchange("v1")()
    ours, theirs = interleaved(exchange("v2-beta"), exchange("v1"), settings.get_rounds)
    value = median(ours) * MS
    base = median(theirs) * MS
    return [
        Row(
            "/v2-beta requests against /v1",
            value,
            base,
            "ms",
            "<= 1.1 x baseline",
            value <= 1.1 * base,
            note=f"{settings.get_per_round} x (GET by id, a page of 100, a project) per round "
            "through werkzeug.test.Client; baseline: the same on /v1",
        )
    ]


def bench_request_line(settings: Settings) -> list[Row]:
    """A 64 KiB request line (refused with 414) against a short one, on the live server."""
    import requests

    from fakerancher import FakeRancher

    with FakeRancher().serve() as server:
        session = requests.Session()
        short = f"{server.url}/v1/registries?name=x"
        long = f"{server.url}/v1/registries?secretValue=" + "s" * (64 * 1024)

        def hit(url: str, status: int) -> Callable[[], None]:
            def go() -> None:
                got = session.get(url).status_code
                if got != status:
                    raise AssertionError(f"{url[:60]}: {got}")

            return go

        hit(long, 414)()
        ours, theirs = interleaved(hit(long, 414), hit(short, 200), settings.server_rounds)
    value = median(ours) * MS
    base = median(theirs) * MS
    return [
        Row(
            "64 KiB request line, live server",
            value,
            base,
            "ms",
            "<= 20 x baseline",
            value <= 20 * base,
            note="GET with a 64 KiB query (414, logged masked); baseline: the same GET, short",
        )
    ]


# -- 5. list of 10,000 with filter, sort, limit ----------------------------------------------
def bench_list(settings: Settings) -> list[Row]:
    from werkzeug.test import Client

    from fakerancher import FakeRancher

    fake = FakeRancher()
    registries = [fake.create("registry", serverAddress=f"r{i}.io")["id"] for i in range(2)]
    rng = random.Random(42)
    plain: list[dict[str, Any]] = []
    for i in range(settings.list_records):
        fields = {
            "registryId": registries[i % 2],
            "email": f"user{i}@example.com",
            "publicValue": f"Robot-{rng.randrange(10**8):08d}",
            "secretValue": f"secret-{i}",
        }
        doc = fake.create("registryCredential", **fields)
        plain.append({**doc, **fields})
    client = Client(fake.wsgi_app)
    wanted = registries[0]
    path = f"/v1/registrycredentials?registryId={wanted}&sort=publicValue&limit=100"

    def subject() -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise AssertionError(f"{path}: {response.status_code}")
        data = json.loads(response.get_data())["data"]
        if len(data) != 100:
            raise AssertionError(f"{path}: {len(data)} records, not 100")

    def baseline() -> None:
        matching = [d for d in plain if d["registryId"] == wanted]
        page = sorted(matching, key=lambda d: (d["publicValue"].lower(), d["id"]))[:100]
        if len(page) != 100:
            raise AssertionError("baseline page is short")

    subject()
    baseline()
    ours, theirs = interleaved(subject, baseline, settings.list_rounds)
    value = median(ours) * MS
    return [
        Row(
            f"list {settings.list_records:,} (filter, sort, limit 100)",
            value,
            median(theirs) * MS,
            "ms",
            "<= 20 ms",
            value <= 20,
            note=f"GET {path.split('?')[0]}?registryId=..&sort=publicValue&limit=100 through "
            "werkzeug.test.Client (half match), JSON decoded; baseline: plain Python "
            "filter + sort + slice of the same 10k dicts",
        )
    ]


# -- 6. memory per stored credential ---------------------------------------------------------
def _traced(build: Callable[[], object]) -> tuple[int, object]:
    """Bytes still allocated after `build()` (kept alive by its result), by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, kept


def bench_memory(settings: Settings) -> list[Row]:
    from fakerancher import FakeRancher

    count = settings.memory_records
    fake = FakeRancher()
    registry = fake.create("registry", serverAddress="quay.io")["id"]
    # One credential first, so one-off costs (caches, sequences) are not charged to N.
    fake.create("registryCredential", registryId=registry, email="e", publicValue="p")

    def fields(i: int) -> dict[str, Any]:
        return {
            "registryId": registry,
            "email": f"user{i}@example.com",
            "publicValue": f"robot-{i:08d}",
            "secretValue": f"secret-value-{i:08d}",
        }

    def create_all() -> None:
        for i in range(count):
            fake.create("registryCredential", **fields(i))

    def plain_all() -> list[dict[str, Any]]:
        return [{"id": f"1c{i + 2}", **fields(i)} for i in range(count)]

    ours, _ = _traced(create_all)
    theirs, kept = _traced(plain_all)
    del kept
    stored = len(fake.list("registryCredential"))
    if stored != count + 1:
        raise AssertionError(f"{stored} credentials stored, expected {count + 1}")
    value = ours / count
    return [
        Row(
            "memory per stored credential",
            value,
            theirs / count,
            "B",
            "<= 2 KB",
            value <= 2048,
            note=f"tracemalloc around fake.create() x {count}; baseline: a plain dict of the "
            "same field values plus an id string",
        )
    ]


# -- 7. concurrent creates against the live server -------------------------------------------
def _hammer(
    threads: int, per_thread: int, request: Callable[[Any, int, int], Any]
) -> tuple[float, list[Any], list[str]]:
    """Run `request(session, thread, i)` per_thread times in each of `threads` threads."""
    import requests

    barrier = threading.Barrier(threads + 1)
    results: list[Any] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        with requests.Session() as session:
            barrier.wait()
            for i in range(per_thread):
                try:
                    result = request(session, number, i)
                except Exception as error:  # every failure is counted
                    with lock:
                        errors.append(f"{type(error).__name__}: {error}")
                    continue
                with lock:
                    results.append(result)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in workers:
        thread.join()
    return time.perf_counter() - start, results, errors


def bench_concurrency(settings: Settings) -> list[Row]:
    from fakerancher import FakeRancher

    threads, per_thread = settings.threads, settings.creates_per_thread
    total = threads * per_thread
    fake = FakeRancher()
    server = fake.serve()
    try:
        registry = fake.create("registry", serverAddress="quay.io")["id"]
        base = fake.url

        def create(session: Any, thread: int, i: int) -> str:
            response = session.post(
                f"{base}/v1/registrycredentials",
                json={
                    "registryId": registry,
                    "email": f"t{thread}-{i}@example.com",
                    "publicValue": f"robot-{thread}-{i}",
                    "secretValue": "hunter2",
                },
            )
            if response.status_code != 201:
                raise AssertionError(f"POST {response.status_code}: {response.text[:200]}")
            return str(response.json()["id"])

        def version(session: Any, thread: int, i: int) -> int:
            response = session.get(f"{base}/v1")
            if response.status_code != 200:
                raise AssertionError(f"GET /v1 {response.status_code}")
            return len(response.content)

        get_time, _, get_errors = _hammer(threads, per_thread, version)
        create_time, ids, errors = _hammer(threads, per_thread, create)
        stored = {doc["id"] for doc in fake.list("registryCredential")}
    finally:
        server.stop()
    unique = len(set(ids))
    ok = not errors and not get_errors and len(ids) == total == unique and len(stored) == total
    note = (
        f"{threads} threads x {per_thread} POST /v1/registrycredentials, one session each: "
        f"{len(stored)} stored, {unique} unique ids, {len(errors)} errors in "
        f"{create_time:.2f} s; baseline: the same threads doing GET /v1 "
        f"({len(get_errors)} errors in {get_time:.2f} s)"
    )
    if errors or get_errors:
        note += f"; first error: {(errors or get_errors)[0]}"
    return [
        Row(
            f"{threads} threads x {per_thread} creates, live server",
            create_time / total * MS,
            get_time / total * MS,
            "ms",
            f"{total:,} records, unique, 0 err",
            ok,
            note=note,
            value_text=f"{total / create_time:,.0f} req/s ({create_time:.2f} s)",
            baseline_text=f"{total / get_time:,.0f} req/s ({get_time:.2f} s)",
        )
    ]


# -- 8. a collection as the API browser's page -----------------------------------------------
_BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0",
    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
}


def bench_html(settings: Settings) -> list[Row]:
    from werkzeug.test import Client

    from fakerancher import FakeRancher

    fake = FakeRancher()
    registry = fake.create("registry", serverAddress="quay.io")["id"]
    for i in range(100):
        fake.create(
            "registryCredential",
            registryId=registry,
            email=f"user{i}@example.com",
            name=f"credential {i}",
            publicValue=f"robot-{i}",
            secretValue="hunter2",
        )
    client = Client(fake.wsgi_app)
    path = "/v1/registrycredentials?limit=100"

    def subject() -> None:
        response = client.get(path, headers=_BROWSER)
        if response.mimetype != "text/html" or response.get_data().count(b"<tr data-id=") != 100:
            raise AssertionError(f"{path}: not a page of 100 rows ({response.status_code})")

    def baseline() -> None:
        response = client.get(path)
        if len(json.loads(response.get_data())["data"]) != 100:
            raise AssertionError(f"{path}: not 100 records")

    subject()
    baseline()
    ours, theirs = interleaved(subject, baseline, settings.html_rounds)
    value = median(ours) * MS
    return [
        Row(
            "collection of 100 as HTML",
            value,
            median(theirs) * MS,
            "ms",
            "<= 50 ms",
            value <= 50,
            note=f"GET {path} as a browser (the API browser's page, rendered server-side) "
            "through werkzeug.test.Client; baseline: the JSON answer to the same request",
        )
    ]


# -- the report ------------------------------------------------------------------------------
BENCHES: dict[str, tuple[str, Callable[[Settings], list[Row]]]] = {
    "import": ("import fakerancher", bench_import),
    "fixture": ("fixture set-up + tear-down (mock_rancher)", bench_fixture),
    "server": ("live server start + stop", bench_server),
    "get": ("GET by id via requests + mock_rancher", bench_get),
    "request-line": ("64 KiB request line, live server", bench_request_line),
    "versions": ("/v2-beta requests against /v1", bench_versions),
    "list": ("list (filter, sort, limit 100)", bench_list),
    "memory": ("memory per stored credential", bench_memory),
    "threads": ("threads x creates, live server", bench_concurrency),
    "html": ("collection of 100 as HTML", bench_html),
}


def table(rows: list[Row]) -> str:
    header = ("measure", "value", "baseline", "ratio", "budget", "result")
    lines: list[tuple[str, ...]] = [header]
    for row in rows:
        ratio = row.ratio
        result = "ERROR" if row.error else "-" if row.ok is None else "ok" if row.ok else "OVER"
        lines.append(
            (
                row.measure,
                row.value_text or fmt(row.value, row.unit),
                row.baseline_text or fmt(row.baseline, row.unit),
                "-" if ratio is None else f"{ratio:.2f}x",
                row.budget,
                result,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {1, 2, 3}

    def render(line: tuple[str, ...]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    out = [render(lines[0]), "  ".join("-" * w for w in widths)]
    out += [render(line) for line in lines[1:]]
    notes = [f"  {row.measure}: {row.note}" for row in rows if row.note]
    return "\n".join([*out, "", "notes:", *notes])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a measure is over its budget"
    )
    parser.add_argument(
        "--only",
        metavar="NAME[,NAME]",
        help=f"run only these measures: {', '.join(BENCHES)}",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    names = list(BENCHES)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in BENCHES]
        if unknown:
            parser.error(f"unknown measure(s) {', '.join(unknown)}; known: {', '.join(BENCHES)}")
    rows: list[Row] = []
    started = time.perf_counter()
    for name in names:
        label, bench = BENCHES[name]
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(bench(settings))
        except Exception:  # reported as an ERROR row, then exit 2
            traceback.print_exc()
            rows.append(Row(label, None, None, "", "-", None, error=True, note="errored"))
    mode = "quick" if args.quick else "full"
    print(
        f"fakerancher benchmarks ({mode} run, {time.perf_counter() - started:.1f} s, "
        f"Python {sys.version.split()[0]})\n"
    )
    print(table(rows))
    if any(row.error for row in rows):
        return 2
    if args.check and any(row.ok is False for row in rows):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
