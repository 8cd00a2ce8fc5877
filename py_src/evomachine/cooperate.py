"""Cooperative pauses: where long engine work lets the host's event loop run, and stops on Pause.

In the browser the engine runs in a Worker with one thread: the page's Pause is a
message that the Worker takes only when the engine gives its event loop a turn.
Three doors do that:

- :func:`pause` (async), between expensive steps.
- :func:`checkpoint` (sync), inside long loops that cannot await (fitting a
  student). It counts the work done and, every :data:`CHECK_EVERY` units, gives
  the host a turn through Pyodide's ``run_sync`` (JavaScript promise integration,
  where the browser has it) and looks at the Pause flag. The count, not the clock,
  decides where it looks, and looking changes nothing unless Pause was pressed.
- :func:`interruptible`, around a wait on something else (the sandbox Worker):
  Pause ends the wait at once and the awaited work finishes on its own.

Each raises :class:`~evomachine.interrupts.Interrupted` when Pause came: the work
stops there and is tried again later. A turn must be a task the browser schedules
beside the page's messages: ``asyncio.sleep(0)`` resumes before the browser gets a
turn, and Pyodide's short sleeps are MessageChannel tasks, which Chromium runs ahead
of the page's messages (Pause then waited for the whole synthesis). So the engine
Worker provides ``evomachineTurn()``, a promise settled by a zero-delay timer, and
turns await it; without it a turn sleeps :func:`set_pause_seconds`.

By default a pause is ``asyncio.sleep(0)`` and a checkpoint gives no turn, which
needs no running loop, so tests can drive engine coroutines by hand. A host with a
real loop (the page) opts in to real turns with :func:`set_pause_seconds`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from evomachine import _compat
from evomachine.interrupts import Interrupted, on_pause, pause_requested

T = TypeVar("T")

CHECK_EVERY = 4096
"""Units of work between two looks at Pause in :func:`checkpoint` (a unit is about one
feature handled: 4,096 of them take some 5-15 ms in Pyodide)."""

_seconds = 0.0
_work = 0  # units counted since the last look


def set_pause_seconds(seconds: float) -> None:
    """How long each :func:`pause` sleeps (0 keeps it loop-free, and checkpoints turn-free)."""
    global _seconds
    _seconds = max(0.0, float(seconds))


def _host_turn_promise() -> Any:
    """A promise of the host's next turn (``evomachineTurn()`` of the engine Worker) when the
    host opted in and has one, else ``None``."""
    if not _seconds or not _compat.IN_PYODIDE:
        return None
    turn = _compat.js_global("evomachineTurn")
    return turn() if turn is not None else None


async def pause() -> None:
    """Let the event loop run between expensive steps of engine work.

    Raises :class:`~evomachine.interrupts.Interrupted` when the page's Pause came
    meanwhile: the work stops here and is tried again later.
    """
    turn = _host_turn_promise()
    if turn is not None:
        await turn
    else:
        await asyncio.sleep(_seconds)
    if pause_requested():
        raise Interrupted("paused during a synthesis")


def checkpoint(work: int = 1) -> None:
    """Count ``work`` units of synchronous engine work; every :data:`CHECK_EVERY` units give
    the host a turn (when it opted in and can) and raise
    :class:`~evomachine.interrupts.Interrupted` if Pause came."""
    global _work
    _work += work
    if _work < CHECK_EVERY:
        return
    _work = 0
    if _seconds:
        _host_turn()
    if pause_requested():
        raise Interrupted("paused during a synthesis")


def _host_turn() -> None:
    """Suspend this synchronous Python until the host's event loop had a turn (Pyodide with
    JavaScript promise integration, called from a task); elsewhere nothing."""
    if not _compat.IN_PYODIDE:
        return
    ffi = _compat.ffi()
    can = getattr(ffi, "can_run_sync", None)
    if can is None or not can():
        return
    turn = _host_turn_promise()
    ffi.run_sync(turn if turn is not None else asyncio.sleep(_seconds))


async def interruptible(awaitable: Awaitable[T], during: str = "a synthesis") -> T:
    """Await ``awaitable``; when Pause comes first, raise
    :class:`~evomachine.interrupts.Interrupted` ("paused during ``during``") at once and let
    it finish on its own (its outcome is dropped). Unless a host opted in
    (:func:`set_pause_seconds`) it is a plain await, which needs no running loop.
    """
    if pause_requested():
        if asyncio.iscoroutine(awaitable):
            awaitable.close()
        raise Interrupted(f"paused during {during}")
    if not _seconds:  # no host takes a Pause meanwhile (tests driving by hand, the CLI)
        return await awaitable
    loop = asyncio.get_running_loop()
    work: asyncio.Future[T] = asyncio.ensure_future(awaitable)
    paused: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not paused.done():
            paused.set_result(None)

    with on_pause(wake):
        await asyncio.wait({work, paused}, return_when=asyncio.FIRST_COMPLETED)
    if work.done():
        paused.cancel()
        return work.result()
    work.add_done_callback(_drop_outcome)
    raise Interrupted(f"paused during {during}")


def _drop_outcome(done: asyncio.Future[Any]) -> None:
    if not done.cancelled():
        done.exception()  # retrieved: an abandoned wait's failure is nobody's error
