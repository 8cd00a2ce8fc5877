"""Layer 2: the unit tests again, inside Pyodide 314 (Python 3.14, wasm) under Node.

Runs ``tests/unit`` in one Node process against the built ``dist/`` and fails
here when anything fails there, naming the failing tests. The process starts right
after collection (``conftest.py``), so it runs while the CPython layers do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
RUNNER = Path(__file__).with_name("run_in_pyodide.mjs")
MARKER = "EVOMACHINE_PYODIDE_RESULT "

pytestmark = pytest.mark.pyodide


class PyodideRun:
    """One Node process running pytest inside Pyodide, its output in a temporary file."""

    def __init__(self, process: subprocess.Popen[bytes] | None, output: Path | None,
                 problem: str | None = None):
        self.process, self.output, self.problem = process, output, problem

    @classmethod
    def start(cls, *pytest_args: str) -> PyodideRun:
        if shutil.which("node") is None:
            return cls(None, None, "node is not installed: the Pyodide layer needs Node.js 20+")
        if not (DIST / "manifest.json").exists():
            return cls(None, None, "dist/ is missing: run 'python3 build.py' first")
        fd, name = tempfile.mkstemp(prefix="evomachine-pyodide-", suffix=".log")
        with os.fdopen(fd, "wb") as sink:
            process = subprocess.Popen(
                ["node", str(RUNNER), str(DIST), str(ROOT), *pytest_args],
                stdout=sink, stderr=subprocess.STDOUT,
                env={**os.environ, "NODE_NO_WARNINGS": "1"},
            )
        return cls(process, Path(name))

    def result(self, timeout: float = 900) -> dict:
        """Wait for the process and read its summary line; fail with its output if none."""
        if self.problem is not None:
            pytest.fail(self.problem)
        assert self.process is not None and self.output is not None
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"the Pyodide layer did not finish within {timeout:.0f} s")
        text = self.output.read_text(encoding="utf-8", errors="replace")
        lines = [line for line in text.splitlines() if line.startswith(MARKER)]
        if not lines:
            raise AssertionError(
                f"Pyodide runner gave no result (exit {code}).\noutput tail:\n{text[-8000:]}")
        result = json.loads(lines[-1][len(MARKER):])
        result["output"] = text
        return result

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.output is not None:
            self.output.unlink(missing_ok=True)


PYODIDE_RUN = pytest.StashKey[PyodideRun]()
TEST_NAME = "test_unit_suite_passes_inside_pyodide"


def test_unit_suite_passes_inside_pyodide(request: pytest.FixtureRequest):
    run = request.config.stash.get(PYODIDE_RUN, None) or PyodideRun.start("tests/unit")
    result = run.result()
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
