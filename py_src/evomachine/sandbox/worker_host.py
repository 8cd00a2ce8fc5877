"""The browser's boundary: generated code runs in a dedicated Worker with its own Pyodide.

The page (or the engine's Worker) installs ``globalThis.evomachineSandbox``
(``web/sandbox/manager.mjs``); :class:`WorkerHost` is the
:class:`~.host.SandboxHost` over it. Every request crosses as JSON text and
every answer comes back as JSON text: no proxy of the sandbox's objects ever
reaches the engine. A call that overruns its deadline, a fatal Pyodide error
(deep C recursion) or an answer out of shape costs only that Worker: the
manager terminates it, the call fails with :class:`~.errors.BoundaryError`,
and the next call starts a fresh Worker. The module whose call it was is failed for
the rest of its load (as in :class:`~.process.ProcessHost`): its later calls fail at
once with the same cause, so none of them waits for a Worker to boot; only a new
``load`` runs that code again.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import secrets
import weakref
from typing import Any

from .._compat import js_global
from ..nesting import check_json
from .budget import Budget
from .errors import (
    BoundaryError,
    BudgetExceeded,
    GeneratedCodeError,
    SandboxError,
    SandboxViolation,
    failed_again,
    killed,
)

_KINDS: dict[str, type[SandboxError]] = {
    "SandboxViolation": SandboxViolation,
    "BudgetExceeded": BudgetExceeded,
    "GeneratedCodeError": GeneratedCodeError,
}


def browser_bridge() -> Any:
    """``globalThis.evomachineSandbox`` when this Pyodide runs beside one, else ``None``."""
    return js_global("evomachineSandbox")


def _error(reply: Any, filename: str) -> SandboxError:
    if not isinstance(reply, dict):
        return BoundaryError("the sandbox worker answered out of shape", cause="protocol",
                             filename=filename)
    message = str(reply.get("message") or "failed")[:2000]
    kind = reply.get("kind")
    if kind == "BoundaryError":
        return BoundaryError(message, cause=str(reply.get("cause") or "crashed"),
                             filename=filename)
    return _KINDS.get(str(kind), GeneratedCodeError)(message, filename=filename)


_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_decode = json.JSONDecoder().decode


def _parse(text: Any, filename: str) -> Any:
    """The JSON value of a reply, or None. The Worker runs hostile code: its text is measured
    before it is decoded (nesting deep enough would exhaust Pyodide's stack)."""
    text = text if isinstance(text, str) else str(text)
    try:
        check_json(text)
        return _decode(text)
    except (ValueError, RecursionError, MemoryError):
        return None


_KEYS = itertools.count(1)
_PREFIX = secrets.token_hex(4)  # two Pyodides (or hosts) sharing one manager never share a key
_DROPPED: list[tuple[Any, str]] = []  # (bridge, key) of modules garbage-collected here


async def _unload_dropped() -> None:
    """Unload from the Worker the modules nobody here holds any more (their state too)."""
    while _DROPPED:
        bridge, key = _DROPPED.pop()
        await bridge.unload(key)


class WorkerHost:
    """Loads generated modules into the sandbox Worker through the page's manager."""

    def __init__(self, bridge: Any) -> None:
        self._bridge = bridge

    async def load(self, code: str, filename: str, budget: Budget | None = None) -> WorkerModule:
        if not isinstance(code, str):
            raise GeneratedCodeError("generated code must be a str", filename=filename)
        await _unload_dropped()
        key = f"{_PREFIX}-{next(_KEYS)}"
        limits = json.dumps(dataclasses.asdict(budget)) if budget is not None else ""
        reply = _parse(await self._bridge.load(key, code, filename, limits), filename)
        if not isinstance(reply, dict) or reply.get("ok") is not True:
            raise _error(reply, filename)
        module = WorkerModule(self._bridge, key, code, filename)
        weakref.finalize(module, _DROPPED.append, (self._bridge, key))
        return module

    async def close(self) -> None:
        return None


class WorkerModule:
    """A module loaded in the sandbox Worker; answers arrive as JSON and are checked."""

    def __init__(self, bridge: Any, key: str, source: str, filename: str) -> None:
        self._bridge = bridge
        self._key = key
        self.source = source
        self.filename = filename
        self.failed: SandboxError | None = None
        """The error of the call that cost the Worker, once one did: later calls fail at once."""

    async def execute_many(self, inputs: list[Any],
                           context: Any) -> list[dict[str, Any] | SandboxError]:
        if self.failed is not None:
            return [failed_again(self.failed, self.filename) for _ in inputs]
        sent = self._send(inputs, context)
        if isinstance(sent, SandboxError):
            return [sent for _ in inputs]
        answers = self._answers(await sent, len(inputs))
        return [failed_again(self.failed, self.filename) if answer is None and self.failed
                else answer for answer in answers]  # (None only follows a kill)

    async def submit_many(self, inputs: list[Any], context: Any) -> WorkerAhead | None:
        """Start ``execute`` on each input in one request and return without waiting: the
        sandbox Worker computes while the engine goes on; :meth:`WorkerAhead.get` reads the
        answers when one is wanted. None if nothing was sent (this module failed, or the
        inputs are not JSON)."""
        if self.failed is not None or not inputs:
            return None
        sent = self._send(inputs, context)
        return None if isinstance(sent, SandboxError) else WorkerAhead(self, sent, len(inputs))

    def _send(self, inputs: list[Any], context: Any) -> Any:
        """The manager's pending answer (a promise of JSON text) to ``inputs``, or the error
        every input gets when they are not JSON. Requests reach the Worker in this order."""
        try:
            payload = _encode(list(inputs)), _encode(context) if context else "{}"
        except (TypeError, ValueError) as error:
            return GeneratedCodeError(f"inputs are not JSON: {error}", filename=self.filename)
        return self._bridge.executeMany(self._key, *payload, len(inputs))

    def _answers(self, text: Any, count: int) -> list[dict[str, Any] | SandboxError | None]:
        """The ``count`` answers in the reply ``text``, checked; a call that cost the Worker
        fails this module from now on. When it cost the Worker, the answers done before the
        culprit stand (the manager sends them as ``done``), the culprit gets the failure and
        the inputs after it were never run: None."""
        reply = _parse(text, self.filename)
        ok = isinstance(reply, dict) and reply.get("ok") is True
        results = reply.get("results") if ok else None
        answers: list[dict[str, Any] | SandboxError | None]
        if isinstance(results, list) and len(results) == count:
            answers = [self._item(item) for item in results]
        else:
            error = _error(reply, self.filename)
            done = reply.get("done") if isinstance(reply, dict) and killed(error) else None
            if (isinstance(done, list) and len(done) < count
                    and all(isinstance(item, str) for item in done)):
                answers = [self._item(_parse(item, self.filename)) for item in done]
                answers += [error] + [None] * (count - len(done) - 1)
            else:
                answers = [error for _ in range(count)]
        if self.failed is None:
            self.failed = next((item for item in answers if killed(item)), None)
        return answers

    def _item(self, item: Any) -> dict[str, Any] | SandboxError:
        """One input's answer (``{"ok": true, "value": {...}}``) or its failure."""
        if isinstance(item, dict) and item.get("ok") is True and isinstance(item.get("value"),
                                                                              dict):
            return item["value"]
        return _error(item, self.filename)

    async def execute(self, input: Any, context: Any) -> dict[str, Any]:
        [answer] = await self.execute_many([input], context)
        if isinstance(answer, SandboxError):
            raise answer
        return answer

    async def get_confidence(self, input: Any) -> float:
        answer = await self.execute(input, {})
        confidence = answer.get("confidence")
        if isinstance(confidence, bool) or not isinstance(confidence, int | float):
            raise GeneratedCodeError("confidence is not a number", filename=self.filename)
        return min(1.0, max(0.0, float(confidence)))

    async def call(self, name: str, *args: Any) -> Any:
        raise GeneratedCodeError(f"call({name!r}) is not offered across the browser's boundary",
                                 filename=self.filename)


class WorkerAhead:
    """The answers of one :meth:`WorkerModule.submit_many` request, read when one is wanted
    (the whole batch comes back in one reply)."""

    __slots__ = ("_pending", "count", "module", "results")

    def __init__(self, module: WorkerModule, pending: Any, count: int) -> None:
        self.module = module
        self.count = count
        self._pending = pending
        self.results: list[dict[str, Any] | SandboxError | None] | None = None

    async def get(self, index: int) -> dict[str, Any] | SandboxError | None:
        """Input ``index``'s result or error; None if it will not come (call ``execute``):
        never run (after a kill in the batch), or stopped with a Worker killed for another
        call ("restarted": the module is not at fault and runs again)."""
        if self.results is None:
            pending, self._pending = self._pending, None
            if pending is None:  # another get waits for the reply: call ``execute`` instead
                return None
            self.results = self.module._answers(await pending, self.count)
        found = self.results[index] if 0 <= index < len(self.results) else None
        if isinstance(found, BoundaryError) and found.cause == "restarted":
            return None
        return found
