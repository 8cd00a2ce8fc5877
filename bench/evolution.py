"""Evolution against an always-LLM baseline on every example workload.

    .venv/bin/python bench/evolution.py [--executions 2000] [--accuracy 0.95] [--seed 7]

For each workload, two runs over the same records with the same simulated
LLM (``--accuracy`` right, priced per token like a mid-size hosted model,
latency 400 ± 150 ms recorded, not slept): an ``EvolutionaryExecutor`` with
automatic evolution, and the same executor with evolution switched off (the
LLM answers every execution). Both stop after ``--executions`` task
executions. Reported: total LLM cost, LLM calls avoided, accuracy against the
data's ground truth, per-execution latency p50/p95 and the final stage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "py_src"))

from _harness import table  # noqa: E402

from evomachine import EvolutionaryExecutor, SimulatedLLM, parse_machine  # noqa: E402

PRICE = (3.0, 15.0)  # $ per million input / output tokens
LATENCY_MS = (400.0, 150.0)


def load(entry: dict) -> tuple[object, list[dict]]:
    base = ROOT / "examples"
    machine = parse_machine((base / entry["machine"]).read_text())
    records = [json.loads(line) for line in (base / entry["data"]).read_text().splitlines() if line]
    return machine, records


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def one_run(entry: dict, executions: int, accuracy: float, seed: int, evolve: bool,
                  policy: dict | None = None) -> dict:
    machine, records = load(entry)
    llm = SimulatedLLM.from_records(records, entry["ground_truth"], accuracy=accuracy, seed=seed,
                                    price=PRICE, latency_ms=LATENCY_MS)
    executor = EvolutionaryExecutor(machine, {}, None, llm=llm, inputs=records, seed=seed,
                                    history_limit=executions + 10,
                                    policy={**(policy or {}), "auto_evolve": evolve})
    task = entry["task"]
    started = time.perf_counter()
    history = executor.histories[task]
    for _ in range(executions * 10):
        if history.seen >= executions:  # one history record per execution
            break
        if await executor.step() is None:
            break
    seconds = time.perf_counter() - started
    metrics = executor.task_metrics(task)
    latencies = [r.latency_ms for r in executor.histories[task].recent]
    return {
        "executions": metrics["execution_count"],
        "llm_calls": metrics["llm_calls"],
        "cost": metrics["performance_metrics"]["total_cost"],
        "accuracy": metrics["accuracy"],
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": percentile(latencies, 0.95),
        "stage": metrics["stage"],
        "stages_seen": sorted({m["data"]["to_stage"] for m in executor.get_mutations()
                               if m["type"] == "task_evolution"}),
        "seconds": seconds,
    }


async def main_async(args: argparse.Namespace) -> list[dict]:
    entries = json.loads((ROOT / "examples" / "index.json").read_text())
    if args.only:
        entries = [e for e in entries if e["name"] in args.only]
    results = []
    for entry in entries:
        baseline = await one_run(entry, args.executions, args.accuracy, args.seed, evolve=False)
        evolved = await one_run(entry, args.executions, args.accuracy, args.seed, evolve=True,
                                policy=args.policy)
        results.append({"workload": entry["name"], "baseline": baseline, "evolved": evolved})
        print(f"  {entry['name']}: done in {evolved['seconds']:.1f} s", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--accuracy", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", nargs="*", help="workload names (default: all)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--policy", type=json.loads, default={},
                        help='evolution policy overrides as JSON, e.g. \'{"shadow_rate": 0.2}\'')
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    rows = []
    for result in results:
        base, evo = result["baseline"], result["evolved"]
        avoided = 1 - evo["cost"] / base["cost"] if base["cost"] else 0.0
        rows.append([
            result["workload"], evo["stage"],
            f"${base['cost']:.3f}", f"${evo['cost']:.3f}", f"{100 * avoided:.1f}%",
            f"{base['llm_calls'] - evo['llm_calls']}/{base['llm_calls']}",
            f"{100 * base['accuracy']:.1f}%", f"{100 * evo['accuracy']:.1f}%",
            f"{100 * (evo['accuracy'] - base['accuracy']):+.1f}",
            f"{base['p50']:.0f}/{base['p95']:.0f}", f"{evo['p50']:.1f}/{evo['p95']:.0f}",
        ])
    print(f"\nEvolution vs always-LLM, {args.executions} executions per workload, simulated LLM "
          f"{100 * args.accuracy:.0f}% accurate at ${PRICE[0]}/${PRICE[1]} per M tokens\n")
    print(table(["workload", "final stage", "LLM-only cost", "evolved cost", "cost avoided",
                 "LLM calls avoided", "LLM-only acc.", "evolved acc.", "Δ acc. (pts)",
                 "LLM-only p50/p95 ms", "evolved p50/p95 ms"], rows))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
