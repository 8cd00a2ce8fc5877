"""Deeply nested text from outside gets a clear error, never a crash of the interpreter.

``json.loads``, ``ast.parse`` and ``compile`` recurse in C once per level. In CPython a
few thousand levels raise ``RecursionError``/``MemoryError`` past every handler that
expects ``ValueError``/``SyntaxError``; in Pyodide the WebAssembly stack runs out first
and the interpreter dies (a fatal error: the page's engine is gone until a reload).
Found: a 6 KB LLM answer ``def solve(input):\\n    return 1+1+...``, a 20 KB JSON body
from an LLM endpoint, a data file line, an imported export, a stored document.
Each case here runs in Pyodide too (tests/pyodide), where it crashed the runner.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evomachine import nesting
from evomachine.datafile import DataError, parse_records
from evomachine.evolution.synthesis.llm_codegen import CodegenFailure, check_names
from evomachine.evolution.synthesis.render_js import js_exportable, render_js
from evomachine.evolution.synthesis.spec import SynthesisError
from evomachine.llm import AnthropicClient, LLMError, LLMRequest
from evomachine.llm.mock_transport import scripted
from evomachine.persistence import MachinePersistence
from evomachine.sandbox import InProcessHost, SandboxError, load_module
from evomachine.storage import MemoryStorage
from evomachine.storage.errors import SerializationError
from evomachine.storage.serde import JsonSerializer

LEVELS = 3_000  # > the ~1,500 levels Pyodide's stack holds under Node
DEEP_JSON = "[" * 100_000 + "]" * 100_000
DEEP_CODE = {
    "sum": "def solve(input):\n    return 1" + "+1" * LEVELS + "\n",
    "unary": "def solve(input):\n    return " + "-" * LEVELS + "1\n",
    "not": "def solve(input):\n    return " + "not " * LEVELS + "1\n",
    "attribute": "def solve(input):\n    return input" + ".x" * LEVELS + "\n",
    "call": "def solve(input):\n    return len" + "()" * LEVELS + "\n",
    "elif": "def solve(input):\n    if input:\n        pass\n"
            + "    elif input:\n        pass\n" * LEVELS + "    return 1\n",
    "lambda": "def solve(input):\n    return " + "lambda: " * LEVELS + "1\n",
    # a comma in a lambda's parameters reset the count: 2,000 levels measured as 7 (rt10)
    "lambda params": "def solve(input):\n    return " + "lambda a,: " * LEVELS + "1\n",
    "lambda defaults": "def solve(input):\n    return " + "lambda a=1, *b,: " * LEVELS + "1\n",
    "ternary": "def solve(input):\n    return " + "1 if input else " * LEVELS + "1\n",
}
REQUEST = LLMRequest(prompt="Route: my bill is wrong", task="route",
                     output_schema={"enum": ["billing", "tech", "sales"]})


@pytest.mark.parametrize("shape", sorted(DEEP_CODE))
def test_deep_llm_code_is_a_codegen_failure(shape):
    with pytest.raises(CodegenFailure, match="nests"):
        check_names(DEEP_CODE[shape])


def test_an_llm_answer_over_the_source_limit_is_refused_before_it_is_parsed():
    code = "def solve(input):\n    return 1\n" + "X = [1, 2, 3]\n" * 80_000  # 1.1 M chars
    with pytest.raises(CodegenFailure, match="over 1,000,000 characters"):
        check_names(code)


@pytest.mark.parametrize("shape", sorted(DEEP_CODE))
def test_deep_code_is_refused_by_the_sandbox_loader(shape):
    with pytest.raises(SandboxError, match="nests"):
        load_module(DEEP_CODE[shape], "deep.py")


async def test_generated_code_parsing_deep_json_is_contained_in_process():
    """h36 of the red-team corpus: in-process in Pyodide it was a fatal error."""
    source = (Path(__file__).parent / "hostile_redteam" / "h36_deep_json_loads.py").read_text()
    module = await InProcessHost().load(source, "h36.py")
    with pytest.raises(SandboxError, match="nested"):
        await module.execute({"text": "hello"}, {})


def test_deep_code_is_neither_exportable_nor_rendered():
    code = "SYNTHESIZER = 'linear'\nTASK = 'x'\nBIAS = " + "-" * LEVELS + "1\n"
    assert js_exportable(code) is False
    with pytest.raises(SynthesisError, match="nests"):
        render_js(code)


def test_a_deep_json_table_in_a_module_is_a_synthesis_error():
    code = f"SYNTHESIZER = 'linear'\nTASK = json.loads({DEEP_JSON!r})\n"
    with pytest.raises(SynthesisError, match="nested"):
        render_js(code)


def test_deep_json_in_a_data_file_is_a_data_error():
    with pytest.raises(DataError, match="nested"):
        parse_records('{"text": "fine"}\n{"text": ' + DEEP_JSON + "}\n", "jsonl")
    with pytest.raises(DataError, match="nested"):
        parse_records(DEEP_JSON, "jsonl")


@pytest.mark.parametrize("status", [200, 500])
async def test_a_deep_json_body_from_the_llm_is_an_llm_error(status):
    transport = scripted((status, {}, DEEP_JSON))
    client = AnthropicClient("sk-test-0123456789", "claude-sonnet-4-20250514",
                             transport=transport, max_retries=0)
    with pytest.raises(LLMError):
        await client.complete(REQUEST)


def test_a_deep_stored_document_reads_as_damaged():
    with pytest.raises(SerializationError, match="nested"):
        JsonSerializer().loads(DEEP_JSON)


async def test_a_deep_machine_export_is_refused():
    with pytest.raises(ValueError, match="nested"):
        await MachinePersistence(MemoryStorage()).import_machine(DEEP_JSON)


def test_ordinary_text_is_measured_right_and_passes():
    value = {"rows": [[1, 0.5], [2, 0.25]], "s": "[[[[{{{{ \\" + '" ]]', "t": []}
    text = json.dumps(value)
    assert nesting.json_depth(text) == 3
    assert nesting.loads(text) == value
    nesting.check_json("[" * 200 + "]" * 200)
    with pytest.raises(nesting.NestingError):
        nesting.check_json("[" * 201 + "]" * 201)
    code = "def f(x):\n    if x:\n        return [1, (2 + 3) * 4]\n    elif x:\n        pass\n"
    assert nesting.code_depth(code) < 20
    # lambdas side by side are siblings: the comma after a lambda's body still separates
    siblings = "F = [" + ", ".join(["lambda a, b: a + b"] * 300) + "]\n"
    assert nesting.code_depth(siblings) < 20
    nesting.check_code(siblings)
    nesting.check_code(code * 500)


@pytest.mark.parametrize("method", ["set_prices", "set_llm"])
async def test_deep_json_typed_into_the_page_is_a_user_error(method):
    from test_app import call

    from evomachine.app import Lab

    lab = Lab(MemoryStorage())
    reply = await call(lab, method, DEEP_JSON)
    assert reply["ok"] is False and reply["kind"] == "user", reply
    assert "nested" in reply["error"]


def test_code_the_checker_cannot_walk_is_a_sandbox_error(monkeypatch):
    """In Pyodide the policy's or the transform's walk of a 195-term sum (under the estimate's
    limit) hit RecursionError, which load_module let out raw; here the walk is made to."""
    import evomachine.sandbox.loader as loader

    def too_deep(*args):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(loader, "compile_tree", too_deep)
    with pytest.raises(SandboxError, match="nests too deeply"):
        load_module("def execute(input, context):\n    return {}\n", "walk.py")
