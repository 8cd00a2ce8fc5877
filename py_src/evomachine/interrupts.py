"""Pause reaching a request in flight: the browser transport's abort controllers, and the error.

The page's Pause asks the chunk running in the engine Worker to stop after its
current step (``Lab.interrupt``). A step waiting on a provider that never
answers would never end, so the fetch transport registers an abort controller
for each request while it is in flight (:func:`in_flight`) and Pause aborts
them all (:func:`abort_in_flight`). The aborted request raises
:class:`Interrupted`, which the lab's run loop catches: the step in flight did
not happen (the machine stays on that node with the same input) and runs again
on the next Run. A synthesis under way stops at its next cooperative pause
(:func:`pause_requested`, :mod:`evomachine.cooperate`) or stops waiting
(:func:`on_pause`); the executor tries it again at the next check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_IN_FLIGHT: dict[int, Any] = {}
_WAITING: dict[int, Callable[[], None]] = {}
_pause_requested = False


class Interrupted(BaseException):
    """The user paused while this request was in flight, and it was aborted.

    A ``BaseException``, as ``asyncio.CancelledError`` is: the code that turns
    any ``Exception`` of a provider into a failed execution lets it through, so
    an interrupted step is never recorded as the LLM's failure.
    """


@contextmanager
def in_flight(controller: Any) -> Iterator[None]:
    """Keep ``controller`` (anything with ``abort()``) abortable while the block runs."""
    _IN_FLIGHT[id(controller)] = controller
    try:
        yield
    finally:
        _IN_FLIGHT.pop(id(controller), None)


def abort_in_flight() -> int:
    """Abort every request in flight; how many there were."""
    controllers = list(_IN_FLIGHT.values())
    for controller in controllers:
        controller.abort()
    return len(controllers)


@contextmanager
def on_pause(wake: Callable[[], None]) -> Iterator[None]:
    """Call ``wake()`` if Pause is pressed while the block runs (a wait that must end then)."""
    _WAITING[id(wake)] = wake
    try:
        yield
    finally:
        _WAITING.pop(id(wake), None)


def request_pause(requested: bool = True) -> None:
    """Pause was pressed while a chunk runs (``False``: the chunk ended, forget it); the waits
    under :func:`on_pause` are woken."""
    global _pause_requested
    _pause_requested = requested
    if requested:
        for wake in list(_WAITING.values()):
            wake()


def pause_requested() -> bool:
    """Has Pause been pressed during the chunk running now? Long engine work (a synthesis)
    checks at its cooperative pauses and stops early (:class:`Interrupted`)."""
    return _pause_requested
