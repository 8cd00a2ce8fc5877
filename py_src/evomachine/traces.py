"""Execution traces: the newest executions of each task, to find, filter, open and export.

A :class:`Trace` is a compact, read-only copy of one
:class:`~evomachine.history.ExecutionRecord` (what went in, who answered, what
the code and the LLM said, whether they agreed, latency, cost, error). The
:class:`TraceBook` keeps the newest ``limit`` traces per task in memory; the
history the executor persists keeps fewer (``history_limit``), so after a
restore a task's traces start again from its persisted recent history.

A trace is an *audit* when the LLM re-checked an answer the memo or the code
gave, and a *shadow* check when the code answered below its confidence cut and
the LLM answered instead (the two answers are compared for free).
"""

from __future__ import annotations

import csv
import io
import json
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evomachine.history import ExecutionRecord, TaskHistory

#: Columns of a trace, in export order.
COLUMNS = (
    "task", "seq", "timestamp", "stage", "answered_by", "used_llm", "check", "agreed", "input",
    "output", "expected", "correct", "code_output", "code_confidence", "code_version",
    "llm_output", "audited", "success", "error", "latency_ms", "cost", "input_tokens",
    "output_tokens",
)

TraceFilter = str | Callable[["Trace"], bool] | None


class Trace:
    """One execution of one task, as the trace table shows it."""

    __slots__ = ("_text", "answered_by", "audited", "check", "code_confidence", "code_output",
                 "code_version", "cost", "error", "expected", "input", "input_tokens",
                 "latency_ms", "llm_output", "output", "output_tokens", "seq", "stage", "success",
                 "task", "timestamp", "used_llm")

    def __init__(self, record: ExecutionRecord, used_llm: bool):
        self.task, self.seq, self.timestamp = record.task, record.seq, record.timestamp
        self.stage, self.answered_by, self.used_llm = record.stage, record.answered_by, used_llm
        self.input, self.output, self.expected = record.input, record.output, record.expected
        self.code_output, self.code_confidence = record.code_output, record.code_confidence
        self.code_version, self.llm_output = record.code_version, record.llm_output
        self.audited = record.audited
        if record.check is not None:
            self.check: str | None = record.check
        elif record.answered_by == "llm" and record.code_confidence is not None:
            self.check = "shadow"
        else:
            self.check = None
        self.success, self.error = record.success, record.error
        self.latency_ms, self.cost = record.latency_ms, record.cost
        self.input_tokens, self.output_tokens = record.input_tokens, record.output_tokens
        self._text: str | None = None

    @property
    def agreed(self) -> bool | None:
        """Whether the checked answer matched the LLM's (``None`` when nothing was checked)."""
        if self.llm_output is None:
            return None
        if self.check == "audit":
            return _same(self.audited, self.llm_output)
        if self.check == "shadow":
            return _same(self.code_output, self.llm_output)
        return None

    @property
    def correct(self) -> bool | None:
        """Whether the answer matched the ground truth (``None`` without one)."""
        if self.expected is None or not self.success:
            return None
        return _same(self.output, self.expected)

    def text(self) -> str:
        """Lower-case text of the input, the answers and the error, for search."""
        if self._text is None:
            parts = (self.input, self.output, self.code_output, self.llm_output, self.error,
                     self.expected)
            self._text = " ".join(_show(p) for p in parts if p is not None).casefold()
        return self._text

    def as_dict(self) -> dict[str, Any]:
        """Every column, JSON-safe."""
        return {column: getattr(self, column) for column in COLUMNS}


def _same(a: Any, b: Any) -> bool:
    from evomachine.evolution.stages import same_answer

    return same_answer(a, b)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _llm_was_asked(record: ExecutionRecord) -> bool:
    return record.llm_output is not None or record.input_tokens > 0 or (
        record.answered_by in ("llm", "none") and record.code_output is None)


