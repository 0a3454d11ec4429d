"""Installed with pip, everything the README runs runs: the wheel, built from this tree and
installed with `[examples]` into a fresh venv without the dev dependencies, runs every example
offline (on the recorded sessions; no ROE_API_KEY).

The packages come from uv's cache when it holds them (`--offline` first), else from the package
registry, pinned to `uv.lock`'s versions. About half a minute on a warm cache; marker `wheel`
(`-m "not wheel"` leaves it out; `make test` runs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
#: Needs the `ray` extra besides `[examples]`, and starts a local Ray: tested in test_examples.py.
NEEDS_RAY = {"ray_ingest"}

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(900)]

#: Runs each example as `python -m examples.NAME` would, in one interpreter (one start-up, not one
#: per example), and says which failed and why.
RUNNER = """
import runpy, sys, traceback
import langchain_roe
print("PACKAGE", langchain_roe.__file__)
failed = []
for name in sys.argv[1:]:
    try:
        runpy.run_module(f"examples.{name}", run_name="__main__", alter_sys=True)
    except BaseException:
        failed.append(name)
        print(f"FAILED {name}:\\n{traceback.format_exc()}", file=sys.stderr)
print("FAILED", " ".join(failed) or "none")
"""


def uv() -> str:
    found = ROOT / ".tools" / "bin" / "uv"
    if found.is_file():
        return str(found)
    on_path = shutil.which("uv")
    if on_path is None:
        pytest.skip("needs uv (make install puts it in .tools/bin)")
    return on_path


def uv_run(*args: str, cwd: Path, registry: bool = False) -> None:
    """Run uv: offline (from its cache) first, then, if something is not cached, the registry."""
    for offline in [True, False] if registry else [True]:
        done = subprocess.run(
            [uv(), *args, *(["--offline"] if offline else [])],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))},
                "UV_PYTHON_DOWNLOADS": "never",  # this interpreter, never one fetched
            },
            check=False,
        )
        if done.returncode == 0:
            return
    raise AssertionError(f"uv {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def examples() -> list[str]:
    names = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))
    return [name for name in names if name not in NEEDS_RAY]


def test_the_wheel_with_the_examples_extra_runs_every_example_offline(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    uv_run("build", "--wheel", "--out-dir", str(dist), "-q", cwd=ROOT, registry=True)
    [wheel] = dist.glob("langchain_roe-*.whl")
    # The lock's versions as constraints (what the cache holds); what is installed is only what
    # the wheel's own metadata asks for.
    pins = tmp_path / "constraints.txt"
    uv_run(
        "export", "--frozen", "--no-dev", "--all-extras", "--no-hashes",
        "--no-emit-project", "-q", "-o", str(pins), cwd=ROOT,
    )  # fmt: skip
    venv = tmp_path / "venv"
    uv_run("venv", "-q", "--python", sys.executable, str(venv), cwd=tmp_path)
    python = venv / "bin" / "python"
    uv_run(
        "pip", "install", "-q", "--python", str(python), "-c", str(pins), f"{wheel}[examples]",
        cwd=tmp_path, registry=True,
    )  # fmt: skip

    where = tmp_path / "user"  # a user's directory: the examples, not this tree's package
    shutil.copytree(EXAMPLES, where / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROE_", "PYTHON", "VIRTUAL"))}
    names = examples()
    done = subprocess.run(
        [str(python), "-c", RUNNER, *names],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    package = next(line for line in lines if line.startswith("PACKAGE "))
    assert str(venv) in package  # the installed wheel ran, not the source tree
    assert lines[-1] == "FAILED none", done.stderr[-5000:]
    assert len(names) >= 8

    dev = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('pytest'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert dev.stdout.strip() == "None"  # no dev dependency came along
