"""Executor steps per second with a zero-latency SimulatedLLM: CPython beside Pyodide under Node.

    .venv/bin/python bench/executor.py [--steps 3000]

Runs each example machine for ``--steps`` steps with ``MachineExecutor`` (every
task answered by the simulated LLM, so this measures the engine's own cost:
prompt rendering, answer validation, edge choice, history), once in this
CPython and once inside Pyodide 314 under Node, and prints them side by side.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "py_src"))

from evomachine import MachineExecutor, SimulatedLLM, parse_machine  # noqa: E402

MARKER = "EXECUTOR_BENCH "


def load_example(entry: dict) -> tuple[object, list[dict]]:
    base = ROOT / "examples"
    machine = parse_machine((base / entry["machine"]).read_text())
    records = [json.loads(line) for line in (base / entry["data"]).read_text().splitlines() if line]
    return machine, records


def drive(coro):
    """Run a coroutine that never awaits a real future (works in Pyodide without a loop)."""
    try:
        while True:
            coro.send(None)
    except StopIteration as stop:
        return stop.value


async def measure(entry: dict, steps: int) -> dict:
    machine, records = load_example(entry)
    llm = SimulatedLLM.from_records(records, entry["ground_truth"], accuracy=1.0, seed=1)
    executor = MachineExecutor(machine, {}, None, llm=llm, inputs=records)
    started = time.perf_counter()
    done = 0
    while done < steps:
        if await executor.step() is None:
            break
        done += 1
    elapsed = time.perf_counter() - started
    return {"example": entry["name"], "steps": done, "seconds": elapsed,
            "steps_per_s": done / elapsed}


def run_here(steps: int) -> list[dict]:
    entries = json.loads((ROOT / "examples" / "index.json").read_text())
    drive(measure(entries[0], min(steps, 300)))  # warm-up (imports, wasm tiering), not reported
    return [drive(measure(entry, steps)) for entry in entries]


def run_in_pyodide(steps: int) -> list[dict]:
    completed = subprocess.run(
        ["node", str(HERE / "run_python_in_node.mjs"), str(ROOT / "dist"), str(ROOT),
         "/repo/bench/executor.py", "--inner", "--steps", str(steps)],
        capture_output=True, text=True, timeout=900)
    for line in completed.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    raise SystemExit(
        f"the Pyodide run failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(MARKER + json.dumps(run_here(args.steps)))
        return
    cpython = run_here(args.steps)
    pyodide = run_in_pyodide(args.steps)
    from _harness import table

    rows = [[c["example"], str(c["steps"]), f"{c['steps_per_s']:,.0f}", f"{p['steps_per_s']:,.0f}",
             f"{c['steps_per_s'] / p['steps_per_s']:.1f}x"]
            for c, p in zip(cpython, pyodide, strict=True)]
    print(f"MachineExecutor steps/s, zero-latency SimulatedLLM, CPython {sys.version.split()[0]} "
          f"vs Pyodide 314 (Python 3.14) under Node\n")
    print(table(["example", "steps", "CPython steps/s", "Pyodide steps/s", "ratio"], rows))


if __name__ == "__main__":
    main()
