"""Counted CPU, recursion and allocation budget that works in one thread without signals.

The compiled module calls ``tick`` at the top of every ``while`` body, ``enter``/
``leave`` around every function body, and iterates through ``getiter`` (one tick
per item). Size-checked operations call ``charge`` with the size of what they are
about to build. Once tripped, a meter stays tripped until the next ``reset``: every
later tick raises again, so code that swallows the signal still cannot keep running.

Budgets are counted (ticks, items), so a decision never depends on the machine's
speed. The wall clock is read only when ``Budget.max_ms`` is set (off by default);
the time-based containment is the process boundary's kill deadline
(:mod:`evomachine.sandbox.process`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import BudgetExceeded, SandboxError, Trip


@dataclass(frozen=True)
class Budget:
    """Limits for one call into generated code (or for running its module body)."""

    max_ticks: int = 200_000
    """Loop iterations + function calls + iterated items."""
    max_ms: float | None = None
    """Optional wall-clock limit, checked every 32 ticks; None (the default) reads no clock."""
    max_depth: int = 100
    """Nesting of generated functions (recursion)."""
    max_size: int = 1_000_000
    """Largest str/bytes/list/tuple (chars or items) one guarded operation may build."""
    max_alloc: int = 16_000_000
    """Total chars/items all guarded operations of one call may build."""
    max_int_bits: int = 65_536
    """Largest int a guarded ``*``, ``**`` or ``<<`` may build."""
    max_output_bytes: int = 65_536
    """Largest JSON-serialized result."""
    max_regex_input: int = 20_000
    """Longest string a regular expression may scan (re runs in C, beyond the clock's reach)."""


DEFAULT_BUDGET = Budget()
LOAD_BUDGET = Budget(max_ticks=1_000_000)


class Meter:
    """Counts ticks and allocations for the current call; its closures are injected as globals."""

    def __init__(self) -> None:
        clock = time.perf_counter
        left = 0
        deadline: float | None = None
        depth = 0
        max_depth = 0
        alloc = 0
        tripped: Trip | None = None
        budget = DEFAULT_BUDGET

        def trip(kind: type[SandboxError], reason: str) -> None:
            nonlocal tripped, left
            if tripped is None:
                tripped = Trip(kind, reason)
            left = 1
            raise Trip(tripped.kind, tripped.reason)

        def slow() -> None:
            if tripped is not None:
                trip(tripped.kind, tripped.reason)
            if left <= 0:
                trip(BudgetExceeded, f"CPU budget of {budget.max_ticks} ticks exceeded")
            if deadline is not None and clock() > deadline:
                trip(BudgetExceeded, f"time budget of {budget.max_ms:g} ms exceeded")

        def tick() -> None:
            nonlocal left
            left -= 1
            if not left & 31:
                slow()

        def enter() -> None:
            nonlocal depth, left
            depth += 1
            if depth > max_depth:
                depth -= 1
                trip(BudgetExceeded, f"recursion deeper than {max_depth} calls")
            left -= 1
            if not left & 31:
                slow()

        def leave() -> None:
            nonlocal depth
            depth -= 1

        def getiter(ob: Iterable[Any]) -> Iterator[Any]:
            nonlocal left
            for item in ob:
                left -= 1
                if not left & 31:
                    slow()
                yield item

        def charge(size: int, what: str) -> None:
            """Account for building ``size`` items; trip if one object or the call is too big."""
            nonlocal alloc
            if size > budget.max_size:
                trip(
                    BudgetExceeded,
                    f"{what} would build {size:,} items (limit {budget.max_size:,})",
                )
            alloc -= size
            if alloc < 0:
                trip(BudgetExceeded, f"memory budget of {budget.max_alloc:,} items exceeded")

        def reset(new: Budget) -> None:
            nonlocal left, deadline, depth, max_depth, alloc, tripped, budget
            budget = new
            left = new.max_ticks
            deadline = None if new.max_ms is None else clock() + new.max_ms / 1000.0
            depth = 0
            max_depth = new.max_depth
            alloc = new.max_alloc
            tripped = None

        def state() -> tuple[Trip | None, int]:
            return tripped, budget.max_ticks - left

        def current() -> Budget:
            return budget

        self.trip: Callable[[type[SandboxError], str], None] = trip
        self.tick = tick
        self.enter = enter
        self.leave = leave
        self.getiter = getiter
        self.charge = charge
        self.reset = reset
        self.state = state
        self.budget = current


def range_length(r: range) -> int:
    """``len(r)`` without ``OverflowError``: wasm32's ``ssize_t`` is 32 bits."""
    if r.step > 0:
        return max(0, (r.stop - r.start + r.step - 1) // r.step)
    return max(0, (r.start - r.stop - r.step - 1) // -r.step)
