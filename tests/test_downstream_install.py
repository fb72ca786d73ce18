"""A project that only runs `pip install fakerancher` gets working fixtures.

A fresh virtualenv (nothing from ours), `pip install <this repo> pytest` into it, and a test
module with no conftest that uses `fake_rancher` and `fake_rancher_server`: the pytest11 entry
point, the package data and the runtime dependencies must all be right for it to pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from fakerancher import __version__

ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if sys.platform == "win32" else "bin"

# Not part of a source distribution: copying them would only slow the build down.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "*.egg-info", "build", "dist", "__pycache__", ".*_cache"
)

DOWNSTREAM_TEST = """\
import json
import urllib.request

import fakerancher
import requests


def test_x(fake_rancher):
    # The package came from the installed wheel, not from a source tree on sys.path.
    assert "site-packages" in fakerancher.__file__
    response = requests.post(
        f"{fake_rancher.url}/v1/registries", json={"serverAddress": "quay.io"}, timeout=5
    )
    assert response.status_code == 201, response.text
    assert fake_rancher.get("registry", response.json()["id"])["state"] == "active"


def test_server(fake_rancher_server):
    with urllib.request.urlopen(f"{fake_rancher_server.url}/v1/schemas", timeout=5) as response:
        assert response.headers["X-API-Schemas"] == f"{fake_rancher_server.url}/v1/schemas"
        ids = {schema["id"] for schema in json.load(response)["data"]}
    assert {"registry", "registryCredential", "registrationToken"} <= ids
    # The API browser's page: its script and style are package data of the wheel.
    with urllib.request.urlopen(f"{fake_rancher_server.url}/v1?_format=html", timeout=5) as page:
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        text = page.read().decode()
        assert ".badge" in text and "use strict" in text
"""


def run(command: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "PYTHON", "VIRTUAL_ENV", "PIP_"))
    }
    return subprocess.run(
        command,
        cwd=cwd,
        env={**env, "PIP_NO_INPUT": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def downstream_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with `pip install fakerancher pytest` and nothing else; one per session."""
    base = tmp_path_factory.mktemp("downstream")
    # pip builds a local directory in place, leaving build/ behind: build a copy instead, so
    # the checkout stays untouched and no stale build/lib of an earlier run can leak in.
    source = base / "fakerancher-src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / BIN / "python"
    install = run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(source),
            "pytest",
        ],
        cwd=base,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return env_dir


def test_pip_installed_plugin_works_without_conftest(downstream_venv: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_uses_fakerancher.py").write_text(DOWNSTREAM_TEST, encoding="utf-8")
    (project / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")

    python = str(downstream_venv / BIN / "python")
    result = run([python, "-m", "pytest", "-p", "no:cacheprovider", "-rA"], project, 300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in output, output
    assert f"fakerancher-{__version__}" in output, output  # "plugins: ..." names the entry point

    # The console script is installed too.
    cli = run([str(downstream_venv / BIN / "fakerancher"), "serve", "--help"], project, 60)
    assert cli.returncode == 0 and "--transition-delay" in cli.stdout, cli.stderr
