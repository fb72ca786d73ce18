"""What a downstream repo gets from installing fakerancher, as it would get it.

`python -m build` makes the sdist and, from it, the wheel (so the sdist must be complete);
`twine check --strict` passes both; the wheel goes into a fresh virtualenv (nothing from ours)
with `pytest`, and then: the version, the metadata and the entry points are right, the
`fakerancher` command runs, and a test module with no conftest gets the `fake_rancher` and
`fake_rancher_server` fixtures. One build and one virtualenv serve every test here: the
module is one xdist group (`make test` passes `--dist loadgroup`), so they are made once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

from fakerancher import __version__

pytestmark = pytest.mark.xdist_group("downstream-install")

ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if sys.platform == "win32" else "bin"

# Not source: copying them would only slow the build down (a stand-in .venv is planted instead).
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

# Run by the fresh virtualenv's python: what `importlib.metadata` says about the install.
PROBE = """\
import importlib.metadata as md
import json
from pathlib import Path

import fakerancher

dist = md.distribution("fakerancher")
print(json.dumps({
    "__version__": fakerancher.__version__,
    "version": dist.version,
    "location": fakerancher.__file__,
    "py.typed": (Path(fakerancher.__file__).parent / "py.typed").is_file(),
    "requires": dist.requires or [],
    "extras": dist.metadata.get_all("Provides-Extra") or [],
    "license": dist.metadata["License-Expression"],
    "license files": [str(f) for f in dist.files or [] if f.name == "LICENSE"],
    "entry points": sorted(f"{ep.group}: {ep.name} = {ep.value}" for ep in dist.entry_points),
}))
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


@dataclass(frozen=True)
class Dists:
    sdist: Path
    wheel: Path


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """`python -m build` of a copy of this checkout: an sdist, and a wheel built from it."""
    base = tmp_path_factory.mktemp("build")
    # Building writes fakerancher.egg-info/ into the source: build a copy, so the checkout
    # stays untouched. The copy gets what a developer's checkout has and a release must not.
    source = base / "fakerancher-src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    (source / ".venv").mkdir()
    (source / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (source / "fakerancher" / "__pycache__").mkdir()
    (source / "fakerancher" / "__pycache__" / "fake.cpython-311.pyc").write_bytes(b"\0")
    out = base / "dist"
    built = run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], base, 600)
    assert built.returncode == 0, built.stdout + built.stderr
    return Dists(
        sdist=out / f"fakerancher-{__version__}.tar.gz",
        wheel=out / f"fakerancher-{__version__}-py3-none-any.whl",
    )


@pytest.fixture(scope="module")
def downstream_venv(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with `pip install <the wheel> pytest` and nothing else."""
    base = tmp_path_factory.mktemp("downstream")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = str(env_dir / BIN / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    install = run([*pip, str(dists.wheel), "pytest"], base, 600)
    assert install.returncode == 0, install.stdout + install.stderr
    return env_dir


def test_build_makes_an_sdist_and_a_wheel_that_twine_check_passes(dists: Dists) -> None:
    assert {path.name for path in dists.wheel.parent.iterdir()} == {
        dists.sdist.name,
        dists.wheel.name,
    }
    check = run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dists.sdist), str(dists.wheel)],
        dists.wheel.parent,
        120,
    )
    output = check.stdout + check.stderr
    assert check.returncode == 0, output
    assert output.count("PASSED") == 2, output


def test_sdist_is_the_source_release(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as sdist:
        names = {PurePosixPath(name) for name in sdist.getnames()}
    top = PurePosixPath(f"fakerancher-{__version__}")
    assert {path.parts[0] for path in names} == {top.name}
    files = {path.relative_to(top).as_posix() for path in names if path != top}
    assert {
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "pyproject.toml",
        "PKG-INFO",
        "fakerancher/__init__.py",
        "fakerancher/py.typed",
        # What the README links to, and the suite that checks it.
        "docs/fidelity.md",
        "examples/notebook.ipynb",
        "tests/test_downstream_install.py",
    } <= files
    leaked = [
        name
        for name in files
        if {".venv", ".git", "__pycache__"} & set(name.split("/")) or name.endswith(".pyc")
    ]
    assert leaked == []


def test_wheel_holds_the_package_and_its_license_only(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as wheel:
        names = set(wheel.namelist())
    info = f"fakerancher-{__version__}.dist-info"
    assert {"fakerancher/__init__.py", "fakerancher/py.typed", f"{info}/licenses/LICENSE"} <= names
    assert {name.split("/")[0] for name in names} == {"fakerancher", info}
    assert not [name for name in names if name.endswith(".pyc")]


def test_installed_wheel_has_one_version_runtime_deps_and_entry_points(
    downstream_venv: Path, tmp_path: Path
) -> None:
    probe = run([str(downstream_venv / BIN / "python"), "-c", PROBE], tmp_path, 60)
    assert probe.returncode == 0, probe.stderr
    installed = json.loads(probe.stdout)
    assert installed["__version__"] == installed["version"] == __version__
    assert "site-packages" in installed["location"] and installed["py.typed"]
    # Only what the fake needs at run time: no extras, none of the developer tools.
    requires = {re.split(r"[^A-Za-z0-9._-]", req, maxsplit=1)[0] for req in installed["requires"]}
    assert requires == {"werkzeug", "responses", "requests"}
    assert installed["extras"] == []
    assert installed["license"] == "Apache-2.0" and installed["license files"]
    assert installed["entry points"] == [
        "console_scripts: fakerancher = fakerancher.cli:main",
        "pytest11: fakerancher = fakerancher.plugin",
    ]


def test_installed_fakerancher_command_runs(downstream_venv: Path, tmp_path: Path) -> None:
    command = str(downstream_venv / BIN / "fakerancher")
    usage = run([command, "--help"], tmp_path, 60)
    assert usage.returncode == 0, usage.stderr
    assert usage.stdout.startswith("usage: fakerancher") and "serve" in usage.stdout
    serve = run([command, "serve", "--help"], tmp_path, 60)
    assert serve.returncode == 0 and "--transition-delay" in serve.stdout, serve.stderr
    if "--version" in usage.stdout:
        version = run([command, "--version"], tmp_path, 60)
        assert version.returncode == 0, version.stderr
        assert __version__ in version.stdout, version.stdout


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
