"""The examples in examples/ run as a user would run them, so they cannot rot.

- `test_downstream.py` under pytest in a subprocess, copied into an empty project: only the
  plugin's fixtures are there (no conftest, no import from tests/).
- `curl_session.sh` under bash, with `PYTHON` set to this interpreter.
- `notebook.ipynb` through a Jupyter kernel of this interpreter (nbclient).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A downstream project's pytest: our own test tools' plugins (schemathesis, hypothesis) are no
# part of it, and slow every run down.
PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
PYTEST += ["-p", "no:schemathesis", "-p", "no:hypothesispytest"]
EXAMPLES = ROOT / "examples"


def clean_env() -> dict[str, str]:
    """This process's environment without what the outer pytest (or xdist) put there."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}


def test_downstream_example_passes_with_only_the_plugin(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "test_downstream.py", tmp_path)
    # A strict project of its own: its pytest.ini stops the search for ours, and every
    # warning is an error there as it is here.
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")
    result = subprocess.run(
        [*PYTEST, "-rs", "test_downstream.py"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Every test ran: the cattle one is skipped when cattle is missing, which must not happen.
    assert "4 passed" in output and "skipped" not in output, output
    # Our pyproject.toml and tests/conftest.py played no part.
    assert f"rootdir: {tmp_path}" in output and "configfile: pytest.ini" in output, output


def test_curl_session(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.fail("curl_session.sh needs curl on PATH")
    result = subprocess.run(
        ["bash", str(EXAMPLES / "curl_session.sh")],
        cwd=tmp_path,
        env={**clean_env(), "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "FAIL" not in output and output.rstrip().endswith("all checks passed"), output


# jupyter_client and nbclient run the kernel through asyncio and zmq; depending on versions
# they emit deprecation notices about their own internals (event loops, platformdirs), which
# say nothing about the notebook. Only those categories, and only for this test.


def test_notebook_runs_clean(tmp_path: Path) -> None:
    import nbformat
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell

    # nbformat's functions carry no annotations (mypy --strict: no-untyped-call).
    notebook = nbformat.read(EXAMPLES / "notebook.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the notebook has no code cell"
    # Committed without outputs, so diffs stay readable and nothing stale is shown.
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert notebook.metadata.kernelspec.name == "python3"

    # Run it on this interpreter (the venv with fakerancher), whatever "python3" kernels the
    # machine or the user's ~/.local/share/jupyter define: a kernelspec of our own, built
    # from sys.executable, found by a spec manager that looks nowhere else.
    kernels = tmp_path / "kernels"
    write_kernel_spec(kernels / "this-python")
    specs = KernelSpecManager(kernel_dirs=[str(kernels)])
    kernel = AsyncKernelManager(kernel_name="this-python", kernel_spec_manager=specs)
    check = new_code_cell("import sys\nprint(sys.executable)")  # type: ignore[no-untyped-call]
    notebook.cells.append(check)
    client = NotebookClient(
        notebook, km=kernel, timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    )
    # Raises CellExecutionError, with the traceback, if any cell fails. cleanup_kc: the kernel
    # is ours, so nbclient shuts it down and closes its channels (it would not by default).
    client.execute(cleanup_kc=True)

    for cell in code:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, errors
    assert notebook.cells[-1].outputs[0]["text"].strip() == sys.executable
    # The table cell displayed the fake as HTML (its _repr_html_).
    assert any(
        "text/html" in o.get("data", {}) and "registryCredential" in o["data"]["text/html"]
        for cell in code
        for o in cell.outputs
    )
