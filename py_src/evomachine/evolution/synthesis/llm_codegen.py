"""Code written by the LLM: ask, extract, wrap, load through the sandbox.

The request (``purpose="codegen"``) carries instructions, the task prompt, the
exact signature ``def solve(input: dict) -> <type>`` and about twenty
training examples. The answer's code (fenced or plain) becomes the body of
a module like any other candidate's; anything that goes wrong (the call,
the extraction, a reserved name, the sandbox) yields a ``CodegenFailure``
with the reason, and synthesis drops the candidate.
"""

from __future__ import annotations

import ast
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from evomachine.evolution.synthesis.dataset import Example, label_key
from evomachine.evolution.synthesis.runtime import canonical
from evomachine.llm.base import LLMClient, LLMRequest
from evomachine.nesting import NestingError, check_code
from evomachine.sandbox.loader import MAX_SOURCE_CHARS

ALLOWED_IMPORTS = (
    "re", "math", "json", "string", "collections", "itertools", "functools", "unicodedata",
)
# Names the module template and runtime define: the LLM's code may not rebind them.
RESERVED = frozenset({
    "TASK", "VERSION", "SYNTHESIZER", "OUTPUT_VALUES", "OUTPUT_TYPE", "RESULT_FIELDS",
    "TRAINED_ON", "HELDOUT_AGREEMENT", "CALIBRATION", "predict", "get_confidence", "execute",
    "canonical", "text_of", "normalise", "sorted_tokens", "features", "lookup_predict",
    "nb_predict", "calibrate",
})
CODEGEN_MAX_TOKENS = 4096
"""The least cap on a code-writing answer (about 16,000 characters of code): a client's
default cap (1,024 tokens for the HTTP clients) would cut a longer function off. A client
set to allow more keeps its own (:func:`codegen_max_tokens`), and the engine budgets each
code-writing call at that many output tokens (``Evolver.codegen_allowed``)."""


def codegen_max_tokens(llm: Any) -> int:
    """The cap a code-writing request to ``llm`` carries: :data:`CODEGEN_MAX_TOKENS`, or the
    client's own ``max_tokens`` when that is larger."""
    own = getattr(llm, "max_tokens", None)
    return max(CODEGEN_MAX_TOKENS, own) if isinstance(own, int) else CODEGEN_MAX_TOKENS
FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)


class CodegenFailure(Exception):
    """The LLM's code cannot be a candidate; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class LLMCodeModel:
    """The LLM's ``solve`` function; ``predict`` runs the loaded module in the sandbox."""

    code: str
    model: str = ""
    module: Any = None
    synthesizer: str = "llm_code"
    errors: list[str] = field(default_factory=list)
    answers: dict[str, Any] | None = None

    def predict(self, input: Any) -> tuple[Any, float]:
        if self.answers is not None:  # answers measured through a sandbox host, replayed
            answer = self.answers.get(canonical(input))
            if answer is None:
                raise KeyError(f"no measured answer for {canonical(input)[:80]}")
            if isinstance(answer, Exception):
                raise answer
            return answer
        result = self.module.execute(input, {})
        return result["output"], float(result["metadata"]["raw_score"])

    async def measure(self, inputs: list[Any]) -> None:
        """Run the hosted module on ``inputs`` in batches; ``predict`` replays the answers.

        Once most answers fail the rest are not tried (see ``stages.answers``).
        """
        from evomachine.evolution.stages import answers

        results = await answers(self.module, inputs, {})
        self.answers = {}
        for input, result in zip(inputs, results, strict=True):
            if isinstance(result, Exception):
                self.answers[canonical(input)] = result
            else:
                try:
                    answer = (result["output"], float(result["metadata"]["raw_score"]))
                except (KeyError, TypeError, ValueError) as error:
                    self.answers[canonical(input)] = error
                else:
                    self.answers[canonical(input)] = answer

    def body_template(self) -> str:
        return "llm_code.py.j2"

    def body_context(self) -> dict[str, Any]:
        return {"code": self.code, "model": model_label(self.model)}


def model_label(name: Any) -> str:
    """The model name as one short line of printable text (it comes from an HTTP response).

    The template also renders it as a Python string literal, so even a name that
    got past this cannot end the comment it sits in and add code to the module.
    """
    text = name if isinstance(name, str) else ""
    return "".join(ch if ch.isprintable() else " " for ch in text)[:80].strip()


