"""``python -m evomachine traces``: a stored run's executions, filtered, as a table, CSV or JSONL.

The run is the one ``evolve --store`` saved; its traces are the newest records of
each task's persisted history (``history_limit`` per task). ``evolve --traces FILE``
writes every trace a run kept (``trace_limit`` per task) when it ends instead.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, TextIO

from evomachine.traces import FILTERS, Trace, to_csv, to_jsonl

FORMATS = ("table", "csv", "jsonl")
CELL = 48  # characters of an input or answer a table cell shows
TABLE_ROWS = 20  # a table shows the newest 20 executions per task unless --last says


def add_parser(commands: Any) -> None:
    traces = commands.add_parser("traces", help="show or export a stored run's executions")
    add = traces.add_argument
    add("machine", type=Path, help="the .machine file of the run")
    add("--store", required=True, help="where evolve --store saved it, e.g. sqlite:run.db")
    add("--task", action="append", help="only this task (repeatable; default: every task)")
    add("--where", default="all", choices=list(FILTERS), help="which executions (default all)")
    add("--search", default="", help="only executions whose input, answers or error hold this")
    add("--format", default="table", choices=FORMATS, help="table (default), csv or jsonl")
    add("--last", type=int, default=None,
        help="the newest N executions per task (default: 20 in a table, all in csv/jsonl)")
    add("--out", type=Path, help="write here instead of stdout")


def select(executor: Any, tasks: list[str] | None, where: str, search: str) -> list[Trace]:
    """The traces of ``tasks`` (default all) passing ``where`` and ``search``, task by task."""
    names = tasks or list(executor.tasks)
    unknown = [t for t in names if t not in executor.tasks]
    if unknown:
        raise ValueError(f"no task {', '.join(map(repr, unknown))}; tasks: "
                         f"{', '.join(executor.tasks) or 'none'}")
    return [t for name in names for t in executor.traces(name, where, search=search)]


def write_file(path: Path, traces: list[Trace]) -> None:
    """CSV when ``path`` ends in .csv, else JSON Lines."""
    text = to_csv(traces) if path.suffix.lower() == ".csv" else to_jsonl(traces)
    path.write_text(text, encoding="utf-8")


def newest(traces: list[Trace], last: int) -> list[Trace]:
    """The newest ``last`` of each task's traces, in their order."""
    per_task: dict[str, list[Trace]] = {}
    for trace in traces:
        per_task.setdefault(trace.task, []).append(trace)
    kept = {id(t) for rows in per_task.values() for t in (rows[-last:] if last > 0 else [])}
    return [t for t in traces if id(t) in kept]


def render(traces: list[Trace], last: int) -> str:
    """A plain table: the newest ``last`` rows of each task, newest first."""
    header = ("task", "#", "stage", "by", "check", "agreed", "output", "code", "llm", "error",
              "input")
    rows = [header]
    per_task: dict[str, list[Trace]] = {}
    for trace in traces:
        per_task.setdefault(trace.task, []).append(trace)
    for task, kept in per_task.items():
        for t in reversed(kept[-last:] if last > 0 else []):
            agreed = "" if t.agreed is None else ("yes" if t.agreed else "NO")
            rows.append((task, str(t.seq), t.stage, t.answered_by, t.check or "", agreed,
                         _cut(t.output), _cut(t.code_output), _cut(t.llm_output),
                         _cut(t.error), _cut(t.input)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = ["  ".join([*(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)), r[-1]])
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in [*widths, 5]))
    counts = ", ".join(f"{task}: {len(kept)}" for task, kept in per_task.items()) or "none"
    lines.append(f"{len(traces)} executions match ({counts})")
    return "\n".join(lines) + "\n"


#: C0 and C1 controls and DEL: an LLM's answer holding ``ESC ] 52`` would write the
#: terminal's clipboard, ``ESC ] 0`` its title (red team rt11). Cells show them escaped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _cut(value: Any) -> str:
    """A table cell: one line, control characters escaped, at most ``CELL`` characters."""
    if value is None:
        return ""
    from evomachine.traces import _show

    text = _CONTROL.sub(_escaped, " ".join(_show(value).split()))
    return text if len(text) <= CELL else text[: CELL - 1] + "…"


async def run(args: argparse.Namespace, out: TextIO, err: TextIO, *, fail: Any) -> int:
    """The ``traces`` command; ``fail(message)`` is the CLI's error."""
    from evomachine.cli import restore_stored_run

    executor = await restore_stored_run(args, fail)
    try:
        traces = select(executor, args.task, args.where, args.search)
    except ValueError as error:
        raise fail(str(error)) from None
    if args.format == "table":
        text = render(traces, TABLE_ROWS if args.last is None else args.last)
    else:
        if args.last is not None:
            traces = newest(traces, args.last)
        text = to_csv(traces) if args.format == "csv" else to_jsonl(traces)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {len(traces)} executions to {args.out}", file=err)
    else:
        # CSV and JSON Lines keep answers as they are, for a file or a pipe; a terminal gets
        # their control characters escaped, as the table shows them (ESC ] 52 writes the
        # clipboard).
        out.write(_CONTROL.sub(_escaped, text) if args.format != "table" and _tty(out) else text)
    return 0


def _escaped(match: re.Match[str]) -> str:
    return match.group() if match.group() in "\n\r\t" else repr(match.group())[1:-1]


def _tty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
