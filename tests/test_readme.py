"""Every code block in README.md runs, so the documentation cannot rot."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fakerancher import FakeRancher

ROOT = Path(__file__).resolve().parent.parent
# A downstream project's pytest: our own test tools' plugins (schemathesis, hypothesis) are no
# part of it, and slow every run down.
PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
PYTEST += ["-p", "no:schemathesis", "-p", "no:hypothesispytest"]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", README, re.S | re.M)
DOCUMENTED_URL = "http://127.0.0.1:8080"


def blocks(language: str) -> list[str]:
    return [code for lang, code in BLOCKS if lang == language]


def test_readme_has_runnable_blocks() -> None:
    assert blocks("python") and blocks("shell") and blocks("console")
    assert {lang for lang, _ in BLOCKS} <= {"python", "shell", "console"}


def user_env() -> dict[str, str]:
    """The environment of a user whose PATH has this interpreter's `fakerancher`, `python3`."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.parametrize("code", [c for c in blocks("python") if "def test_" not in c])
def test_python_block_runs(code: str) -> None:
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})


@pytest.mark.parametrize("code", [c for c in blocks("python") if "def test_" in c])
def test_pytest_block_passes_as_a_downstream_test_module(code: str, tmp_path: Path) -> None:
    (tmp_path / "test_readme_block.py").write_text(code, encoding="utf-8")
    result = subprocess.run(
        [*PYTEST, "-q", "-p", "no:xdist"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=user_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout


def run_in_own_group(script: str, cwd: Path, timeout: float) -> tuple[int, str, str]:
    """Run a bash script in a process group of its own, and kill the whole group when it
    ends, passes or not: a server it started in the background never outlives the test."""
    with subprocess.Popen(
        ["bash", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=user_env(),
        start_new_session=True,
    ) as shell:
        try:
            out, err = shell.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(shell.pid, signal.SIGKILL)
            out, err = shell.communicate()
            return -1, out, f"timed out after {timeout} s\n{err}"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGKILL)
    return shell.returncode, out, err


def expected_output(code: str) -> list[str] | None:
    """The `# → ...` lines of a block: what its commands print, in order (None: unchecked)."""
    shown = [line[len("# → ") :] for line in code.splitlines() if line.startswith("# → ")]
    return shown or None


@pytest.mark.parametrize("code", blocks("shell"))
def test_shell_block_runs_against_a_live_server(code: str, tmp_path: Path) -> None:
    if "curl" in code and shutil.which("curl") is None:
        pytest.fail("README's shell blocks need curl on PATH (make test checks for it)")
    expected = expected_output(code)
    with FakeRancher().serve() as server:
        script = "set -euo pipefail\n" + code.replace(DOCUMENTED_URL, server.url)
        # A block that shows its output runs twice: it must not depend on what ran before.
        for _ in range(1 if expected is None else 2):
            status, out, err = run_in_own_group(script, tmp_path, timeout=60)
            assert status == 0, err + out
            assert "error" not in err.lower()
            if expected is not None:
                shown = [line.replace(DOCUMENTED_URL, server.url) for line in expected]
                assert out.splitlines() == shown


@pytest.mark.parametrize("code", blocks("console"))
def test_console_block_names_real_make_targets(code: str) -> None:
    for line in code.splitlines():
        command = line.split("#")[0].split()
        if command[:1] == ["make"]:
            dry_run = subprocess.run(
                ["make", "-n", *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False
            )
            assert dry_run.returncode == 0, dry_run.stderr
        elif command[:1] == ["fakerancher"]:
            # The documented options parse (argparse stops at --help before serving).
            parsed = subprocess.run(
                [sys.executable, "-m", "fakerancher", *command[1:], "--help"],
                capture_output=True,
                text=True,
                check=False,
            )
            assert parsed.returncode == 0, parsed.stderr
