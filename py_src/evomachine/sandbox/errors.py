"""Errors the sandbox raises to the host, and the signals it raises inside generated code.

Every failure the host sees is a :class:`SandboxError` subclass with a short
``reason``. Inside the sandbox, budget and policy trips are raised as
:class:`Trip`, a ``BaseException`` the generated code cannot name (so it cannot
catch it: bare ``except:`` and ``BaseException`` are rejected statically).
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base class: generated code failed to load or run. ``reason`` is one short line."""

    def __init__(self, reason: str, *, filename: str | None = None, line: int | None = None):
        self.reason = reason
        self.filename = filename
        self.line = line
        where = filename or "<generated>"
        if line is not None:
            where = f"{where}, line {line}"
        super().__init__(f"{where}: {reason}")


class SandboxViolation(SandboxError):
    """The code does something the policy forbids (found statically or at run time)."""


class BudgetExceeded(SandboxError):
    """The code used more CPU ticks, memory, recursion or output than allowed."""


class BoundaryError(SandboxError):
    """The sandbox process was killed: the call overran its deadline, crashed it or broke protocol.

    ``cause`` is ``"deadline"``, ``"crashed"``, ``"protocol"`` or ``"start"`` (or
    ``"restarted"``: another module's call cost the worker this call ran in). The host
    recovers on its own: the next call starts a fresh process. A module whose own call
    cost the worker (see :func:`killed`) is failed for the rest of its load: its later
    calls raise at once (:func:`failed_again`), and only a new load runs its code again.
    """

    def __init__(self, reason: str, *, cause: str, filename: str | None = None,
                 line: int | None = None):
        super().__init__(reason, filename=filename, line=line)
        self.cause = cause


KILL_CAUSES = frozenset({"deadline", "crashed", "protocol", "retired"})
"""Causes of a failure that cost the sandbox its worker (``"retired"``: out of memory)."""


def killed(error: object) -> bool:
    """Whether ``error`` is a call that cost the sandbox its worker (:data:`KILL_CAUSES`)."""
    return isinstance(error, SandboxError) and getattr(error, "cause", None) in KILL_CAUSES


def failed_again(error: SandboxError, filename: str | None) -> BoundaryError:
    """The answer to any later call of a module whose call was :func:`killed` (same cause)."""
    return BoundaryError(f"not run again: an earlier call of this module cost the sandbox "
                         f"its worker ({error.reason[:200]})",
                         cause=str(getattr(error, "cause", "crashed")), filename=filename)


class GeneratedCodeError(SandboxError):
    """The code raised an exception or returned a result of the wrong shape."""


class Trip(BaseException):
    """Raised inside the sandbox when a budget or policy is tripped; mapped to a SandboxError."""

    def __init__(self, kind: type[SandboxError], reason: str):
        self.kind = kind
        self.reason = reason
        super().__init__(reason)
