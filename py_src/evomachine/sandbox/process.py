"""ProcessHost: generated code runs in a persistent child process that the host can kill.

The in-process sandbox (AST policy, RestrictedPython, counted budgets) stays the
first layer, inside the child (:mod:`._child`; pipes, start and kill: :mod:`._channel`).
This module adds what one thread cannot do: a deadline on each call, enforced by
killing the child; resource limits (``RLIMIT_AS``, ``RLIMIT_NOFILE``, ``RLIMIT_FSIZE``,
``RLIMIT_CORE``, ``RLIMIT_NPROC`` and a re-armed ``RLIMIT_CPU``) set in the child before
any generated code loads; an environment without the host's variables (no API keys)
and no inherited file descriptors. Plain CPython has no network namespace: the child
could reach a socket only through code the policy already refuses (no ``socket`` or
``os`` import, no ``open``).

The child is started lazily and reused: modules stay loaded in it, keyed by an id.
On overrun, crash or a malformed reply the child is killed; the next call starts a
new one and reloads its module from the source the host keeps (module state starts
afresh). The call that was running fails with :class:`BoundaryError`; nothing in the
host changes. The module whose call cost the child is failed for the rest of its load:
the rest of its batch and its later calls fail at once with the same cause, without
starting a child (only a new ``load`` runs that code again). A child that ran out of
memory retires; since the memory may be held by another module, the failed load or call
is tried once more in a fresh child (once per load of a module: one that does it again holds
the memory itself, and is failed).
Messages are length-prefixed JSON (:mod:`._wire`), never pickle: inputs and context
cross as JSON (tuples arrive as lists, dict keys as strings).

Why not Monty (``pydantic-monty``; pip resolves 1.4.0 here, since the 1.5.0
metapackage pins client/runtime 1.5.0, which this index lacks). It is a Python subset
reimplemented in Rust, run in a pool of worker processes with time and memory limits.
Tried in a temporary directory: classes, ``re``, ``json``, ``collections`` and
``unicodedata`` worked, ``pow(a, b, m)`` stopped at its time limit, its regex engine did
not backtrack, ~0.15 ms per ``feed_run``. We keep our own boundary because the engine
must run the same code the same way in Pyodide (Monty is a native 15 MB binary with no
Pyodide wheel), and because generated modules are checked against CPython semantics
that a reimplementation may not match. Monty stays a candidate for a stricter
CPython-only host behind the same :class:`~.host.SandboxHost` interface.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
import weakref
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ._ahead import Ahead
from ._channel import Channel, ProcessLimits
from ._wire import WireError, check_confidence, check_none, check_result, error_of, frame
from .budget import DEFAULT_BUDGET, Budget
from .errors import (
    BoundaryError,
    GeneratedCodeError,
    SandboxError,
    SandboxViolation,
    failed_again,
    killed,
)

__all__ = ["ProcessHost", "ProcessLimits", "ProcessModule"]

Check = Callable[[Any], Any] | None
BATCH_TAIL = 32  # the last answers of a batch are read as they come


class ProcessHost:
    """A :class:`~.host.SandboxHost` whose modules live in one persistent child process.

    ``deadline`` bounds each call (and each input of ``execute_many``) in seconds (a
    generated module answers in microseconds; one second leaves room for a loaded machine
    and keeps a hostile module's whole visit under the issue's 2 s),
    ``load_deadline`` each load, ``start_deadline`` the child's start-up. While waiting,
    the host blocks its event loop for at most ``sync_wait`` seconds (fast answers
    cost no loop round trip), then waits on the loop. ``execute_many`` answers come one
    frame per input; the host reads them in bulk, sleeping ``batch_pause`` seconds while
    more than 32 are due (fewer wake-ups on both sides); ``submit_many`` sends a batch and
    returns at once (:class:`Ahead`). Calls are serialized; use the
    host from one asyncio event loop at a time (or drive it without one: it then blocks).
    """

    def __init__(self, *, deadline: float = 1.0, load_deadline: float = 10.0,
                 start_deadline: float = 30.0, limits: ProcessLimits | None = None,
                 max_reply_bytes: int = 8 * 2**20, sync_wait: float = 0.005,
                 batch_pause: float = 0.001, python: str | None = None) -> None:
        self.deadline = deadline
        self.load_deadline = load_deadline
        self.start_deadline = start_deadline
        self.limits = limits or ProcessLimits()
        self.max_reply_bytes = max_reply_bytes
        self.sync_wait = sync_wait
        self.batch_pause = batch_pause
        self.python = python or sys.executable
        self.restarts = 0
        """How many children were started (the first start counts)."""
        self.max_peak_rss_kb = 0
        """The highest peak resident memory (VmHWM) of any child stopped so far."""
        self._channel: Channel | None = None
        self._last: Channel | None = None
        self._keys = itertools.count(1)
        self._drops: list[int] = []
        self._lock = asyncio.Lock()
        self._ahead: Ahead | None = None

    @property
    def pid(self) -> int | None:
        """The running child's process id, or None."""
        return None if self._channel is None else self._channel.pid

    @property
    def last_exit(self) -> tuple[str, int | None] | None:
        """``(cause, returncode)`` of the last child that was stopped."""
        return None if self._last is None else self._last.exit

    def peak_rss_kb(self) -> int | None:
        """Peak resident memory (VmHWM, /proc) of the running child, else of the last one."""
        channel = self._channel or self._last
        return None if channel is None else channel.current_peak_rss_kb()

    def max_rss_kb(self) -> int | None:
        """The highest peak resident memory of every child this host started, or None."""
        found = [self.max_peak_rss_kb, self.peak_rss_kb() or 0]
        return max(found) or None

    async def load(self, code: str, filename: str, budget: Budget | None = None) -> ProcessModule:
        """Load ``code`` in the child; raises the same SandboxErrors as ``load_module``,
        or :class:`BoundaryError` if loading killed the child."""
        if not isinstance(code, str) or not isinstance(filename, str):
            raise GeneratedCodeError("generated code and its filename must be str",
                                     filename=str(filename))
        module = ProcessModule(self, next(self._keys), filename, code, budget or DEFAULT_BUDGET)
        async with self._lock:
            try:
                await self._settle()
                await self._load(module)
            except SandboxError:
                raise
            except BaseException:
                self._stop("interrupted")
                raise
        weakref.finalize(module, self._drops.append, module._key)
        return module

    async def close(self) -> None:
        """Stop the child once the running call (if any) is done; a later call starts one."""
        async with self._lock:
            self._stop("closed")

    # -- requests --------------------------------------------------------------
    async def _call(self, module: ProcessModule, message: dict[str, Any], check: Check) -> Any:
        async with self._lock:
            try:
                if self._ahead is not None:
                    await self._settle()
                data = self._encode(message, module.filename)
                reply = await self._roundtrip(module, data, self.deadline)
                if _retired(reply) and module._retire():  # maybe another module's memory
                    reply = await self._roundtrip(module, data, self.deadline)
                return self._outcome(reply, module.filename, check, raise_error=True)
            except SandboxError:
                raise
            except BaseException:  # cancelled mid-call: the stream is out of step
                self._stop("interrupted")
                raise

    async def _many(self, module: ProcessModule, inputs: list[Any],
                    context: Any) -> list[dict[str, Any] | SandboxError]:
        """Results in order; raises SandboxError only if the batch is not JSON data."""
        results: list[dict[str, Any] | SandboxError] = []
        async with self._lock:
            try:
                await self._settle()
                while len(results) < len(inputs) and not (results and killed(results[-1])):
                    message = {"op": "many", "m": module._key, "is": inputs[len(results):],
                               "c": context}
                    data = self._encode(message, module.filename)
                    try:
                        reply = await self._roundtrip(module, data, self.deadline)
                        while True:
                            if _retired(reply) and module._retire():
                                break  # once more, in a fresh child
                            results.append(self._outcome(reply, module.filename, check_result))
                            if len(results) == len(inputs) or self._channel is None:
                                break
                            if (len(inputs) - len(results) >= BATCH_TAIL
                                    and not self._channel.has_frame()):
                                await _pause(self.batch_pause)  # let answers pile up
                            reply = await self._receive(self.deadline)
                    except BoundaryError as exc:  # no child, or this input killed it
                        results.append(exc)
                        if exc.cause == "start":  # no child at all: nothing else can run
                            results.extend([exc] * (len(inputs) - len(results)))
                    except SandboxError as exc:  # the module no longer loads
                        results.extend([exc] * (len(inputs) - len(results)))
                if results and killed(results[-1]):  # the module is failed: no new child
                    again = failed_again(results[-1], module.filename)
                    results.extend([again] * (len(inputs) - len(results)))
            except SandboxError:
                raise
            except BaseException:
                self._stop("interrupted")
                raise
        return results

    # -- answers read ahead ------------------------------------------------------
    async def _submit(self, module: ProcessModule, inputs: list[Any],
                      context: Any) -> Ahead | None:
        """Send one ``many`` request and return at once; None if it cannot be sent (the
        calls made instead report why)."""
        async with self._lock:
            try:
                await self._settle()
                data = self._encode({"op": "many", "m": module._key, "is": inputs,
                                     "c": context}, module.filename)
                await self._send(module, data)
            except SandboxError:
                return None
            except BaseException:
                self._stop("interrupted")
                raise
            self._ahead = Ahead(module, len(inputs))
            return self._ahead

    async def _read_ahead(self, ahead: Ahead, index: int) -> None:
        """Read ``ahead``'s answers up to ``index`` (or until no more will come)."""
        async with self._lock:
            try:
                while self._ahead is ahead and len(ahead.results) <= index:
                    await self._next_ahead(ahead)
                channel = self._channel  # answers already read from the pipe: decoded now
                while self._ahead is ahead and channel is not None and channel.has_frame():
                    await self._next_ahead(ahead)
            except BaseException:
                self._stop("interrupted")
                raise

    async def _settle(self) -> None:
        """Read the answers still due for a request sent ahead: the pipe is then in step."""
        while self._ahead is not None:
            await self._next_ahead(self._ahead)

    async def _next_ahead(self, ahead: Ahead) -> None:
        """One answer of ``ahead``; one that retired the child is dropped (the call made
        instead decides), one that cost the child fails the module."""
        outcome: Any
        try:
            reply = await self._receive(self.deadline)
            outcome = None if _retired(reply) else self._outcome(
                reply, ahead.module.filename, check_result)
        except BoundaryError as exc:  # its deadline, a crash or a bad frame: the child is gone
            outcome = exc
        if outcome is not None:
            ahead.results.append(outcome)
            if killed(outcome):
                ahead.module.failed = outcome
        if outcome is None or killed(outcome) or len(ahead.results) == ahead.count:
            ahead.open = False
            if self._ahead is ahead:
                self._ahead = None

    def _encode(self, message: dict[str, Any], filename: str) -> bytes:
        drops = self._drops[:]
        if drops:
            message["d"] = drops
        try:
            try:
                data = frame(message)
            except TypeError:
                data = frame(message, default=_jsonable)
        except (TypeError, ValueError, RecursionError) as exc:
            raise SandboxError(f"input is not JSON data: {exc}", filename=filename) from None
        del self._drops[:len(drops)]
        return data

    def _outcome(self, reply: dict[str, Any], filename: str, check: Check,
                 raise_error: bool = False) -> Any:
        """The value of a reply (checked), or its SandboxError (raised if ``raise_error``)."""
        try:
            if "e" in reply:
                error = error_of(reply["e"], filename)
                if "x" in reply:  # the child ran out of memory and exited with this answer
                    error.cause = "retired"  # type: ignore[attr-defined]
                if raise_error:
                    raise error
                return error
            return reply["r"] if check is None else check(reply["r"])
        except WireError as exc:
            self._stop("protocol")
            raise BoundaryError(f"malformed reply ({exc})", cause="protocol") from None

    async def _load(self, module: ProcessModule) -> None:
        message = {"op": "load", "m": module._key, "code": module.source,
                   "file": module.filename, "budget": asdict(module.budget)}
        data = self._encode(message, module.filename)
        reply = await self._roundtrip(None, data, self.load_deadline)
        if _retired(reply):
            reply = await self._roundtrip(None, data, self.load_deadline)
        self._outcome(reply, module.filename, check_none, raise_error=True)
        module._generation = self.restarts

    async def _roundtrip(self, module: ProcessModule | None, data: bytes,
                         timeout: float) -> dict[str, Any]:
        """Send ``data`` to a child that holds ``module`` and return the first reply."""
        await self._send(module, data)
        return await self._receive(timeout)

    async def _send(self, module: ProcessModule | None, data: bytes) -> None:
        """Write ``data`` to a child that holds ``module`` (started or reloaded if need be)."""
        for _ in range(3):  # a child found dead before the write is replaced (twice at most)
            if self._channel is None:
                self._channel = await Channel.start(
                    self.python, self.limits, self.max_reply_bytes, self.sync_wait,
                    self.start_deadline)
                self.restarts += 1
            if module is not None and module._generation != self.restarts:
                await self._load(module)
            channel = self._channel
            if channel is not None and channel.send(data):
                return
            self._stop("exited")
        raise BoundaryError("the sandbox process exits as soon as it starts", cause="start")

    async def _receive(self, timeout: float) -> dict[str, Any]:
        channel = self._channel
        assert channel is not None
        try:
            return await channel.receive(timeout)
        finally:
            if channel.dead:
                self._stop("")

    def _stop(self, cause: str) -> None:
        channel, self._channel = self._channel, None
        ahead, self._ahead = self._ahead, None
        if ahead is not None:  # its answers still due will not come
            ahead.open = False
        if channel is not None:
            channel.kill(cause)
            self._last = channel
            self.max_peak_rss_kb = max(self.max_peak_rss_kb, channel.peak_rss_kb or 0)


