"""One async interface to wherever generated code runs: this interpreter, a process, a Worker.

    host = default_host()                       # ProcessHost in CPython, else InProcessHost
    module = await host.load(code, "tasks/route.py")            # or a SandboxError
    result = await module.execute(input, context)                # {"output", "confidence", ...}
    results = await module.execute_many(inputs, context)         # one crossing; errors in place
    await host.close()

Every failure is a :class:`~.errors.SandboxError`; a host that had to kill its worker
raises :class:`~.errors.BoundaryError` for that call and recovers on the next one.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from typing import Any, Protocol, runtime_checkable

from .budget import Budget
from .errors import SandboxError
from .loader import GeneratedModule, load_module


@runtime_checkable
class HostedModule(Protocol):
    """A loaded generated module, as seen through its host."""

    filename: str
    source: str

    async def execute(self, input: Any, context: Any) -> dict[str, Any]: ...

    async def execute_many(self, inputs: list[Any],
                           context: Any) -> list[dict[str, Any] | SandboxError]: ...

    async def get_confidence(self, input: Any) -> float: ...

    async def call(self, name: str, *args: Any) -> Any: ...


@runtime_checkable
class SandboxHost(Protocol):
    """Loads generated modules into one runtime (in-process, a child process, a Worker)."""

    async def load(self, code: str, filename: str,
                   budget: Budget | None = None) -> HostedModule: ...

    async def close(self) -> None: ...


class InProcessHost:
    """Runs generated code in this interpreter: Pyodide, or where no subprocess can start.

    Its coroutines never await anything, so they can be driven without an event loop.
    A single C-level call, a memory bomb or deep C recursion is NOT contained here.
    """

    async def load(self, code: str, filename: str,
                   budget: Budget | None = None) -> InProcessModule:
        return InProcessModule(load_module(code, filename, budget))

    async def close(self) -> None:
        return None


class InProcessModule:
    """A :class:`HostedModule` over a :class:`~.loader.GeneratedModule`."""

    def __init__(self, module: GeneratedModule) -> None:
        self.module = module
        self.filename = module.filename
        self.source = module.source

    async def execute(self, input: Any, context: Any) -> dict[str, Any]:
        return self.module.execute(input, context)

    async def execute_many(self, inputs: list[Any],
                           context: Any) -> list[dict[str, Any] | SandboxError]:
        results: list[dict[str, Any] | SandboxError] = []
        for item in inputs:
            try:
                results.append(self.module.execute(item, context))
            except SandboxError as exc:
                results.append(exc)
        return results

    async def get_confidence(self, input: Any) -> float:
        return self.module.get_confidence(input)

    async def call(self, name: str, *args: Any) -> Any:
        return self.module.call(name, *args)


@functools.cache
def process_boundary_available() -> bool:
    """Whether this interpreter can run :class:`~.process.ProcessHost` (decided once)."""
    return (sys.platform not in ("emscripten", "wasi") and os.name == "posix"
            and bool(sys.executable) and os.access(sys.executable, os.X_OK)
            and importlib.util.find_spec("resource") is not None
            and importlib.util.find_spec("_posixsubprocess") is not None)


@functools.cache
def shared_host() -> SandboxHost:
    """The process-wide :func:`default_host` executors use unless given one (one child)."""
    return default_host()


def default_host(**process_options: Any) -> SandboxHost:
    """A new host for this runtime: a :class:`~.process.ProcessHost` (given
    ``process_options``) where subprocesses work; in a browser that installed the sandbox
    Worker's manager, a :class:`~.worker_host.WorkerHost`; otherwise an :class:`InProcessHost`."""
    if process_boundary_available():
        from .process import ProcessHost

        return ProcessHost(**process_options)
    from .worker_host import WorkerHost, browser_bridge

    bridge = browser_bridge()
    if bridge is not None:
        return WorkerHost(bridge)
    return InProcessHost()
