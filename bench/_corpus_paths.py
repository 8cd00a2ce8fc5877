"""The three ways generated code arrives, as bench steps: loaded directly, imported as a
pattern into a running executor, written by the LLM and measured by synthesis.

Each ``async (host, name, text) -> (outcome, seconds)`` runs one red-team module through
one path on the given sandbox host; ``seconds`` is the wall time of the steps that run the
module (a pattern's executor is set up before the clock starts). Plain engine code only:
bench/sandbox.py runs it in CPython with a ProcessHost, bench/sandbox_browser.py runs this
file's text in Pyodide in the engine Worker with the sandbox Worker's WorkerHost.
"""

from __future__ import annotations

import time
from typing import Any

from evomachine.sandbox import SandboxError

TRIAGE = """machine "Ticket triage"
Input ticket { ground_truth: "label"; }
Task route { prompt: "Route: {{ input.text }}"; output<"billing" | "tech" | "sales">; }
State billing; State tech; State sales;
ticket -> route; route -billing-> billing; route -tech-> tech; route -sales-> sales;
billing -> ticket; tech -> ticket; sales -> ticket;
"""
MAPPING = {"invoice": "billing", "crash": "tech", "seats": "sales"}
SCHEMA = {"enum": ["billing", "tech", "sales"]}


class Coder:
    """An LLM whose code is the red-team module; task answers come from ``MAPPING``."""

    def __init__(self, code: str) -> None:
        self.code = code

    async def complete(self, request: Any) -> Any:
        from evomachine.llm.base import LLMResponse

        if request.purpose == "codegen":
            return LLMResponse(text=f"```python\n{self.code}\n```", model="coder")
        return LLMResponse(text=MAPPING[request.input["text"]])


def triage_records(n: int) -> list[dict[str, str]]:
    texts = list(MAPPING)
    return [{"text": texts[i % 3], "label": MAPPING[texts[i % 3]]} for i in range(n)]


async def direct(host: Any, name: str, text: str) -> tuple[str, float]:
    """Load the module and ask it (three times for the ones that accumulate)."""
    started = time.perf_counter()
    found: list[str] = []
    try:
        module = await host.load(text, name + ".py")
        for _ in range(3 if name[:3] in ("h21", "h37") else 1):
            try:
                found.append(repr((await module.execute({"text": "hello"}, {}))["output"]))
            except SandboxError as error:
                found.append(describe(error))
    except SandboxError as error:
        found.append("load: " + describe(error))
    return "; ".join(found), time.perf_counter() - started


async def pattern(host: Any, name: str, text: str) -> tuple[str, float]:
    """Import the module as a pattern into a running executor, then run 30 more steps."""
    from evomachine import EvolutionaryExecutor, Pattern, PatternLibrary, parse_machine
    from evomachine.storage import MemoryStorage

    storage = MemoryStorage()
    ex = EvolutionaryExecutor(parse_machine(TRIAGE), {}, storage, llm=Coder(""),
                              inputs=triage_records(400), memo=False, auto_evolve=False,
                              sandbox=host)
    await ex.run(max_steps=60)
    library = PatternLibrary(storage)
    await library.save_pattern(Pattern(name="planted", code=text, stage="code_only",
                                       output_schema=SCHEMA))
    started = time.perf_counter()
    try:
        result = await library.import_pattern(ex, "planted", "route")
        outcome = f"installed at {result['installed_stage']}"
    except SandboxError as error:
        outcome = "refused: " + describe(error)
    steps = await ex.run(max_steps=30)
    fine = len(steps) == 30 and all(step.error is None for step in steps)
    seconds = time.perf_counter() - started
    return outcome + ("; executor runs on" if fine else "; EXECUTOR STOPPED"), seconds


async def llm_written(host: Any, name: str, text: str) -> tuple[str, float]:
    """The module's ``solve`` as code the LLM wrote, measured by synthesis on 40 records."""
    from evomachine.evolution.synthesis import SynthesisError, TaskSpec, synthesize
    from evomachine.history import ExecutionRecord

    code = text.split("# ---- contract adapter")[0]
    rows = [ExecutionRecord(task="route", input={"text": row["text"]}, output=row["label"],
                            llm_output=row["label"], seq=index + 1)
            for index, row in enumerate(triage_records(40))]
    spec = TaskSpec(name="route", prompt="Route: {{ input.text }}", output_schema=SCHEMA)
    started = time.perf_counter()
    try:
        result = await synthesize(spec, rows, Coder(code), host=host,
                                  synthesizers=["exact_lookup", "llm_code"])
    except SynthesisError as error:
        return f"synthesis refused: {str(error)[:60]}", time.perf_counter() - started
    return f"winner {result.synthesizer}", time.perf_counter() - started


PATHS = {"direct": direct, "pattern import": pattern, "LLM-written": llm_written}


def describe(error: Any) -> str:
    cause = getattr(error, "cause", None)
    kind = type(error).__name__ + (f"({cause})" if cause else "")
    return f"{kind}: {error.reason[:60]}"
