"""Run engine coroutines from tests, in CPython and inside Pyodide alike.

CPython uses a real event loop. Pyodide under Node cannot block on its
WebLoop, so there coroutines are driven by hand: that works because the
engine never awaits a real future on its own paths (storage in memory,
simulated LLM). A test that needs a real loop is marked ``needs_event_loop``
and skipped inside Pyodide.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from collections.abc import Coroutine
from typing import Any

IN_PYODIDE = sys.platform == "emscripten"


def drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to completion without an event loop."""
    try:
        while True:
            yielded = coro.send(None)
            if yielded is not None:
                coro.close()
                raise RuntimeError(
                    f"coroutine awaited a real future ({yielded!r}); mark the test needs_event_loop"
                )
    except StopIteration as stop:
        return stop.value


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to completion from synchronous code.

    In CPython a fresh loop runs it; when this thread already has a running
    loop (Playwright's sync API keeps one), a worker thread hosts the new loop.
    """
    if IN_PYODIDE:
        return drive(coro)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def gather(*coros: Coroutine[Any, Any, Any]) -> list[Any]:
    """``asyncio.gather`` in CPython; round-robin interleaving in Pyodide."""
    if not IN_PYODIDE:
        return list(await asyncio.gather(*coros))
    results: list[Any] = [None] * len(coros)
    pending = dict(enumerate(coros))
    while pending:
        for index, coro in list(pending.items()):
            try:
                yielded = coro.send(None)
            except StopIteration as stop:
                results[index] = stop.value
                del pending[index]
                continue
            if yielded is not None:
                raise RuntimeError("coroutine awaited a real future inside Pyodide")
    return results
