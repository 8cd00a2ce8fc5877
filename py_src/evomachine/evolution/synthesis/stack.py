"""Stacked modules: the code in place answers where it is sure, a newer model where it is not.

Once code answers the inputs it is sure of, the LLM labels every other one: the inputs
the current code declines are a census, and a newer model can be certified on them
alone (its cut within the budget on those inputs only). ``stack_modules`` joins two
generated modules into one: the first layer answers when its confidence reaches its
cut, else the second layer answers when its own reaches its cut, else the module
declines (its confidence below both cuts, so the executor asks the LLM).

The layers are generated modules of the in-process synthesizers (never the LLM's own
code): each keeps its text, its top-level names renamed with a layer prefix, so the
module is still plain Python for the sandbox with the runtime helpers once.
"""

from __future__ import annotations

import ast
from typing import Any

from evomachine.evolution.synthesis.render import check_module, py_literal, runtime_source
from evomachine.evolution.synthesis.spec import SynthesisError

SYNTHESIZER = "stacked"
# Synthesizers whose modules may be a layer (their text is ours, from our templates).
STACKABLE = ("exact_lookup", "normalized_lookup", "naive_bayes", "linear", SYNTHESIZER)
# How far below the lower cut a declined answer's confidence is put.
BELOW = 1e-4


def runtime_names() -> set[str]:
    """Top-level names the shared runtime helpers define (kept once, never renamed)."""
    imports, helpers = runtime_source()
    return defined(ast.parse(imports + "\n" + helpers).body)


def defined(body: list[ast.stmt]) -> set[str]:
    """Names that top-level statements bind."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


class Renamer(ast.NodeTransformer):
    """Prefixes every use of the names in ``names`` (functions, constants, arguments)."""

    def __init__(self, names: set[str], prefix: str):
        self.names, self.prefix = names, prefix

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.names:
            node.id = self.prefix + node.id
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        if node.name in self.names:
            node.name = self.prefix + node.name
        self.generic_visit(node)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        if node.arg in self.names:
            node.arg = self.prefix + node.arg
        return node


def layer_source(code: str, prefix: str) -> str:
    """A generated module's own statements (no docstring, imports or runtime helpers), its
    top-level names prefixed with ``prefix``."""
    try:
        body = ast.parse(code).body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise SynthesisError(f"a layer does not parse: {error}") from error
    shared = runtime_names()
    own = [node for node in body
           if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
           and not isinstance(node, ast.Import | ast.ImportFrom)
           and not (defined([node]) and defined([node]) <= shared)]
    if any(isinstance(node, ast.Global | ast.Nonlocal) for node in ast.walk(ast.Module(own, []))):
        raise SynthesisError("a layer uses global or nonlocal")
    names = defined(own) - shared
    if "execute" not in names:
        raise SynthesisError("a layer has no execute()")
    renamer = Renamer(names, prefix)
    return "\n".join(ast.unparse(renamer.visit(node)) for node in own)


def depth(code: str) -> int:
    """How many single models a module holds (1 unless it is stacked)."""
    for node in ast.parse(code).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "DEPTH" for t in node.targets):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, int):
                return value.value
    return 1


def stack_modules(base: str, base_cut: float, top: str, top_cut: float, *, task: str,
                  version: str, output_values: Any = None) -> str:
    """One module: ``base`` answers at confidence >= ``base_cut``, else ``top`` at >= ``top_cut``,
    else the answer of ``top`` with a confidence below both cuts (the module declines)."""
    imports, helpers = runtime_source()
    lower = min(base_cut, top_cut)
    layers = depth(base) + depth(top)
    text = f'''"""Generated code for task {task!r}, version {version!r}: stacked, {layers} models.

The first layer answers where its confidence reaches BASE_CUT; where it does not, the
second answers where its own (calibrated on the inputs the first declines) reaches TOP_CUT.
Generated by evomachine: regenerate it rather than edit it.
"""

{imports}

TASK = {py_literal(task)}
VERSION = {py_literal(version)}
SYNTHESIZER = {py_literal(SYNTHESIZER)}
OUTPUT_VALUES = {py_literal(tuple(output_values) if output_values is not None else None)}
DEPTH = {layers}
BASE_CUT = {py_literal(float(base_cut))}
TOP_CUT = {py_literal(float(top_cut))}
DECLINED = {py_literal(max(0.0, round(lower - BELOW, 6)))}


# ---- shared helpers (evomachine.evolution.synthesis.runtime)
{helpers}


# ---- first layer
{layer_source(base, "A_")}


# ---- second layer
{layer_source(top, "B_")}


def execute(input: dict, context: dict) -> dict:
    """The first layer's answer where it is sure, else the second's (declined below both)."""
    first = A_execute(input, context)
    if first["confidence"] >= BASE_CUT:
        return first
    second = B_execute(input, context)
    if second["confidence"] >= TOP_CUT:
        return second
    return {{"output": second["output"], "confidence": min(second["confidence"], DECLINED),
            "metadata": second["metadata"]}}


def get_confidence(input: dict) -> float:
    """The confidence of :func:`execute`'s answer."""
    return execute(input, {{}})["confidence"]
'''
    check_module(text, f"generated/{task}_{version}.py")
    return text
