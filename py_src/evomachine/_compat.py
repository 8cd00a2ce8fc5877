"""The one door to the browser: the only module that imports ``js`` or ``pyodide``.

The runtime is decided once, at import (``IN_PYODIDE``: Pyodide in a browser page, a
Worker or Node). Everything browser-only in the engine (IndexedDB, localStorage, fetch,
the sandbox Worker's manager) reaches JavaScript through these functions, so CPython
never imports a browser module and a test can see every place the engine touches JS.
"""

from __future__ import annotations

import sys
from typing import Any

IN_PYODIDE = "_pyodide_core" in sys.modules or sys.platform == "emscripten"
"""Read as ``_compat.IN_PYODIDE`` (not imported by name) so tests can stand in a fake browser."""


def is_js_null(value: Any) -> bool:
    """JS ``null``/``undefined`` as Pyodide hands them over (``None``, or ``jsnull`` in 314)."""
    if value is None or type(value).__name__ in ("JsNull", "JsUndefined"):
        return True
    if not IN_PYODIDE:
        return False
    try:
        from pyodide.ffi import jsnull  # absent before Pyodide 0.27
    except ImportError:
        return False
    return value is jsnull


def js_scope() -> Any:
    """The JS global scope (``js``: the page's window or the Worker's scope), else ``None``."""
    if not IN_PYODIDE:
        return None
    try:
        import js
    except ImportError:
        return None
    return js


def js_global(name: str) -> Any:
    """A JS global by name; ``None`` outside Pyodide, when missing or null, or if it throws."""
    scope = js_scope()
    if scope is None:
        return None
    try:
        value = getattr(scope, name, None)
    except Exception:  # a getter can throw (SecurityError in sandboxed frames)
        return None
    return None if is_js_null(value) else value


def ffi() -> Any:
    """``pyodide.ffi`` (``to_js``, ``create_proxy``, ``JsException``); only inside Pyodide."""
    import pyodide.ffi

    return pyodide.ffi


def pyfetch() -> Any:
    """``pyodide.http.pyfetch``; only inside Pyodide."""
    from pyodide.http import pyfetch as fetch

    return fetch
