"""The README's Python API example runs as written and prints what its comments say.

Found by a newcomer's tour: it printed nothing (bare expressions) and its simulated LLM
cost $0, so the saving the example is about was invisible."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cpython_only
ROOT = Path(__file__).resolve().parents[2]


def test_the_python_api_example_runs_and_shows_the_saving(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Python API"):]
    start = section.index("```python\n") + len("```python\n")
    code = section[start:section.index("\n```", start)]
    assert "/tmp/evomachine-demo.sqlite" in code
    script = tmp_path / "example.py"
    script.write_text(code.replace("/tmp/evomachine-demo.sqlite", str(tmp_path / "demo.sqlite")))
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    first = done.stdout.splitlines()[0]
    promised = code.split("saved\")", 1)[1].split("# ", 1)[1].splitlines()[0].strip()
    assert first == promised, (first, promised)
