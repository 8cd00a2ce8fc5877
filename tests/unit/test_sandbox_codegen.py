"""h42: a model name from the LLM's HTTP response cannot add code to a generated module.

``llm_code.py.j2`` used to put the name unescaped in a comment; a name with a newline
ended the comment and its next line ran as module code.
"""

from __future__ import annotations

EVIL_MODEL = "m)\nOUTPUT_VALUES = None\nimport os\u2028x = 1  # "


def test_model_name_is_rendered_as_one_inert_comment() -> None:
    import ast

    from evomachine.evolution.synthesis.llm_codegen import LLMCodeModel, model_label
    from evomachine.evolution.synthesis.render import environment

    code = "def solve(input):\n    return 'tech'\n"
    body = environment().get_template("llm_code.py.j2").render(
        **LLMCodeModel(code, EVIL_MODEL).body_context())
    tree = ast.parse(body)
    assert [type(node).__name__ for node in tree.body] == ["FunctionDef", "FunctionDef"]
    assert body.splitlines()[0].startswith("# Written by the LLM (")
    assert "\n" not in model_label(EVIL_MODEL) and model_label(42) == ""
    assert model_label("gpt-4o-mini") == "gpt-4o-mini"


async def test_model_name_injection_through_synthesis_is_inert() -> None:
    import ast
    import random

    from evomachine.evolution.synthesis import TaskSpec, synthesize
    from evomachine.history import ExecutionRecord
    from evomachine.llm.base import LLMRequest, LLMResponse

    class EvilCoder:
        async def complete(self, request: LLMRequest) -> LLMResponse:
            text = ("```python\ndef solve(input):\n"
                    "    return 'long' if len(input.get('text', '')) > 40 else 'short'\n```")
            return LLMResponse(text=text, model=EVIL_MODEL)

    rng = random.Random(0)
    records = []
    for _ in range(200):
        words = [rng.choice(["alpha", "beta", "pi", "omega"]) for _ in range(rng.randint(2, 14))]
        text = " ".join(words)
        records.append(ExecutionRecord(task="size", input={"text": text},
                                       llm_output="long" if len(text) > 40 else "short"))
    spec = TaskSpec(name="size", prompt="Long or short? {{ input.text }}",
                    output_schema={"enum": ["long", "short"]})
    result = await synthesize(spec, records, EvilCoder())
    assert result.synthesizer == "llm_code"
    tree = ast.parse(result.code)
    assigned = [target.id for node in tree.body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)]
    assert assigned.count("OUTPUT_VALUES") == 1
    imports = [alias.name for node in tree.body if isinstance(node, ast.Import)
               for alias in node.names]
    assert "os" not in imports


def test_reserved_names_are_refused_at_any_depth_of_module_scope() -> None:
    """h27/h28: nested blocks, walrus in a comprehension and ``global`` used to get past the
    check of top-level statements only; a local of the same name is harmless and allowed."""
    from pathlib import Path

    import pytest

    from evomachine.evolution.synthesis.llm_codegen import CodegenFailure, check_names

    corpus = Path(__file__).parent / "hostile_redteam"
    for name, clash in (("h27_reserved_nested", "calibrate"),
                        ("h28_walrus_global_rebind", "TASK")):
        source = (corpus / f"{name}.py").read_text().split("# ---- contract adapter")[0]
        with pytest.raises(CodegenFailure, match=clash):
            check_names(source)
    for source in ("for calibrate in range(3):\n    pass\n",
                   "try:\n    pass\nexcept ValueError as predict:\n    pass\n",
                   "def solve(input):\n    global execute\n    return 1\n",
                   "with open('x') as (TASK):\n    pass\n"):
        with pytest.raises(CodegenFailure):
            check_names(source)
    check_names("def solve(input):\n    features = input['text'].split()\n"
                "    return [calibrate for calibrate in features][0]\n")
