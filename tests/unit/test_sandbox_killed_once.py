"""A module whose call cost the sandbox its worker (its deadline, a crash, memory, a reply out
of shape) is failed for the rest of its load: none of its later calls starts a worker again,
so none waits for one to boot (in the browser, a Pyodide boot). Counted, never timed: the
child processes a ProcessHost started, the calls that reached a WorkerHost's manager. Through
the pattern-import and LLM-written-code paths as well. A new load of the code runs it again."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from test_evolution_stages import MAPPING, TRIAGE, MappingLLM, records
from test_sandbox_process import FAKE_CHILD, HANG_ON
from test_sandbox_worker_host import GOOD, FakeManager

from evomachine import Pattern, PatternLibrary
from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.evolution.stages import answers
from evomachine.evolution.synthesis import TaskSpec, synthesize
from evomachine.history import ExecutionRecord
from evomachine.llm.base import LLMRequest, LLMResponse
from evomachine.sandbox import BoundaryError, SandboxError
from evomachine.sandbox.worker_host import WorkerHost
from evomachine.storage import MemoryStorage

HANG = "pow(3 ** 20000, 2 ** 32000 - 1, (3 ** 20000) * (3 ** 20000) + 7)"


def hangs_after(calls: int) -> str:
    """A module that answers the mapping for its first ``calls`` calls, then hangs in C."""
    return (f"MAPPING = {MAPPING!r}\nCALLS = [0]\n\n"
            "def solve(input):\n    CALLS[0] += 1\n"
            f"    if CALLS[0] > {calls}:\n        {HANG}\n"
            "    return MAPPING[input['text']]\n\n"
            "def execute(input, context):\n"
            "    return {'output': solve(input), 'confidence': 1.0, 'metadata': {}}\n")


def process_host(**options: Any) -> Any:
    from evomachine.sandbox import ProcessHost

    return ProcessHost(**{"deadline": 0.5, **options})


def deadline_failures(results: list[Any]) -> bool:
    return all(isinstance(r, BoundaryError) and r.cause == "deadline" for r in results)


@pytest.mark.cpython_only
async def test_a_module_killed_at_its_deadline_is_not_run_again_until_loaded_anew() -> None:
    host = process_host()
    module = await host.load(HANG_ON, "hang.py")
    with pytest.raises(BoundaryError) as info:
        await module.execute({"text": "hang"}, {})
    assert info.value.cause == "deadline" and host.restarts == 1 and host.pid is None
    for call in (module.execute({"text": "fine"}, {}), module.get_confidence({"text": "x"}),
                 module.call("execute", {"text": "fine"}, {})):
        with pytest.raises(BoundaryError, match="not run again") as again:
            await call
        assert again.value.cause == "deadline"
    assert deadline_failures(await module.execute_many([{"text": "a"}] * 5, {}))
    assert host.restarts == 1 and host.pid is None  # not one child started for them
    fresh = await host.load(HANG_ON, "hang.py")  # a later, separate load runs it again
    assert (await fresh.execute({"text": "fine"}, {}))["output"] == "fine"
    assert host.restarts == 2
    await host.close()


@pytest.mark.cpython_only
async def test_the_rest_of_a_batch_after_a_kill_fails_without_a_new_child() -> None:
    host = process_host()
    module = await host.load(HANG_ON, "hang.py")
    other = await host.load(GOOD, "good.py")
    results = await module.execute_many([{"text": t} for t in ("a", "hang", "b", "c")], {})
    assert results[0]["output"] == "a" and deadline_failures(results[1:])
    assert host.restarts == 1 and module.failed is results[1]
    assert (await other.execute({"text": "ok"}, {}))["output"] == "OK"  # innocent: reloaded
    assert host.restarts == 2 and other.failed is None
    await host.close()


@pytest.mark.cpython_only
@pytest.mark.parametrize(("mode", "cause"), [("exit", "crashed"), ("shape", "protocol")])
async def test_a_module_that_crashed_its_child_is_failed_for_the_rest_of_its_load(
        tmp_path: Path, mode: str, cause: str) -> None:
    script = tmp_path / "child.py"
    script.write_text(f"MODE = {mode!r}\n" + FAKE_CHILD)
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{script}'\n")
    python.chmod(0o755)
    host = process_host(python=str(python))
    module = await host.load(GOOD, "good.py")
    results = await module.execute_many([{"text": str(i)} for i in range(6)], {})
    assert all(isinstance(r, BoundaryError) and r.cause == cause for r in results)
    found = await answers(module, [{"text": str(i)} for i in range(40)], {})
    assert all(isinstance(r, BoundaryError) and r.cause == cause for r in found)
    assert host.restarts == 1
    await host.close()


@pytest.mark.cpython_only
async def test_a_module_out_of_memory_twice_is_failed_after_its_one_retry() -> None:
    from evomachine.sandbox import ProcessLimits

    greedy = ("KEEP = []\nBASE = list(range(1000000))\n"
              "def grow():\n    for _ in range(80):\n        KEEP.append(tuple(BASE))\n"
              "    return len(KEEP)\n")
    host = process_host(limits=ProcessLimits(memory_bytes=320 * 2**20), deadline=5.0)
    module = await host.load(greedy, "greedy.py")
    with pytest.raises(SandboxError) as info:
        await module.call("grow")
    assert getattr(info.value, "cause", None) == "retired" and host.restarts == 2
    with pytest.raises(BoundaryError, match="not run again"):
        await module.call("grow")
    assert host.restarts == 2
    await host.close()


@pytest.mark.cpython_only
async def test_a_module_that_keeps_filling_its_child_gets_one_retry_per_load() -> None:
    from evomachine.sandbox import ProcessLimits

    grows = ("KEEP = []\nBASE = list(range(1000000))\n"
             "def grow():\n    for _ in range(12):\n        KEEP.append(tuple(BASE))\n"
             "    return len(KEEP)\n")  # ~100 MB more per call: a fresh child starts empty
    host = process_host(limits=ProcessLimits(memory_bytes=320 * 2**20), deadline=5.0)
    module = await host.load(grows, "grows.py")
    for _ in range(16):
        with contextlib.suppress(SandboxError):
            await module.call("grow")
    assert getattr(module.failed, "cause", None) == "retired"
    assert host.restarts == 2  # the first child and the one retry: not a child per call
    await host.close()


class CountingManager(FakeManager):
    """The fake manager, counting the calls that reach it."""

    def __init__(self, reply: str | None = None):
        super().__init__(reply)
        self.calls = 0

    async def executeMany(self, key, inputs, context, count):  # the manager's JS name
        self.calls += 1
        return await super().executeMany(key, inputs, context, count)


async def test_a_worker_module_whose_call_killed_the_worker_is_not_sent_again() -> None:
    manager = CountingManager()
    host = WorkerHost(manager)
    module, bystander = await host.load(GOOD, "good.py"), await host.load(GOOD, "other.py")
    manager.reply = json.dumps({"ok": False, "kind": "BoundaryError", "message": "ran past",
                                "cause": "deadline"})
    assert deadline_failures(await module.execute_many([{"text": "a"}, {"text": "b"}], {}))
    manager.reply = json.dumps({"ok": False, "kind": "BoundaryError", "message": "stopped",
                                "cause": "restarted"})  # queued behind another's call
    [queued] = await bystander.execute_many([{"text": "a"}], {})
    assert queued.cause == "restarted" and bystander.failed is None
    manager.reply = None
    assert manager.calls == 2
    with pytest.raises(BoundaryError, match="not run again"):
        await module.execute({"text": "a"}, {})
    assert deadline_failures(await answers(module, [{"text": "a"}] * 30, {}))
    assert manager.calls == 2  # none of them crossed
    assert (await bystander.execute({"text": "a"}, {}))["output"] == "A"
    again = await host.load(GOOD, "good.py")
    assert (await again.execute({"text": "a"}, {}))["output"] == "A" and manager.calls == 4


async def test_a_worker_module_nobody_holds_is_unloaded_from_the_worker() -> None:
    import gc

    manager = FakeManager()
    host = WorkerHost(manager)
    kept, dropped = await host.load(GOOD, "kept.py"), await host.load(GOOD, "dropped.py")
    assert len(manager.modules) == 2
    del dropped
    gc.collect()
    await host.load(GOOD, "next.py")  # unloads what was dropped first: its state goes too
    assert len(manager.modules) == 2 and (await kept.execute({"text": "a"}, {}))["output"] == "A"


@pytest.mark.cpython_only
async def test_an_imported_pattern_killed_once_costs_one_child_for_the_whole_run() -> None:
    host = process_host()
    storage = MemoryStorage()
    ex = EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), {}, storage,
                              llm=MappingLLM(dict(MAPPING)), inputs=records(400), memo=False,
                              auto_evolve=False, sandbox=host)
    await ex.run(max_steps=240)  # enough history for code_only
    checked = [r for r in ex.histories["route"].training_records()
               if r.success and r.llm_output is not None]
    library = PatternLibrary(storage)
    await library.save_pattern(Pattern(name="planted", code=hangs_after(len(checked)),
                                       stage="code_only", output_schema={"enum": ["billing",
                                                                              "tech", "sales"]}))
    result = await library.import_pattern(ex, "planted", "route")
    assert result["installed_stage"] == "code_only" and host.restarts == 1
    steps = await ex.run(max_steps=30)  # the code's first answer hangs: one kill, then none
    assert len(steps) == 30 and host.restarts == 1 and host.pid is None
    assert ex.tasks["route"].module.failed.cause == "deadline"
    await host.close()


class Coder:
    def __init__(self, code: str):
        self.code = code

    async def complete(self, request: LLMRequest) -> LLMResponse:
        if request.purpose == "codegen":
            return LLMResponse(text=f"```python\n{self.code}\n```", model="coder")
        return LLMResponse(text=MAPPING[request.input["text"]])


@pytest.mark.cpython_only
async def test_llm_written_code_killed_while_measured_costs_one_child() -> None:
    host = process_host()
    rows = [ExecutionRecord(task="route", input={"text": row["text"]}, output=row["label"],
                            llm_output=row["label"], seq=index + 1)
            for index, row in enumerate(records(40))]
    spec = TaskSpec(name="route", prompt="Route: {{ input.text }}",
                    output_schema={"enum": ["billing", "tech", "sales"]})
    code = hangs_after(2).split("def execute")[0]  # the LLM writes solve(); hangs on call 3
    result = await synthesize(spec, rows, Coder(code), host=host,
                              synthesizers=["exact_lookup", "llm_code"])
    assert result.synthesizer == "exact_lookup" and "dropped" in result.scores["llm_code"]
    assert host.restarts == 2  # the kill while measuring, then the winner's verification
    await host.close()
