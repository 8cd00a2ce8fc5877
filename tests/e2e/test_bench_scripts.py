"""The browser benches the README quotes still run against this build (smallest sizes).

Found by a newcomer's tour: bench/storage.py read the page's Pyodide, which moved into a
Worker, through a string predicate the page's CSP refuses; bench/ui.py typed a step count
the Steps field has refused since it was bounded. Each crashed before printing a figure."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def bench(*args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / args[0]), *args[1:]],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_storage_bench_measures_the_browsers_backends():
    out = bench("storage.py", "--values", "100", "--steps", "100", "--repeats", "1")
    for backend in ("localStorage", "IndexedDB"):
        assert f"| Chromium (Pyodide) | {backend}" in out, out


def test_the_ui_bench_measures_pause_and_frames():
    out = bench("ui.py", "--runs", "1", "--steps", "300")
    assert "Pause click -> 'Paused' shown, simulated LLM" in out, out
    assert "longest frame gap, 300-step evolving run" in out, out
