"""Headless runs: ``python -m evomachine evolve MACHINE --data FILE.jsonl --steps N``.

``python -m evomachine traces MACHINE --store ...`` shows a stored run's executions
(:mod:`evomachine.cli_traces`); ``export-js`` writes a task's code as a JavaScript
ES module with a ``.d.ts`` (:mod:`evomachine.cli_export`).

The model is a :class:`SimulatedLLM` answering from the data's ground truth
(each task's ``ground_truth`` field, or ``--label``) with ``--accuracy``, or a
real provider (``--provider``/``--preset``, see :mod:`evomachine.cli_llm`), with
``--concurrency`` requests in flight;
the run shows a progress bar on stderr and ends with a table per task on
stdout: stage, executions, LLM calls, cost, cost saved against an LLM-only
run (the LLM's measured mean cost per call × executions) and accuracy
against ground truth. ``--store`` persists the executor and resumes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO


class CLIError(Exception):
    """A problem with the command's input, reported without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evomachine",
                                     description="Run EvoMachine machines headless.")
    commands = parser.add_subparsers(dest="command", required=True)
    evolve = commands.add_parser("evolve", allow_abbrev=False,
                                 help="run a machine over a data set and let its tasks evolve")
    add = evolve.add_argument
    add("machine", type=Path, help="the .machine file")
    add("--data", type=Path, required=True,
        help="records for the Input node: JSON Lines, a JSON array or CSV/TSV")
    add("--steps", type=int, default=1000, help="machine steps to run (default 1000)")
    add("--store", help="persist and resume, e.g. sqlite:run.db or memory")
    add("--fresh", action="store_true", help="ignore a saved run in --store")
    add("--report", type=Path,
        help="write a report here: self-contained HTML for .html/.htm, else metrics as JSON")
    add("--accuracy", type=float, default=0.95, help="simulated LLM accuracy (0.95)")
    add("--error-rate", type=float, default=0.0, help="simulated LLM error rate (0)")
    add("--label", help="ground-truth field, or TASK=FIELD,... per task, for the simulated LLM "
                        "(default: the machine's ground_truth)")
    add("--seed", type=int, default=0, help="seed for the LLM and shadow checks")
    add("--quiet", action="store_true", help="no progress bar")
    add("--traces", type=Path, help="write every kept execution here (.csv, else JSON Lines)")
    from evomachine import cli_llm, cli_traces

    cli_llm.add_arguments(add)

    cli_traces.add_parser(commands)
    from evomachine import cli_export

    cli_export.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "traces":
            from evomachine import cli_traces

            return asyncio.run(cli_traces.run(args, sys.stdout, sys.stderr, fail=CLIError))
        if args.command == "export-js":
            from evomachine import cli_export

            return asyncio.run(cli_export.run(args, sys.stdout, sys.stderr, fail=CLIError))
        return asyncio.run(evolve(args, sys.stdout, sys.stderr))
    except CLIError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def read_records(path: Path, err: TextIO | None = None) -> list[dict[str, Any]]:
    """The records of a data file, read as the page reads it (:mod:`evomachine.datafile`):
    JSON Lines, a JSON array or CSV/TSV, in UTF-8, UTF-16 or (with a notice on ``err``)
    Latin-1; a bad line or ragged row is reported with its number."""
    from evomachine.datafile import DataError, read_data

    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CLIError(f"cannot read data file {path}: {error.strerror}") from None
    try:
        data = read_data(raw, path.name)
    except DataError as error:
        raise CLIError(f"{path}: {error}") from None
    if data.notice and err is not None:
        print(f"note: {path}: {data.notice}", file=err)
    return data.records


