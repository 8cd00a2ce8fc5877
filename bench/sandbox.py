"""Cost of one code answer through each sandbox host, and the red-team corpus through the boundary.

    .venv/bin/python bench/sandbox.py [--calls 3000] [--batch 100] [--concurrency 8]
                                      [--deadline 1.0]
                                      [--no-corpus] [--no-speed] [--paths direct ...]

Part 1: per-answer wall time (median, p95, microseconds) and CPU time (host process
plus sandbox child, from /proc/<pid>/schedstat) of ``execute`` on a small regex
classifier and on the naive-Bayes module synthesized from examples/ticket-triage,
through an InProcessHost, a ProcessHost one call at a time, and a ProcessHost with
``execute_many`` (per input of a batch); then one code answer through
``EvolutionaryExecutor.execute_task`` with each host (ticket-triage in code_only), with
its CPU time (host and child) per answer, one call at a time and through ``execute_batch``
(code answers sent across ahead, in batches), and through ``run()`` at concurrency 1 (the
page's runs: one record is three steps) without and with ``code_lookahead`` (per record, all
three steps included). On a shared machine wall times vary with the
load (a pipe round trip waits for the scheduler twice); CPU times much less. Part 2: every
module in tests/unit/hostile_redteam through each of the three ways generated code
arrives (loaded directly, imported as a pattern into a running executor, written by the
LLM and measured by synthesis), a fresh ProcessHost each: outcome, wall time, kills and
the highest peak resident memory (VmHWM from /proc) of the children it used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "py_src"))

from _corpus_paths import PATHS  # noqa: E402

from evomachine.sandbox import InProcessHost, ProcessHost, SandboxError  # noqa: E402

SMALL = '''
import re
WORD = re.compile(r"[a-z]+")

def get_confidence(input):
    return 0.75

def execute(input, context):
    words = WORD.findall(input["text"].lower())
    label = "billing" if "refund" in words or "invoice" in words else "tech"
    return {"output": label, "confidence": 0.75, "metadata": {"words": len(words)}}
'''


def records() -> list[dict[str, Any]]:
    path = ROOT / "examples" / "ticket-triage" / "data.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def naive_bayes(data: list[dict[str, Any]]) -> str:
    """The module the engine would generate for ticket-triage (naive Bayes only)."""
    from evomachine.evolution.synthesis import TaskSpec, synthesize
    from evomachine.history import ExecutionRecord

    spec = TaskSpec(name="route", prompt="Route this ticket: {{ input.text }}",
                    output_schema={"enum": ["billing", "tech", "sales"]})
    history = [ExecutionRecord(task="route", input={"text": r["text"]}, llm_output=r["label"])
               for r in data[:600]]
    result = await synthesize(spec, history, synthesizers=["naive_bayes"])
    return result.code


def stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    median = statistics.median(ordered) * 1e6
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1e6
    return f"{median:8.1f} {p95:8.1f}"


def cpu_ns(host: Any) -> int:
    """CPU time of this process plus the host's sandbox child (if any), in ns."""
    total = time.process_time_ns()
    pid = getattr(host, "pid", None)
    if pid is not None:
        with open(f"/proc/{pid}/schedstat") as stat:
            total += int(stat.read().split()[0])
    return total


async def per_call(host: Any, module: Any, inputs: list[dict[str, Any]],
                   calls: int) -> tuple[list[float], float]:
    for item in inputs[:200]:  # warm-up
        await module.execute(item, {})
    samples = []
    clock = time.perf_counter
    cpu = cpu_ns(host)
    for index in range(calls):
        item = inputs[index % len(inputs)]
        started = clock()
        await module.execute(item, {})
        samples.append(clock() - started)
    return samples, (cpu_ns(host) - cpu) / calls / 1e3


async def per_input_batched(host: Any, module: Any, inputs: list[dict[str, Any]], calls: int,
                            batch: int) -> tuple[list[float], float]:
    samples = []
    cpu = cpu_ns(host)
    for start in range(0, calls, batch):
        chunk = [inputs[(start + i) % len(inputs)] for i in range(batch)]
        started = time.perf_counter()
        results = await module.execute_many(chunk, {})
        samples.append((time.perf_counter() - started) / batch)
        assert not any(isinstance(r, SandboxError) for r in results)
    return samples, (cpu_ns(host) - cpu) / (len(samples) * batch) / 1e3


async def speed(calls: int, batch: int) -> None:
    data = records()
    inputs = [{"text": r["text"]} for r in data]
    modules = {"small regex classifier": SMALL}
    try:
        modules["naive Bayes (ticket-triage)"] = await naive_bayes(data)
    except Exception as error:  # the synthesizer is someone else's moving target
        print(f"(naive Bayes module unavailable: {type(error).__name__}: {error})")
    process, local_host = ProcessHost(), InProcessHost()
    print(f"execute() per answer, microseconds, {calls} calls, CPython {sys.version.split()[0]}\n")
    print(f"{'module':28s} {'host':27s} {'median':>8s} {'p95':>8s} {'CPU':>8s}")
    for name, code in modules.items():
        local = await local_host.load(code, "bench.py")
        remote = await process.load(code, "bench.py")
        for item in inputs[:50]:  # same answers both ways
            assert (await local.execute(item, {})) == (await remote.execute(item, {}))
        rows = [
            ("InProcessHost", await per_call(local_host, local, inputs, calls)),
            ("ProcessHost, one call", await per_call(process, remote, inputs, calls)),
            (f"ProcessHost, batches of {batch}",
             await per_input_batched(process, remote, inputs, calls, batch)),
        ]
        for host, (samples, cpu) in rows:
            print(f"{name:28s} {host:27s} {stats(samples)} {cpu:8.1f}")
    await process.close()


