"""Shared pytest setup: the engine on sys.path and ``async def`` tests without plugins."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT / "py_src", ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from aio import IN_PYODIDE, run  # noqa: E402

try:  # no per-example time limit: on a loaded machine an example may take seconds
    from hypothesis import settings

    settings.register_profile("evomachine", deadline=None)
    settings.load_profile("evomachine")
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs_event_loop: needs a real asyncio loop (skipped in Pyodide)")
    config.addinivalue_line(
        "markers", "cpython_only: uses something Pyodide lacks (sockets, sqlite3, threads)")
    config.addinivalue_line(
        "markers", "slow: waits for the sandbox process's kill deadline (deselect: -m 'not slow')")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not IN_PYODIDE:
        return
    skip = pytest.mark.skip(reason="not available inside Pyodide")
    for item in items:
        if "needs_event_loop" in item.keywords or "cpython_only" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests: a real loop in CPython, driven by hand in Pyodide."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    run(pyfuncitem.obj(**kwargs))
    return True