def machine_text(path: Path) -> str:
    """A machine file's text: UTF-8, a byte-order mark allowed (some editors write one)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CLIError(f"cannot read machine file {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise CLIError(f"{path} is not UTF-8 text (byte {error.start:,}: "
                       f"{error.object[error.start:error.start + 1]!r}); save it as UTF-8"
                       ) from None


def load_machine(path: Path) -> Any:
    from evomachine.dsl import DSLError, parse_machine

    text = machine_text(path)
    try:
        return parse_machine(text)
    except DSLError as error:
        raise CLIError(f"{path}: {error}") from None


async def evolve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from evomachine.evolution import EvolutionaryExecutor
    from evomachine.executor import ExecutionError

    if args.steps < 0:
        raise CLIError("--steps must be >= 0")
    machine = load_machine(args.machine)
    records = read_records(args.data, err)
    from evomachine.dsl.fields import missing_fields
    from evomachine.dsl.hints import text_hints

    for hint in text_hints(machine_text(args.machine)):
        print(f"warning: {args.machine}:{hint.line}:{hint.column}: {hint.message}", file=err)
    for missing in missing_fields(machine, records):
        print(f"warning: {args.data}: {missing}", file=err)
    llm = make_llm(args, machine, records)
    from evomachine.cli_llm import unpriced_models

    for model in unpriced_models(args, machine):
        print(f"warning: no price is known for model {model!r}: its calls count as $0 and "
              f"nothing shows as saved; give --prices FILE with "
              f"{{\"{model}\": [input, output]}} in USD per million tokens", file=err)
    storage = open_storage(args.store)
    executor = None
    if storage is not None and not args.fresh:
        machine_id = EvolutionaryExecutor(machine).machine_id
        executor = await saved_run(storage, machine_id, args.store, llm=llm, inputs=records)
        if executor is not None and executor.machine != machine:
            # It would resume with the machine it was saved with, and the edit would do nothing.
            raise CLIError(f"{args.machine} is not the machine of the run of {machine_id!r} "
                           f"saved in {args.store}: it was changed since. --fresh starts it "
                           "afresh and replaces the saved run")
        if executor is not None:
            print(f"resuming {machine_id!r} from {args.store} at input record "
                  f"{executor.input_cursor}", file=err)
    if executor is None:
        executor = EvolutionaryExecutor(machine, {}, storage, llm=llm, inputs=records,
                                        seed=args.seed)
    started = time.perf_counter()
    progress = Progress(args.steps, err, enabled=not args.quiet)
    streak = FailureStreak(executor)
    taken, first_step = 0, executor.step_count
    stuck = None  # the machine cannot go on (no edge fits an answer): what it said
    while taken < args.steps:  # in chunks, for the progress bar; requests stay in flight
        try:
            done = await executor.run(min(progress.every, args.steps - taken),
                                      concurrency=args.concurrency, stop=streak.observe)
        except ExecutionError as error:  # the steps before it stand: save and report them
            stuck, taken = str(error), executor.step_count - first_step
            break
        taken += len(done)
        progress.update(taken, executor)
        if not done or executor.halted or streak.stopped:
            break
    if streak.stopped or stuck:  # what was sent ahead would only fail the same way
        executor.prefetch.cancel_unfinished()
    await executor.prefetch.settle()
    progress.done(taken, executor)
    if storage is not None:
        await executor.flush()
    elapsed = time.perf_counter() - started
    summary = summarize(executor)
    out.write(render_table(summary, taken, elapsed))
    failing = failures(executor)
    for line in failing:
        print(line, file=err)
    if args.report:
        report = {"machine_id": executor.machine_id, "steps": taken, "seconds": round(elapsed, 3),
                  "llm": llm.describe(), "concurrency": args.concurrency,
                  "prefetch": executor.prefetch.report(executor.input_cursor),
                  "tasks": executor.get_task_metrics(),
                  "summary": summary, "mutations": executor.get_mutations()}
        if args.report.suffix.lower() in (".html", ".htm"):
            from evomachine.report import render_html

            facts = {"Steps": taken, "LLM": llm.describe(), "Concurrency": args.concurrency}
            args.report.write_text(render_html(executor, run=facts), encoding="utf-8")
        else:
            args.report.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    if args.traces:
        from evomachine import cli_traces

        cli_traces.write_file(args.traces, cli_traces.select(executor, None, "all", ""))
    if stuck:
        print(f"error: the run stopped after {taken:,} of {args.steps:,} steps: {stuck}; "
              f"fix the machine, then run again{' with --fresh' if storage else ''}", file=err)
        return 1
    if streak.stopped:
        print(f"error: {streak.count} task executions in a row failed"
              f"{'' if streak.succeeded else ' and none succeeded'}, so the run stopped after "
              f"{taken:,} of {args.steps:,} steps; the last: {streak.last}", file=err)
        return 1
    ran = [history for history in executor.histories.values() if history.seen]
    if ran and not any(record.success for history in ran for record in history.recent):
        print("error: no task execution succeeded (see above)", file=err)
        return 1
    return 0


class FailureStreak:
    """Stops a run that can only fail: the first ``first`` task executions all failed (an LLM
    that cannot be reached, a key refused: each would fail the same way, after its own
    retries), or ``later`` in a row failed after some succeeded (the provider went down). A
    task that fails now and then, even half the time, runs on: 50 failures in a row at a
    failure rate of one half happen once in 10^15 executions."""

    def __init__(self, executor: Any, first: int = 10, later: int = 50):
        self.tasks, self.first, self.later = executor.tasks, first, later
        self.count, self.last, self.succeeded = 0, "", False

    @property
    def stopped(self) -> bool:
        return self.count >= (self.later if self.succeeded else self.first)

    def observe(self, step: Any) -> bool:
        """After each step: True to stop the run."""
        if step.node in self.tasks:
            self.count = self.count + 1 if step.error else 0
            self.succeeded = self.succeeded or not step.error
            self.last = step.error or ""
        return self.stopped


def failures(executor: Any) -> list[str]:
    """Per task with failed executions among those kept: how many, and the commonest reasons."""
    from collections import Counter

    lines = []
    for name, history in executor.histories.items():
        failed = [record for record in history.recent if not record.success]
        if not failed:
            continue
        reasons = Counter((record.error or "no reason given")[:300] for record in failed)
        lines.append(f"{name}: {len(failed)} of {len(history.recent)} executions failed")
        lines += [f"    {count} x {reason}" for reason, count in reasons.most_common(3)]
    return lines


def make_llm(args: argparse.Namespace, machine: Any, records: list[dict[str, Any]]) -> Any:
    """The simulated model answering from ground truth, or the real provider asked for."""
    from evomachine import cli_llm
    from evomachine.llm.simulated import SimulatedLLM

    try:
        cli_llm.check(args)
        if cli_llm.provider_of(args) != "simulated":
            return cli_llm.real_provider(args)
    except cli_llm.ProviderError as error:
        raise CLIError(str(error)) from None
    label = parse_label(args.label) if args.label else truth_of(machine)
    if not label:
        raise CLIError("the simulated LLM answers from ground truth: give the Input node "
                       "a ground_truth attribute or pass --label FIELD")
    try:
        return SimulatedLLM.from_records(records, label, accuracy=args.accuracy,
                                         error_rate=args.error_rate, seed=args.seed,
                                         price=(3.0, 15.0), latency_ms=(400.0, 150.0),
                                         sleep=args.wait)
    except ValueError as error:
        raise CLIError(str(error)) from None


def parse_label(text: str) -> str | dict[str, str]:
    """``--label``: one field, or ``task=field,task=field``."""
    if "=" not in text:
        return text
    pairs = [part.partition("=") for part in text.split(",") if part.strip()]
    if any(not task.strip() or not field.strip() for task, _, field in pairs):
        raise CLIError(f"--label {text!r}: write FIELD or TASK=FIELD,TASK=FIELD")
    return {task.strip(): field.strip() for task, _, field in pairs}


def truth_of(machine: Any) -> dict[str, str]:
    """The machine's ``{task: field}`` ground truth (validated when it was parsed)."""
    from evomachine.dsl.truth import truth_fields

    return truth_fields(machine)


