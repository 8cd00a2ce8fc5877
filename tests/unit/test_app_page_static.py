"""The page's source never builds HTML from strings and ships a strict CSP.

A static guard over ``web/`` and ``index.html`` (the vendored uPlot aside): the
rendering code uses DOM APIs (``web/dom.mjs``), so no value from state, files or
the LLM can be parsed as markup; and the shell has no inline script, handler or
style that a strict Content-Security-Policy would have to allow.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
INDEX = ROOT / "index.html"

pytestmark = pytest.mark.skipif(not INDEX.exists(), reason="the page's sources are not here")

HTML_SINKS = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextual"
                        r"Fragment|DOMParser|srcdoc|\beval\(|new Function\(|escapeHtml")


def sources() -> list[Path]:
    return [p for p in sorted(WEB.rglob("*.mjs")) if "vendor" not in p.parts]


def test_no_module_of_the_page_parses_strings_as_html():
    found = []
    for path in sources():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("//", 1)[0]
            if HTML_SINKS.search(code) and "FORBIDDEN" not in code:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert len(sources()) >= 10
    assert found == []


def test_no_string_in_the_page_holds_markup():
    # a tag opening inside a one-line string or template literal: `<td>${x}</td>`, "<p class=..."
    markup = re.compile(r"""(["'`])[^"'`\n]*</?[a-zA-Z][a-zA-Z0-9-]*[\s>/][^"'`\n]*\1""")
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()[:90]}" for p in sources()
             for n, line in enumerate(p.read_text().splitlines(), start=1)
             if markup.search(line.split("//", 1)[0])]
    assert found == []


def test_the_shell_has_a_strict_csp_and_nothing_inline():
    html = INDEX.read_text()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy, "index.html has no Content-Security-Policy meta tag"
    directives = dict(part.strip().split(" ", 1) for part in policy.group(1).split(";"))
    assert directives["default-src"] == "'none'"
    # The one inline script is the import map (CodeMirror's modules), allowed by its hash only.
    maps = re.findall(r'<script type="importmap">(.*?)</script>', html, re.S)
    assert len(maps) == 1
    digest = base64.b64encode(hashlib.sha256(maps[0].encode()).digest()).decode()
    assert directives["script-src"] == f"'self' 'wasm-unsafe-eval' 'sha256-{digest}'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert directives["worker-src"] == "'self'"  # the engine and sandbox Workers, same origin
    assert "unsafe-inline" not in policy.group(1)
    assert "'unsafe-eval'" not in policy.group(1)
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts and all("src=" in attributes or attributes == ' type="importmap"'
                           for attributes in scripts)
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"\sstyle\s*=", html)


def test_boot_keeps_the_pyodide_handle_to_itself():
    boot = (WEB / "boot.mjs").read_text()
    for assignment in re.findall(r"Object\.assign\(window\.evomachine, \{([^}]*)\}", boot):
        assert "pyodide" not in assignment
    assert not re.search(r"window\.[A-Za-z_.]*pyodide\s*=", boot, re.IGNORECASE)


def test_only_the_workers_load_pyodide():
    """The page renders; Pyodide is loaded by the engine Worker (and the sandbox's) alone."""
    loaders = sorted(str(p.relative_to(WEB)) for p in sources() if "pyodide" in p.read_text()
                     and re.search(r"loadPyodide\(|pyodide\.mjs", p.read_text()))
    assert loaders and all(name in ("engine-worker.mjs", "sandbox/worker.mjs")
                           for name in loaders), loaders
