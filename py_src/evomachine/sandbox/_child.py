"""The sandbox process: loads generated modules and answers calls on its stdin/stdout.

:class:`~.process.ProcessHost` starts it as ``python -I -S -c BOOT CONFIG``: isolated
mode (no ``PYTHON*`` variables, no user site, no script directory on ``sys.path``), no
``site``, an almost empty environment, and a ``sys.path`` holding only RestrictedPython's
directory (``evomachine`` is a stub package pointing at this package's parent, so its
``__init__`` and pydantic are never imported). Before reading any request it moves the
protocol pipes off fds 0-1, points fds 0-2 at /dev/null and sets its resource limits.
It answers one request at a time, and an ``execute_many`` request with one frame per
input, so the host knows which input was running if it has to kill the process.
After a ``MemoryError`` it marks its reply ``"x"`` (retiring) and exits: memory held in a
module's globals would otherwise starve every later call.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

from ._wire import HEADER, decode, error_info, frame, frame_text
from .budget import Budget
from .errors import BudgetExceeded, GeneratedCodeError, SandboxError
from .loader import GeneratedModule, load_module
from .plain import to_plain


def main(config: dict[str, Any]) -> None:
    """Entry point (called by the boot line): isolate, limit, greet, serve until EOF."""
    rfd, wfd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    server = Server(rfd, wfd, config["max_reply"], config["limits"])
    server.write(frame({"r": "ready"}))
    server.serve()


def set_limits(limits: dict[str, int]) -> None:
    """Lower soft and hard limits (memory, files, file size, cores, processes); CPU is re-armed."""
    import resource

    for name, value in limits.items():
        which = getattr(resource, name, None)
        if which is None or name == "RLIMIT_CPU":
            continue
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))


class Server:
    """The request loop: one frame in, one frame (or one per input) out."""

    def __init__(self, rfd: int, wfd: int, max_reply: int, limits: dict[str, int]) -> None:
        import resource

        self.rfd, self.wfd, self.max_reply = rfd, wfd, max_reply
        self.buf = bytearray()
        self.modules: dict[int, GeneratedModule] = {}
        self.retire = False
        self.cpu = limits.get("RLIMIT_CPU")
        self.resource = resource
        self.cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        self.cpu_soft = 0
        set_limits(limits)

    # -- transport -------------------------------------------------------------
    def read(self) -> Any:
        buf = self.buf
        while True:
            if len(buf) >= HEADER:
                size = int.from_bytes(buf[:HEADER], "big")
                if len(buf) >= HEADER + size:
                    body = bytes(buf[HEADER:HEADER + size])
                    del buf[:HEADER + size]
                    return decode(body)
                want = max(1 << 16, HEADER + size - len(buf))
            else:
                want = 1 << 16
            chunk = os.read(self.rfd, want)
            if not chunk:
                return None
            buf += chunk

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.wfd, view):]

    def arm(self) -> None:
        """Keep ``RLIMIT_CPU`` between ``cpu`` and ``2 * cpu`` seconds ahead of the CPU used.

        A call may use ``cpu`` seconds; a child left spinning by a dead host dies soon after.
        Reading the CPU clock is cheap; the limit is moved only when the headroom runs low.
        """
        if self.cpu is None:
            return
        used = time.process_time()
        if used + self.cpu < self.cpu_soft:
            return
        r = self.resource
        soft = math.ceil(used) + 2 * self.cpu
        if self.cpu_hard != r.RLIM_INFINITY:
            soft = min(soft, self.cpu_hard)
        r.setrlimit(r.RLIMIT_CPU, (soft, self.cpu_hard))
        self.cpu_soft = soft

    # -- requests --------------------------------------------------------------
    def serve(self) -> None:
        while not self.retire:
            request = self.read()
            if request is None:
                return
            self.arm()
            for key in request.get("d", ()):
                self.modules.pop(key, None)
            if request["op"] == "many":
                self.many(request)
            else:
                self.write(self.reply(self.run, request))

    def run(self, request: dict[str, Any]) -> Any:
        op, key = request["op"], request["m"]
        if op == "load":
            budget = Budget(**request["budget"])
            self.modules[key] = load_module(request["code"], request["file"], budget)
            return None
        module = self.module(key)
        if op == "exec":  # input and context were decoded for this call alone: no copies
            return Encoded(module.execute_json(request["i"], request["c"], fresh=True)[1])
        if op == "conf":
            return module.get_confidence(request["i"])
        if op == "call":
            return module.call(request["f"], *request["a"])
        raise SandboxError(f"unknown request {op!r}")

    def module(self, key: int) -> GeneratedModule:
        module = self.modules.get(key)
        if module is None:
            raise SandboxError(f"module {key} is not loaded in the sandbox process")
        return module

    def many(self, request: dict[str, Any]) -> None:
        module = self.module(request["m"])
        context = request["c"]
        empty = type(context) is dict and not context
        for item in request["is"]:  # each input is its own; the context is copied per call
            self.arm()
            self.write(self.reply(self.execute, module, item, {} if empty else to_plain(context)))
            if self.retire:
                return

    @staticmethod
    def execute(module: GeneratedModule, item: Any, context: Any) -> Encoded:
        return Encoded(module.execute_json(item, context, fresh=True)[1])

    def reply(self, run: Callable[..., Any], *args: Any) -> bytes:
        """The frame answering ``run(*args)``: its value, or its error; never raises."""
        data = None
        try:
            value = run(*args)
            if type(value) is Encoded:  # already JSON: framed as it is
                data = frame_text('{"r":' + value + "}")
            reply: dict[str, Any] = {"r": value}
        except SandboxError as exc:
            if isinstance(exc.__context__, MemoryError):
                self.retire = True
            reply = {"e": _info(exc)}
        except MemoryError:
            self.retire = True
            reply = {"e": _info(BudgetExceeded("out of memory"))}
        except Exception as exc:  # a fault of this loop, not of the generated code
            self.retire = True
            reply = {"e": _info(SandboxError(f"sandbox process fault: {type(exc).__name__}"))}
        if self.retire:
            reply["x"] = 1
            data = None
        if data is None:
            try:
                data = frame(reply)
            except (TypeError, ValueError, RecursionError, MemoryError) as exc:
                error = GeneratedCodeError(f"result is not JSON data: {type(exc).__name__}")
                data = frame({"e": _info(error), "x": 1} if self.retire else {"e": _info(error)})
        if len(data) - HEADER > self.max_reply:
            error = BudgetExceeded(f"reply is {len(data):,} bytes (limit {self.max_reply:,})")
            data = frame({"e": _info(error), "x": 1} if self.retire else {"e": _info(error)})
        return data


class Encoded(str):
    """A result already encoded as JSON (by the module, which checked its size)."""


_info = error_info