def pick_examples(train: list[Example], count: int, seed: int) -> list[Example]:
    """Up to ``count`` examples, round-robin over labels so every class shows up."""
    rng = random.Random(seed)
    by_label: dict[str, list[Example]] = {}
    for example in train:
        by_label.setdefault(label_key(example.label), []).append(example)
    pools = [by_label[key] for key in sorted(by_label)]
    for pool in pools:
        rng.shuffle(pool)
    chosen: list[Example] = []
    while len(chosen) < count and any(pools):
        for pool in pools:
            if pool and len(chosen) < count:
                chosen.append(pool.pop())
    return chosen


def signature(output_type: str) -> str:
    return f"def solve(input: dict) -> {output_type}:"


def build_prompt(task_prompt: str, output_values: list[Any] | None, output_type: str,
                 examples: list[Example]) -> str:
    """Instructions, the task's prompt, the exact signature and worked examples."""
    allowed = ", ".join(ALLOWED_IMPORTS)
    lines = [
        "Write a Python function that does this task the way the examples show.",
        "",
        "Task prompt (a jinja2 template over `input`):",
        task_prompt.strip() or "(none)",
        "",
        "Exact signature:",
        f"    {signature(output_type)}",
    ]
    if output_values is not None:
        lines.append(f"It must return one of: {json.dumps(output_values, ensure_ascii=False)}.")
    lines += [
        "",
        "Rules: plain Python 3.11; imports only from: " + allowed + ".",
        "No names or attributes that start with an underscore, no typing module, no I/O,",
        "no eval/exec/open. Keep it deterministic and fast. Answer with one ```python block.",
        "",
        "Examples (input -> output, as JSON):",
    ]
    lines += [f"{canonical(example.input)} -> {canonical(example.label)}" for example in examples]
    return "\n".join(lines) + "\n"


def extract_code(text: str) -> str:
    """The fenced block that defines ``solve``, else the whole answer if it defines it."""
    blocks = FENCE.findall(text)
    for block in blocks:
        if re.search(r"^def solve\(", block, re.MULTILINE):
            return block.strip() + "\n"
    if re.search(r"^def solve\(", text, re.MULTILINE):
        return text.strip() + "\n"
    raise CodegenFailure("the answer has no top-level `def solve(` (fenced or plain)")


def module_bindings(tree: ast.AST) -> set[str]:
    """The module-level names the code binds, at any depth of module-level blocks
    (``if``, ``for``, ``with``, ``try``, walrus in comprehensions), and every name a
    function declares ``global``. Names local to a function or class body do not count."""
    names: set[str] = set()

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Global):
                names.update(child.names)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if not local:
                    names.add(child.name)
                visit(child, True)
            elif isinstance(child, ast.Lambda):
                visit(child, True)
            else:
                if not local:
                    names.update(bound_here(child))
                visit(child, local)

    visit(tree, False)
    return names


def bound_here(node: ast.AST) -> set[str]:
    """Names this one node binds in the scope it runs in."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
        return {node.id}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
        return {node.name}
    if isinstance(node, ast.MatchMapping) and node.rest:
        return {node.rest}
    return set()


def check_names(code: str) -> None:
    """Refuse code that does not parse or rebinds a module-level name the module relies on."""
    if len(code) > MAX_SOURCE_CHARS:  # the sandbox would refuse it after a long parse
        raise CodegenFailure(f"the code is over {MAX_SOURCE_CHARS:,} characters")
    try:
        check_code(code)
        tree = ast.parse(code)
    except NestingError as error:
        raise CodegenFailure(str(error)) from error
    except SyntaxError as error:
        raise CodegenFailure(f"syntax error at line {error.lineno}: {error.msg}") from error
    except (RecursionError, MemoryError) as error:
        raise CodegenFailure(f"the code does not parse: {type(error).__name__}") from error
    clash = sorted(module_bindings(tree) & RESERVED)
    if clash:
        raise CodegenFailure(f"the code redefines reserved name(s) {', '.join(clash)}")


async def ask_for_code(
    llm: LLMClient, *, task: str, prompt: str, output_schema: dict[str, Any] | None, examples: int
) -> tuple[str, str]:
    """Send the codegen request; return ``(code, model name)`` or raise ``CodegenFailure``."""
    request = LLMRequest(prompt=prompt, task=task, purpose="codegen", output_schema=output_schema,
                         max_tokens=codegen_max_tokens(llm), metadata={"examples": examples})
    try:
        response = await llm.complete(request)
    except Exception as error:  # a user's client may raise anything; the candidate is dropped
        raise CodegenFailure(f"the codegen call failed: {type(error).__name__}: {error}") from error
    code = extract_code(response.text)
    check_names(code)
    return code, response.model