async def through_executor(calls: int, batch: int, concurrency: int) -> None:
    """The issue's measure: one code answer through ``execute_task``, boundary included.

    Ticket triage with the engine's own synthesis, promoted to code_only by hand, no audits,
    no memo (every input a first sighting): what a code answer costs end to end. One call at
    a time (each call waits for its answer), then ``execute_batch`` over ``batch`` inputs at
    ``concurrency``: the executor predicts which upcoming executions run code and sends those
    inputs across in one request while it commits the earlier ones (per answer: the batch's
    wall time over its size). Both on the same executor, same inputs.
    """
    from evomachine import EvolutionaryExecutor, SimulatedLLM, parse_machine

    data = records()
    machine = parse_machine((ROOT / "examples/ticket-triage/ticket-triage.machine").read_text())
    print(f"\nexecute_task() per code answer, microseconds, ticket-triage in code_only, "
          f"{calls} calls\n")
    print(f"{'host':42s} {'synthesizer':12s} {'median':>8s} {'p95':>8s} {'CPU':>8s}")
    for name, host in (("InProcessHost", InProcessHost()), ("ProcessHost", ProcessHost())):
        llm = SimulatedLLM.from_records(data, "label", seed=7)
        ex = EvolutionaryExecutor(machine, {}, None, llm=llm, seed=7, memo=False,
                                  audit_rate=0.0, auto_evolve=False, sandbox=host)
        for row in data[:400]:
            await ex.execute_task("route", {"text": row["text"]})
        for _ in range(3):
            await ex.trigger_evolution("route")
        rest = data[400:]
        samples = []
        cpu = cpu_ns(host)
        for index in range(calls):
            row = rest[index % len(rest)]
            started = time.perf_counter()
            result = await ex.execute_task("route", {"text": row["text"], "n": index})
            samples.append(time.perf_counter() - started)
            assert not result.used_llm
        used = (cpu_ns(host) - cpu) / calls / 1e3
        synthesizer = str(ex.tasks["route"].synthesizer)
        print(f"{name + ', one call':42s} {synthesizer:12s} {stats(samples)} {used:8.1f}")
        samples = []
        cpu = cpu_ns(host)
        for start in range(0, calls, batch):
            inputs = [{"text": rest[(start + i) % len(rest)]["text"], "n": start + i}
                      for i in range(batch)]
            started = time.perf_counter()
            results = await ex.execute_batch("route", inputs, concurrency=concurrency)
            samples.append((time.perf_counter() - started) / batch)
            assert not any(r.used_llm for r in results)
        used = (cpu_ns(host) - cpu) / (len(samples) * batch) / 1e3
        label = f"{name}, execute_batch of {batch} (K={concurrency})"
        print(f"{label:42s} {synthesizer:12s} {stats(samples)} {used:8.1f}")
        for lookahead in (0, 32):  # the page's runs: step() at concurrency 1
            samples = []
            cpu = cpu_ns(host)
            ex.code_lookahead = lookahead
            for start in range(0, calls, batch):
                ex.set_inputs([{"text": rest[(start + i) % len(rest)]["text"], "n": -start - i}
                               for i in range(batch)])
                started = time.perf_counter()
                await ex.run(3 * batch)
                samples.append((time.perf_counter() - started) / batch)
            used = (cpu_ns(host) - cpu) / (len(samples) * batch) / 1e3
            label = f"{name}, run() code_lookahead={lookahead}"
            print(f"{label:42s} {synthesizer:12s} {stats(samples)} {used:8.1f}")
        await host.close()


async def corpus(deadline: float, paths: list[str]) -> None:
    """Every red-team module through each loading path, a fresh ProcessHost each: contained?

    "contained" means the call or the path ended within 2 s of wall time, every sandbox
    child it used stayed under 512 MB (the highest VmHWM of them), and the host (and, for a
    pattern, the executor) went on working.
    """
    folder = ROOT / "tests" / "unit" / "hostile_redteam"
    print(f"\nred-team corpus through ProcessHost (deadline {deadline:g} s, "
          f"RLIMIT_AS 512 MB), one fresh child per module and path\n")
    print(f"{'module':30s} {'path':15s} {'wall s':>7s} {'kills':>5s} {'peak MB':>8s} "
          f"{'contained':9s}  outcome")
    total = time.perf_counter()
    worst = {name: 0.0 for name in paths}
    failures = 0
    for path in sorted(folder.glob("*.py")):
        for name in paths:
            host = ProcessHost(deadline=deadline)
            outcome, wall = await PATHS[name](host, path.stem, path.read_text())
            peak = host.max_rss_kb()
            kills = host.restarts - 1 if host.restarts else 0
            await host.close()
            peak_mb = peak / 1024 if peak else float("nan")
            ok = wall <= 2.0 and (peak is None or peak_mb < 512) and "STOPPED" not in outcome
            failures += not ok
            worst[name] = max(worst[name], wall)
            print(f"{path.stem:30s} {name:15s} {wall:7.2f} {kills:5d} {peak_mb:8.0f} "
                  f"{'yes' if ok else 'NO':9s}  {outcome[:90]}")
    print("\nslowest per path (s): " + ", ".join(f"{k} {v:.2f}" for k, v in worst.items()))
    print(f"not contained within 2 s / 512 MB: {failures}; "
          f"corpus total {time.perf_counter() - total:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--deadline", type=float, default=1.0)
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--paths", nargs="*", default=list(PATHS), choices=list(PATHS))
    args = parser.parse_args()
    if not args.no_speed:
        asyncio.run(speed(args.calls, args.batch))
        asyncio.run(through_executor(args.calls, args.batch, args.concurrency))
    if not args.no_corpus:
        asyncio.run(corpus(args.deadline, args.paths))


if __name__ == "__main__":
    main()
