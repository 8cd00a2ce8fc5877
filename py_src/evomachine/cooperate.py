"""Cooperative pauses: where long engine work lets the host's event loop run.

In the browser the engine shares the page's only thread, so a long piece of
work (a code synthesis) must pause now and then for the page to paint and
take input. ``asyncio.sleep(0)`` is not enough there: Pyodide's loop resumes
the coroutine before the browser gets a turn; a timer of a millisecond is.

By default a pause is ``asyncio.sleep(0)``, which needs no running loop, so
tests can drive engine coroutines by hand. A host with a real loop (the page)
opts in to real pauses with ``set_pause_seconds``.
"""

from __future__ import annotations

import asyncio

from evomachine.interrupts import Interrupted, pause_requested

_seconds = 0.0


def set_pause_seconds(seconds: float) -> None:
    """How long each :func:`pause` sleeps (0 keeps it loop-free)."""
    global _seconds
    _seconds = max(0.0, float(seconds))


async def pause() -> None:
    """Let the event loop run between expensive steps of engine work.

    Raises :class:`~evomachine.interrupts.Interrupted` when the page's Pause came
    meanwhile: the work stops here and is tried again later.
    """
    await asyncio.sleep(_seconds)
    if pause_requested():
        raise Interrupted("paused during a synthesis")