async def saved_run(storage: Any, machine_id: str, store: str, **options: Any) -> Any:
    """The run saved under ``machine_id``, or ``None`` when there is none. A damaged one is a
    :class:`CLIError` naming the damage: it is never taken for a missing run and replaced."""
    from evomachine.evolution import EvolutionaryExecutor
    from evomachine.evolution.snapshot import MissingHistoryError
    from evomachine.storage import StorageError

    try:
        return await EvolutionaryExecutor.restore(storage, machine_id, **options)
    except MissingHistoryError as error:
        damage = str(error)
    except LookupError:
        return None
    except (StorageError, KeyError, TypeError, ValueError, AttributeError) as error:
        damage = f"{type(error).__name__}: {str(error)[:300]}"
    raise CLIError(f"the run of {machine_id!r} saved in {store} cannot be read ({damage}); "
                   "it is left as it is: --fresh starts the machine again and replaces it")


async def restore_stored_run(args: argparse.Namespace, fail: Any) -> Any:
    """The run of ``args.machine`` last saved in ``args.store`` (``fail`` if there is none)."""
    from evomachine.evolution import EvolutionaryExecutor

    machine = load_machine(args.machine)
    storage = open_storage(args.store)
    machine_id = EvolutionaryExecutor(machine).machine_id
    executor = await saved_run(storage, machine_id, args.store)
    if executor is None:
        raise fail(f"no run of {machine_id!r} in {args.store}: run evolve --store first")
    return executor


