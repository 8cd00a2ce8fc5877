"""What execution traces cost: steps per second with and without them, and a query at 100,000.

    .venv/bin/python bench/traces.py [--steps 3000] [--repeats 3] [--query-rows 100000]

Each example machine runs ``--steps`` steps with an ``EvolutionaryExecutor``
(automatic evolution on, zero-latency simulated LLM at accuracy 0.95), once
with traces kept (the default) and once with the trace book's ``add`` switched
off; runs alternate and the best of ``--repeats`` is kept, so a busy machine
hurts both sides alike. Such A/B figures move by ±10% on a shared machine, so
the table also times what a trace adds to an execution on its own (``add``,
one ``Trace`` and a bounded append) against a step's mean time: that share is
the cost. The issue's budget: traces cost at most 10% of steps/s.
Then one task's book is filled to ``--query-rows`` traces and the queries the
page makes are timed (a filter, a search, a CSV export of the filtered rows).
Timings come from this machine's clock; nothing else reads it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "py_src")]

from _harness import table  # noqa: E402

from evomachine import EvolutionaryExecutor, SimulatedLLM, parse_machine  # noqa: E402
from evomachine.history import ExecutionRecord, TaskHistory  # noqa: E402
from evomachine.traces import TraceBook, to_csv  # noqa: E402


def load(entry: dict) -> tuple[object, list[dict]]:
    base = ROOT / "examples"
    machine = parse_machine((base / entry["machine"]).read_text())
    records = [json.loads(line) for line in (base / entry["data"]).read_text().splitlines()
               if line]
    return machine, records


async def steps_per_s(entry: dict, steps: int, traces: bool) -> tuple[float, float]:
    """Steps per second, and microseconds spent in the trace book's ``add`` per step."""
    machine, records = load(entry)
    llm = SimulatedLLM.from_records(records, entry["ground_truth"], accuracy=0.95, seed=1,
                                    consistent=True)
    ex = EvolutionaryExecutor(machine, {}, None, llm=llm, inputs=records * 4, seed=1)
    add = ex.trace_book.add
    spent = [0.0]

    def timed_add(*args: object) -> None:
        started = time.perf_counter()
        add(*args)  # type: ignore[arg-type]
        spent[0] += time.perf_counter() - started

    ex.trace_book.add = timed_add if traces else (lambda *args: None)  # type: ignore
    started = time.perf_counter()
    done = 0
    while done < steps and await ex.step() is not None:
        done += 1
    elapsed = time.perf_counter() - started
    return done / elapsed, 1e6 * spent[0] / max(done, 1)


def query_times(rows: int) -> list[list[str]]:
    history = TaskHistory(limit=10)
    book = TraceBook(rows)
    labels = ("billing", "tech", "sales")
    for i in range(rows):
        by = ("code", "llm", "memo")[i % 3]
        record = ExecutionRecord(
            task="route", input={"text": f"ticket {i} about invoice {i * 7919 % 10007}"},
            output=labels[i % 3], answered_by=by, llm_output=labels[(i // 7) % 3]
            if by != "memo" else None, code_output=labels[i % 3],
            code_confidence=0.9 if by == "code" else 0.4, check="audit" if i % 11 == 0 else None,
            audited=labels[i % 3] if i % 11 == 0 else None)
        history.add(record)
        book.add(history, record, by == "llm")
    out = []
    for label, work in (
        ("filter: disagreements", lambda: book.select("route", history, "disagreements")),
        ("filter: code", lambda: book.select("route", history, "code")),
        ("search (first, builds text)", lambda: book.select("route", history, None, "invoice 42")),
        ("search (again)", lambda: book.select("route", history, None, "invoice 42")),
        ("CSV of disagreements", lambda: to_csv(book.select("route", history, "disagreements"))),
    ):
        started = time.perf_counter()
        result = work()
        elapsed = (time.perf_counter() - started) * 1000
        size = len(result) if isinstance(result, list) else result.count("\n") - 1
        out.append([label, f"{rows:,}", f"{size:,}", f"{elapsed:.1f}"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--query-rows", type=int, default=100_000)
    args = parser.parse_args()
    entries = json.loads((ROOT / "examples" / "index.json").read_text())
    asyncio.run(steps_per_s(entries[0], 300, True))  # warm-up: imports, sandbox start
    rows = []
    worst = 0.0
    for entry in entries:
        best = {True: 0.0, False: 0.0}
        add_us = float("inf")
        for _ in range(args.repeats):
            for traces in (False, True):
                rate, spent = asyncio.run(steps_per_s(entry, args.steps, traces))
                best[traces] = max(best[traces], rate)
                if traces:
                    add_us = min(add_us, spent)
        step_us = 1e6 / best[False]
        share = add_us / step_us
        worst = max(worst, share)
        rows.append([entry["name"], f"{best[False]:,.0f}", f"{best[True]:,.0f}",
                     f"{100 * (1 - best[True] / best[False]):+.1f}%", f"{step_us:,.0f}",
                     f"{add_us:.2f}", f"{100 * share:.2f}%"])
    print(f"steps/s, best of {args.repeats}, {args.steps} steps, EvolutionaryExecutor")
    print(table(["example", "no traces", "traces", "A/B", "µs/step", "add µs/step",
                 "cost"], rows))
    verdict = "within" if worst <= 0.10 else "OVER"
    print(f"worst cost {100 * worst:.2f}% of a step: {verdict} the 10% budget\n")
    print(table(["query", "kept", "rows", "ms"], query_times(args.query_rows)))


if __name__ == "__main__":
    main()
