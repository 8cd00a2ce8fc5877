"""Call a function of one of the page's ES modules (web/...) under Node, on JSON arguments."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def call_page_function(module: str, function: str, *args: Any) -> Any:
    """``function(...args)`` of ``web/<module>``, its result back through JSON (skips the
    test when Node is not installed)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = ("const args = JSON.parse(process.argv[1]);"
              f"import({json.dumps((ROOT / 'web' / module).as_uri())})"
              f".then((mod) => console.log(JSON.stringify(mod[{json.dumps(function)}](...args))));")
    done = subprocess.run([node, "--input-type=module", "-e", script, json.dumps(args)],
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)