#: The named filters of :meth:`TraceBook.select`.
FILTERS: dict[str, Callable[[Trace], bool]] = {
    "all": lambda t: True,
    "disagreements": lambda t: t.agreed is False,
    "errors": lambda t: not t.success or t.error is not None,
    "code": lambda t: t.answered_by == "code",
    "llm": lambda t: t.answered_by == "llm",
    "memo": lambda t: t.answered_by == "memo",
    "checks": lambda t: t.check is not None,
    "audits": lambda t: t.check == "audit",
    "shadow": lambda t: t.check == "shadow",
    "wrong": lambda t: t.correct is False,
}


def predicate(where: TraceFilter) -> Callable[[Trace], bool]:
    """The test a filter name (or function, or ``None`` for all) stands for."""
    if where is None:
        return FILTERS["all"]
    if callable(where):
        return where
    test = FILTERS.get(where)
    if test is None:
        raise ValueError(f"unknown trace filter {where!r}; use one of {', '.join(FILTERS)}")
    return test


class TraceBook:
    """The newest ``limit`` traces of each task, in memory.

    A task's traces follow its history object: when the executor gets another
    history for the task (a restore, a rollback, an import) they start again
    from that history's recent records.
    """

    def __init__(self, limit: int = 100_000):
        if limit < 1:
            raise ValueError(f"trace limit must be >= 1, got {limit}")
        self.limit = limit
        self._tasks: dict[str, tuple[TaskHistory, deque[Trace]]] = {}
        self.version = 0  # counts changes, so readers can cache a selection

    def set_limit(self, limit: int) -> None:
        """Keep at most ``limit`` traces per task from now on (the oldest go first)."""
        if limit < 1:
            raise ValueError(f"trace limit must be >= 1, got {limit}")
        self.limit = limit
        self._tasks = {task: (history, deque(traces, maxlen=limit))
                       for task, (history, traces) in self._tasks.items()}
        self.version += 1

    def add(self, history: TaskHistory, record: ExecutionRecord, used_llm: bool) -> None:
        """Keep ``record`` (just added to ``history``) as the task's newest trace."""
        entry = self._tasks.get(record.task)
        if entry is None or entry[0] is not history:
            entry = self._seed(record.task, history, history.recent[:-1])
        entry[1].append(Trace(record, used_llm))
        self.version += 1

    def _seed(self, task: str, history: TaskHistory, records: Iterable[ExecutionRecord]
              ) -> tuple[TaskHistory, deque[Trace]]:
        entry = (history, deque((Trace(r, _llm_was_asked(r)) for r in records),
                                maxlen=self.limit))
        self._tasks[task] = entry
        self.version += 1
        return entry

    def all(self, task: str, history: TaskHistory) -> deque[Trace]:
        """Every kept trace of ``task`` (whose history is ``history``), oldest first."""
        entry = self._tasks.get(task)
        if entry is None or entry[0] is not history:
            entry = self._seed(task, history, history.recent)
        return entry[1]

    def select(self, task: str, history: TaskHistory, where: TraceFilter = None,
               search: str | None = None) -> list[Trace]:
        """The task's kept traces passing ``where`` and containing ``search``, oldest first."""
        test = predicate(where)
        needle = (search or "").strip().casefold()
        traces = self.all(task, history)
        if not needle:
            return [t for t in traces if test(t)]
        return [t for t in traces if test(t) and needle in t.text()]

    def count(self, task: str) -> int:
        entry = self._tasks.get(task)
        return len(entry[1]) if entry else 0


def to_jsonl(traces: Iterable[Trace]) -> str:
    """One JSON object a line, every column."""
    return "".join(json.dumps(t.as_dict(), ensure_ascii=False, default=str) + "\n"
                   for t in traces)


def to_csv(traces: Iterable[Trace]) -> str:
    """A header and one row a trace; structured values (inputs, answers) as JSON text.

    Cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first)
    get a leading ``'``, so an exported input cannot turn into a formula.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for trace in traces:
        writer.writerow([_cell(getattr(trace, column)) for column in COLUMNS])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = _show(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
