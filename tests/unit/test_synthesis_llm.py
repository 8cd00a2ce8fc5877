"""The LLM-written candidate: prompt, extraction, sandbox loading, and hostile answers dropped."""

from __future__ import annotations

import random

import pytest
from test_synthesis_data import ROUTE, keyword_records, record

from evomachine.evolution.synthesis import TaskSpec, synthesize
from evomachine.evolution.synthesis.dataset import Example
from evomachine.evolution.synthesis.llm_codegen import (
    CodegenFailure,
    build_prompt,
    check_names,
    extract_code,
    pick_examples,
)
from evomachine.llm.base import LLMError, LLMRequest, LLMResponse

LENGTH = TaskSpec(
    name="size",
    prompt="Is this message long or short? {{ input.text }}",
    output_schema={"enum": ["long", "short"]},
)
LENGTH_CODE = '''Here you go:

```python
def solve(input: dict) -> str:
    text = input.get("text", "")
    return "long" if len(text) > 40 else "short"
```
'''


def length_records(count: int, seed: int = 0) -> list:
    """Labels that depend on the text's length: easy to write, hard to learn from n-grams."""
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "omega", "pi", "rho", "tau", "mu", "nu"]
    records = []
    for _ in range(count):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(2, 14)))
        records.append(record(text, "long" if len(text) > 40 else "short"))
    return records


class FakeLLM:
    """Answers every request with ``text`` (or raises ``error``) and remembers the requests."""

    def __init__(self, text: str = "", error: Exception | None = None):
        self.text = text
        self.error = error
        self.requests: list[LLMRequest] = []

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return LLMResponse(text=self.text, model="fake-coder")


def test_prompt_carries_task_signature_values_and_examples():
    examples = [Example({"text": f"t{i}"}, "ab"[i % 2]) for i in range(40)]
    shown = pick_examples(examples, 20, seed=0)
    assert len(shown) == 20 and {example.label for example in shown} == {"a", "b"}
    prompt = build_prompt("Classify {{ input.text }}", ["a", "b"], "str", shown)
    assert "Classify {{ input.text }}" in prompt
    assert "def solve(input: dict) -> str:" in prompt
    assert '["a", "b"]' in prompt
    assert prompt.count(" -> ") >= 20


def test_extract_code_prefers_the_fenced_solve_block():
    text = "```\nprint('not this')\n```\nand\n```python\ndef solve(input):\n    return 1\n```"
    assert extract_code(text) == "def solve(input):\n    return 1\n"
    assert extract_code("def solve(input):\n    return 2") == "def solve(input):\n    return 2\n"
    with pytest.raises(CodegenFailure, match="def solve"):
        extract_code("I cannot write code today.")


def test_check_names_refuses_reserved_names_and_bad_syntax():
    check_names("def solve(input):\n    return 1\n")
    with pytest.raises(CodegenFailure, match="calibrate"):
        check_names("def calibrate(raw, table):\n    return 1.0\ndef solve(input):\n    return 1\n")
    with pytest.raises(CodegenFailure, match="CALIBRATION"):
        check_names("CALIBRATION = ()\ndef solve(input):\n    return 1\n")
    with pytest.raises(CodegenFailure, match="syntax"):
        check_names("def solve(input)\n    return 1\n")


async def test_llm_code_wins_when_it_is_right_and_the_classifier_is_not():
    llm = FakeLLM(LENGTH_CODE)
    result = await synthesize(LENGTH, length_records(400), llm)
    assert [request.purpose for request in llm.requests] == ["codegen"]
    assert llm.requests[0].task == "size"
    assert result.synthesizer == "llm_code"
    assert result.heldout_agreement == 1.0
    scores = result.scores
    assert scores["llm_code"]["heldout_agreement"] > scores["naive_bayes"]["heldout_agreement"]
    assert "def solve(input: dict) -> str:" in result.code
    assert "fake-coder" in result.code


async def test_without_an_llm_no_codegen_candidate_runs():
    result = await synthesize(LENGTH, length_records(200))
    assert "llm_code" not in result.scores


SOLVE = "def solve(input):\n    "
HOSTILE = {
    "no code": "Sorry, I can only answer in prose.",
    "syntax": "def solve(input) -> str\n    return 'tech'\n",
    "import os": "import os\n" + SOLVE + "return os.getcwd()\n",
    "dunder escape": SOLVE + "return ().__class__.__bases__[0].__subclasses__()\n",
    "private name": "def _helper(x):\n    return x\n" + SOLVE + "return _helper('tech')\n",
    "eval": SOLVE + "return eval('1+1')\n",
    "redefines calibrate": "def calibrate(raw, t):\n    return 1.0\n" + SOLVE + "return 1\n",
    "raises": SOLVE + "raise ValueError('nope')\n",
    "endless loop": SOLVE + "while True:\n        pass\n",
    "loops at import": "while True:\n    pass\n" + SOLVE + "return 'tech'\n",
    "memory bomb": SOLVE + "return 'x' * (10 ** 9)\n",
    "deep recursion": SOLVE + "return solve(input)\n",
}


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_or_broken_code_is_dropped_not_fatal(name):
    answer = HOSTILE[name] if name == "no code" else f"```python\n{HOSTILE[name]}```"
    result = await synthesize(ROUTE, keyword_records(120), FakeLLM(answer))
    assert result.synthesizer != "llm_code"
    assert "dropped" in result.scores["llm_code"], result.scores["llm_code"]


async def test_a_failing_llm_call_is_dropped_with_its_reason():
    llm = FakeLLM(error=LLMError("gateway timeout", status=504))
    result = await synthesize(ROUTE, keyword_records(120), llm)
    assert "gateway timeout" in result.scores["llm_code"]["dropped"]
    assert result.synthesizer == "naive_bayes"
