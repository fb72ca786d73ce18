"""schemathesis fuzzes the live server from its own `/v1/openapi.json`: no answer is a 5xx,
and every answer conforms to the document (status, content type, headers, body schema).

Bounded: a fixed seed, a fixed number of examples per operation, no shrinking, and a timeout
on each request and on the whole run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from fakerancher import FakeRancher

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


def test_the_api_conforms_to_its_openapi_document(tmp_path: Path) -> None:
    fake = FakeRancher(seed=11)
    registry = fake.create("registry", serverAddress="quay.io", name="Quay")
    fake.create("registryCredential", registryId=registry["id"], email="ci@example.com")
    fake.create("registrationToken")
    with fake.serve() as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{server.url}/v1/openapi.json",
                "--checks",
                ",".join(CHECKS),
                "--phases",
                "examples,fuzzing",
                "--max-examples",
                "5",
                "--seed",
                "42",
                "--generation-database",
                "none",
                "--no-shrink",
                "--workers",
                "1",
                "--request-timeout",
                "5",
                "--no-color",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    counts = re.search(r"(\d+) generated, (\d+) passed$", output, re.MULTILINE)
    assert counts is not None and counts[1] == counts[2], output
    # It did reach the API: every operation, many requests, and no 5xx among them.
    assert len(fake.calls) > 300, output
    assert not [c for c in fake.calls if c.status >= 500]