class ProcessModule:
    """A module loaded in a :class:`ProcessHost`'s child; same calls as ``GeneratedModule``."""

    def __init__(self, host: ProcessHost, key: int, filename: str, source: str,
                 budget: Budget) -> None:
        self.filename = filename
        self.source = source
        self.budget = budget
        self._host = host
        self._key = key
        self._generation = -1
        self.failed: SandboxError | None = None
        """The error of the call that cost the child, once one did: later calls fail at once."""
        self._retired = 0

    def _retire(self) -> bool:
        """A call of this module ran its child out of memory: try it once more in a fresh
        child? Only the first time in this load: the memory may have been another module's,
        but a module that does it again holds it itself (its state restarts in each child)."""
        self._retired += 1
        return self._retired == 1

    async def _run(self, message: dict[str, Any], check: Check) -> Any:
        if self.failed is not None:
            raise failed_again(self.failed, self.filename)
        try:
            return await self._host._call(self, message, check)
        except SandboxError as error:
            if killed(error):
                self.failed = error
            raise

    async def execute(self, input: Any, context: Any) -> dict[str, Any]:
        """``execute(input, context)``: ``{"output", "confidence", "metadata"}`` or SandboxError."""
        message = {"op": "exec", "m": self._key, "i": input,
                   "c": {} if context is None else context}
        return await self._run(message, check_result)

    async def execute_many(self, inputs: list[Any],
                           context: Any) -> list[dict[str, Any] | SandboxError]:
        """``execute`` for each input in one request; a failed input's slot holds its error."""
        inputs, context = list(inputs), {} if context is None else context
        if self.failed is not None:
            return [failed_again(self.failed, self.filename) for _ in inputs]
        try:
            results = await self._host._many(self, inputs, context)
        except SandboxError:  # not JSON: find the bad inputs (or context) one by one
            return [await _outcome_of(self.execute(item, context)) for item in inputs]
        self.failed = next((item for item in results if killed(item)), None)
        return results

    async def submit_many(self, inputs: list[Any], context: Any) -> Ahead | None:
        """Start ``execute`` on each input in one request and return without waiting: the
        child works while the host does; :meth:`Ahead.get` reads each answer when it is
        wanted. None if nothing was sent (this module failed, or the inputs are not JSON)."""
        if self.failed is not None or not inputs:
            return None
        return await self._host._submit(self, list(inputs), {} if context is None else context)

    async def get_confidence(self, input: Any) -> float:
        """``get_confidence(input)`` as a float in [0, 1]."""
        return await self._run({"op": "conf", "m": self._key, "i": input}, check_confidence)

    async def call(self, name: str, *args: Any) -> Any:
        """Public function ``name`` on JSON copies of ``args``; returns its JSON result."""
        if not isinstance(name, str):
            raise SandboxViolation(f"cannot call {name!r}", filename=self.filename)
        message = {"op": "call", "m": self._key, "f": name, "a": list(args)}
        return await self._run(message, None)


def _retired(reply: dict[str, Any]) -> bool:
    """An error after which the child exited (out of memory, perhaps not this module's)."""
    return "x" in reply and "e" in reply


async def _pause(seconds: float) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # driven without an event loop: sleep in place
        time.sleep(seconds)
        return
    await asyncio.sleep(seconds)


async def _outcome_of(call: Any) -> Any:
    try:
        return await call
    except SandboxError as exc:
        return exc


def _jsonable(value: Any) -> Any:
    """``default`` for json: pydantic models from the host are dumped; anything else refused."""
    dump = getattr(type(value), "model_dump", None)
    if dump is not None:
        return dump(value, mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON data")
