"""`benchmarks/run.py --quick` runs end to end and reports every measure.

Only that it runs: no timing is asserted here (machines are noisy; `make bench` reports).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURES = (
    "import fakerancher",
    "from fakerancher import FakeRancher",
    "from fakerancher import FakeRancher, mock_rancher",
    "fixture set-up + tear-down (mock_rancher)",
    "live server start + stop",
    "GET by id via requests + mock_rancher",
    "page of 100 via requests + mock_rancher",
    "create + get via requests + mock_rancher",
    "64 KiB request line, live server",
    "/v2-beta requests against /v1",
    "list 10,000 (filter, sort, limit 100)",
    "memory per stored credential",
    "8 threads x 50 creates, live server",
    "collection of 100 as HTML",
)


def test_quick_run_reports_every_measure() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for measure in MEASURES:
        row = [line for line in lines if line.startswith(f"{measure}  ")]
        assert len(row) == 1, f"no row for {measure!r} in:\n{done.stdout}"
        assert row[0].split()[-1] in ("ok", "OVER"), row[0]
    assert "notes:" in done.stdout
