"""Layer 2: the unit tests again, inside Pyodide 314 (Python 3.14, wasm) under Node.

Runs ``tests/unit`` in one Node process against the built ``dist/`` and fails
here when anything fails there, naming the failing tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
RUNNER = Path(__file__).with_name("run_in_pyodide.mjs")
MARKER = "EVOMACHINE_PYODIDE_RESULT "

pytestmark = pytest.mark.pyodide


def run_in_pyodide(*pytest_args: str, timeout: float = 900) -> dict:
    if shutil.which("node") is None:
        pytest.fail("node is not installed: the Pyodide layer needs Node.js 20+")
    if not (DIST / "manifest.json").exists():
        pytest.fail("dist/ is missing: run 'python3 build.py' first")
    completed = subprocess.run(
        ["node", str(RUNNER), str(DIST), str(ROOT), *pytest_args],
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise AssertionError(
            f"Pyodide runner gave no result (exit {completed.returncode}).\n"
            f"stdout tail:\n{completed.stdout[-4000:]}\nstderr tail:\n{completed.stderr[-4000:]}"
        )
    result = json.loads(lines[-1][len(MARKER):])
    result["output"] = completed.stdout
    return result


def test_unit_suite_passes_inside_pyodide():
    result = run_in_pyodide("tests/unit")
    keys = ("passed", "failed", "errors", "skipped", "python", "platform")
    summary = {key: result[key] for key in keys}
    print(f"\nPyodide layer: {summary}")
    assert result["platform"] == "emscripten"
    assert result["python"].startswith("3.14")
    assert result["failed"] == 0 and result["errors"] == 0, (
        f"{result['failed']} failed, {result['errors']} errors inside Pyodide: "
        f"{result['failures']}\n{result['output'][-6000:]}"
    )
    assert result["passed"] > 0, "no unit test ran inside Pyodide"
