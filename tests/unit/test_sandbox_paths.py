"""The red-team corpus through the two other ways generated code arrives: an imported pattern
and code the LLM writes. Either way it runs behind the process boundary; whatever it does,
the executor goes on (the LLM answers), synthesis raises nothing but SynthesisError, and the
host's state is untouched. (Loading each module directly: test_sandbox_boundary.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_evolution_stages import MAPPING, TRIAGE, MappingLLM, records
from test_sandbox_boundary import CASES, MAY_ANSWER, SLOW, host_state, key

from aio import run
from evomachine import Pattern, PatternLibrary
from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.evolution.synthesis import SynthesisError, TaskSpec, synthesize
from evomachine.history import ExecutionRecord
from evomachine.llm.base import LLMRequest, LLMResponse
from evomachine.sandbox import SandboxError
from evomachine.storage import MemoryStorage

pytestmark = pytest.mark.cpython_only
SCHEMA = {"enum": ["billing", "tech", "sales"]}


def untouched() -> tuple[object, ...]:
    """``host_state`` but the set of imported modules: the engine imports its own on first use."""
    state = host_state()
    return state[:1] + state[2:]


def solve_source(path: Path) -> str:
    """The red-team module as the LLM would write it: ``solve`` and what it needs."""
    return path.read_text().split("# ---- contract adapter")[0]


def params() -> list[Any]:
    return [pytest.param(path, id=path.stem,
                         marks=[pytest.mark.slow] if key(path) in SLOW else [])
            for path in CASES]


@pytest.fixture(scope="module")
def host() -> Any:
    from evomachine.sandbox import ProcessHost

    process_host = ProcessHost(deadline=0.5, load_deadline=5.0)
    yield process_host
    run(process_host.close())


@pytest.mark.parametrize("path", params())
async def test_an_imported_pattern_cannot_stop_the_executor(host: Any, path: Path) -> None:
    before = untouched()
    storage = MemoryStorage()
    ex = EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), {}, storage,
                              llm=MappingLLM(dict(MAPPING)), inputs=records(400), memo=False,
                              auto_evolve=False, sandbox=host)
    await ex.run(max_steps=60)
    library = PatternLibrary(storage)
    await library.save_pattern(Pattern(name="planted", code=path.read_text(), stage="code_only",
                                       output_schema=SCHEMA))
    try:
        result = await library.import_pattern(ex, "planted", "route")
    except SandboxError as error:  # refused at load: a clear error, not a hang or a crash
        assert error.reason
    else:
        if key(path) not in MAY_ANSWER:
            assert result["installed_stage"] == "llm_only", result
    steps = await ex.run(max_steps=30)
    assert len(steps) == 30 and all(step.error is None for step in steps)
    assert untouched() == before


class Coder:
    """An LLM whose code is the red-team module; task answers come from the mapping."""

    def __init__(self, code: str):
        self.code = code

    async def complete(self, request: LLMRequest) -> LLMResponse:
        if request.purpose == "codegen":
            return LLMResponse(text=f"```python\n{self.code}\n```", model="coder")
        return LLMResponse(text=MAPPING[request.input["text"]])


@pytest.mark.parametrize("path", params())
async def test_code_the_llm_writes_is_measured_behind_the_boundary(host: Any, path: Path) -> None:
    before = untouched()
    rows = [ExecutionRecord(task="route", input={"text": row["text"]}, output=row["label"],
                            llm_output=row["label"], seq=index + 1)
            for index, row in enumerate(records(40))]
    spec = TaskSpec(name="route", prompt="Route: {{ input.text }}", output_schema=SCHEMA)
    try:
        result = await synthesize(spec, rows, Coder(solve_source(path)), host=host,
                                  synthesizers=["exact_lookup", "llm_code"])
    except SynthesisError:
        pass
    else:
        if key(path) not in MAY_ANSWER:
            assert result.synthesizer != "llm_code", result.scores
    assert untouched() == before