def open_storage(kind: str | None) -> Any:
    if not kind:
        return None
    from evomachine.storage import create_storage

    try:
        return create_storage(kind)
    except (ValueError, TypeError, RuntimeError) as error:
        raise CLIError(f"--store {kind}: {error}") from None


class Progress:
    """A one-line text progress bar on ``stream``, redrawn at most 100 times."""

    def __init__(self, total: int, stream: TextIO, *, enabled: bool = True, width: int = 30):
        self.total, self.stream, self.enabled, self.width = max(total, 1), stream, enabled, width
        isatty = getattr(stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        # a terminal redraws one line 100 times; a log gets ten lines
        self.every = max(1, self.total // (100 if self.tty else 10))
        self.last = 0

    def update(self, done: int, executor: Any) -> None:
        if self.enabled and done % self.every == 0:
            self._draw(done, executor)

    def done(self, done: int, executor: Any) -> None:
        if self.enabled:
            if done != self.last or not done:
                self._draw(done, executor)
            if self.tty:
                self.stream.write("\n")
            self.stream.flush()

    def _draw(self, done: int, executor: Any) -> None:
        self.last = done
        filled = int(self.width * done / self.total)
        stages = " ".join(f"{name}={stage}" for name, stage in executor.stages().items())
        bar = "#" * filled + "." * (self.width - filled)
        line = f"[{bar}] {done}/{self.total} steps  {stages}"
        self.stream.write(f"\r{line:<{self.width + 60}}" if self.tty else line + "\n")
        self.stream.flush()


def summarize(executor: Any) -> dict[str, dict[str, Any]]:
    """Per task: the table's figures, and why the task is at its stage (next step, figures)."""
    from evomachine.why import why

    rows = {}
    for name, metrics in executor.get_task_metrics().items():
        rows[name] = {
            "stage": metrics["stage"],
            "executions": metrics["execution_count"],
            "llm_calls": metrics["llm_calls"],
            "cost": metrics["performance_metrics"]["total_cost"],
            "llm_only_cost": metrics["llm_only_cost_estimate"],
            "cost_saved": metrics["cost_saved"],
            "accuracy": metrics["accuracy"],
            **why(metrics, executor.tasks[name].last_synthesis, executor.tasks[name].policy),
        }
    return rows


def render_table(summary: dict[str, dict[str, Any]], steps: int, seconds: float) -> str:
    header = ("task", "stage", "executions", "LLM calls", "cost $", "saved $", "saved %",
              "accuracy")
    rows = [header]
    for name, row in summary.items():
        saved, baseline = row["cost_saved"], row["llm_only_cost"]
        rows.append((
            name, row["stage"], str(row["executions"]), str(row["llm_calls"]),
            f"{row['cost']:.4f}", "-" if saved is None else f"{saved:.4f}",
            "-" if not baseline else f"{100 * saved / baseline:.1f}",
            "-" if row["accuracy"] is None else f"{100 * row['accuracy']:.1f}%",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"{steps} steps in {seconds:.2f}s")
    for name, row in summary.items():
        if row.get("next_step"):
            lines.append(f"{name}: {row['next_step']}")
        lines += [f"    {figure}" for figure in row.get("figures") or ()]
    return "\n".join(lines) + "\n"
