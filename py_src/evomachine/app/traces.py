"""The lab's trace table: a window of one task's filtered traces, one trace whole, an export.

Mixed into ``Lab``. The page scrolls a virtual table, so it asks for the rows
it shows (``offset``/``limit``, newest first); the filtered selection is kept
until the task's traces, the filter or the search change, so scrolling does
not filter again.
"""

from __future__ import annotations

from typing import Any

from evomachine.app.errors import LabError
from evomachine.app.lab_state import LabState
from evomachine.app.views import dumps
from evomachine.traces import FILTERS, Trace, to_csv, to_jsonl

MAX_WINDOW = 500
SHORT = 160  # characters of an input or an error a table row shows
DETAIL = 20_000  # characters of each value the open trace shows (a 30 MB answer held the
# page's main thread for 13 s while the browser laid it out)
DETAIL_FIELDS = ("input", "output", "llm_output", "code_output", "audited", "error", "prompt")
EXPORT_FORMATS = ("csv", "jsonl")


def _short(value: Any) -> Any:
    if value is None:
        return None
    text = value if isinstance(value, str) else dumps(value)
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _detail(value: Any) -> Any:
    """``value`` as the open trace shows it: whole up to :data:`DETAIL` characters, else its
    start and how much more there is (the export has it whole)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else dumps(value)
    if len(text) <= DETAIL:
        return value
    return (f"{text[:DETAIL]}… ({len(text) - DETAIL:,} more characters; the JSONL export "
            "has it whole)")


def row(trace: Trace) -> dict[str, Any]:
    """What a table row shows."""
    return {
        "seq": trace.seq, "stage": trace.stage, "by": trace.answered_by, "check": trace.check,
        "agreed": trace.agreed, "input": _short(trace.input), "output": _short(trace.output),
        "code": _short(trace.code_output), "code_confidence": trace.code_confidence,
        "llm": _short(trace.llm_output), "correct": trace.correct, "error": _short(trace.error),
        "latency_ms": trace.latency_ms, "cost": trace.cost,
    }


class TraceMixin(LabState):
    """Trace queries for the page (see ``Lab``)."""

    _trace_cache: tuple[tuple[Any, ...], list[Trace]] | None = None

    def _selection(self, task: str, where: str, search: str) -> list[Trace]:
        ex = self._require()
        if task not in ex.tasks:
            raise LabError(f"no task {task!r}; tasks: {', '.join(ex.tasks) or 'none'}")
        if where not in FILTERS:
            raise LabError(f"unknown trace filter {where!r}; use one of {', '.join(FILTERS)}")
        key = (id(ex), task, where, search, ex.trace_book.version, id(ex.histories[task]))
        cached = self._trace_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        selection = ex.traces(task, where, search=search)
        self._trace_cache = (key, selection)
        return selection

    async def traces(self, task: str, where: str = "all", search: str = "", offset: int = 0,
                     limit: int = 100, newest: int | None = None) -> str:
        """``{total, kept, limit, stored, version, offset, rows, newest, above}``: rows
        ``offset``… of the selection, newest first (``kept`` counts the task's traces before
        filtering, ``limit`` how many are kept while the lab runs, ``stored`` how many of
        them a reload brings back; ``newest`` is the newest execution's number).

        With ``newest`` (the newest execution a table saw when it loaded), ``offset`` counts
        from that execution, and ``above`` says how many executions came in over it since:
        pages asked for later line up with the first while a run adds executions, and the
        table can keep the rows a person looks at in place. ``above`` is ``None`` when that
        execution is not in the selection (offsets then count from the newest now).
        """
        selection = self._selection(task, where, search)
        ex = self.executor
        offset, limit = max(0, int(offset)), max(0, min(int(limit), MAX_WINDOW))
        total = len(selection)
        above = None
        if newest is not None:
            seq = int(newest)
            above = next((i for i in range(total) if selection[total - 1 - i].seq == seq), None)
        start = offset + (above or 0)
        window = [row(selection[total - 1 - i]) for i in range(start, min(total, start + limit))]
        return dumps({"task": task, "total": total, "kept": ex.trace_book.count(task),
                      "limit": ex.trace_book.limit, "version": ex.trace_book.version,
                      "stored": ex.histories[task].limit if task in ex.histories else 0,
                      "offset": offset, "rows": window,
                      "newest": selection[-1].seq if selection else None, "above": above})

    async def trace(self, task: str, seq: int) -> str:
        """One trace, with the prompt its task renders for that input now; a value over
        :data:`DETAIL` characters is cut there, saying by how much."""
        selection = self._selection(task, "all", "")
        seq = int(seq)
        found = next((t for t in reversed(selection) if t.seq == seq), None)
        if found is None:
            raise LabError(f"execution {seq} of {task!r} is no longer kept (the newest "
                           f"{self.executor.trace_book.limit} are)")
        whole = {**found.as_dict(), "prompt": self.executor.trace_prompt(task, found.input)}
        return dumps({key: _detail(value) if key in DETAIL_FIELDS else value
                      for key, value in whole.items()})

    async def export_traces(self, task: str, where: str = "all", search: str = "",
                            format: str = "csv") -> str:
        """``{filename, text, rows}``: the filtered traces, oldest first, as CSV or JSON Lines."""
        if format not in EXPORT_FORMATS:
            raise LabError(f"unknown export format {format!r}; use csv or jsonl")
        selection = self._selection(task, where, search)
        text = to_csv(selection) if format == "csv" else to_jsonl(selection)
        name = f"{self.executor.machine_id}_{task}_{where}_traces.{format}"
        return dumps({"filename": name, "text": text, "rows": len(selection)})
