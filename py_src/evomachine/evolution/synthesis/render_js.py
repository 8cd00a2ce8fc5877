"""A generated Python module as a standalone JavaScript ES module, with a ``.d.ts``.

``render_js`` reads the module's text (never runs it): the constants its template
wrote (labels, tables, weights, calibration) are literals or JSON text, taken out
with ``ast``. They go into ``templates/module.mjs.j2`` around a JavaScript port of
``runtime.py`` (``templates/runtime.mjs.j2``): on the same input the JS gives the
same output and the same confidence, bit for bit.

Known limits (the JS sees inputs after ``JSON.parse``): a whole-valued float in an
input (``2.0``) or an integer of 2**53 or more is written as an integer by the JS
canonical JSON, where Python writes ``2.0`` or the exact integer; and characters new
in a Unicode version Node's ICU lacks are classified and NFKC-normalised by Node's
version. Case folding uses the exporting Python's own table, so ``ß`` folds to ``ss``.
"""

from __future__ import annotations

import ast
import functools
import json
import sys
from importlib import resources
from typing import Any

import jinja2

from evomachine import nesting
from evomachine.evolution.synthesis.spec import SynthesisError

MODELS = ("exact_lookup", "normalized_lookup", "naive_bayes", "linear")
STACKED = "stacked"  # synthesis/stack.py: layers of MODELS (or of stacks), names prefixed A_/B_
EXPORTABLE = (*MODELS, STACKED)
MAX_DEPTH = 8  # layers nested deeper than this are refused (the engine stacks at most 3 models)
CONSTANTS = ("TASK", "VERSION", "SYNTHESIZER", "OUTPUT_VALUES", "CALIBRATION", "LABELS",
             "DEFAULT", "TABLE", "TOKEN_TABLE", "PRIORS", "UNSEEN", "SCALE", "BIAS", "ZERO",
             "ROWS", "BASE_CUT", "TOP_CUT", "DECLINED")
JSON_TO_TS = {"string": "string", "integer": "number", "number": "number",
              "boolean": "boolean", "null": "null", "array": "unknown[]",
              "object": "Record<string, unknown>"}


def js(value: Any) -> str:
    """``value`` as JavaScript source: JSON, ASCII only (no line separator can end a line)."""
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=True)
    except (TypeError, ValueError) as error:
        raise SynthesisError(f"cannot emit {value!r} as JavaScript: {error}") from error


def js_map(table: dict[str, Any]) -> str:
    """A ``[[key, value], ...]`` array literal for ``new Map(...)``, one entry a line.

    An array, not an object literal: a key such as ``__proto__`` stays a plain key.
    """
    rows = [js([key, value]) for key, value in table.items()]
    return "[\n" + ",\n".join(rows) + "\n]" if rows else "[]"


def literal(node: ast.expr) -> Any:
    """The value of an emitted constant: a literal, ``json.loads(text)`` or ``sparse_rows(...)``."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "sparse_rows" and len(node.args) == 1):
        return literal(node.args[0])
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "loads" and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        try:
            return nesting.loads(node.args[0].value)
        except (ValueError, RecursionError, MemoryError) as error:
            raise SynthesisError(f"an emitted JSON table does not parse: {error}") from error
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as error:
        raise SynthesisError(f"not a literal: {ast.dump(node)[:80]}") from error


def parse(code: str) -> ast.Module:
    """The module's syntax tree (never run), or a clear ``SynthesisError``."""
    try:
        nesting.check_code(code)
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise SynthesisError(f"the module does not parse: {error}") from error


def constants(tree: ast.Module, prefix: str = "",
              names: tuple[str, ...] = CONSTANTS) -> dict[str, Any]:
    """The module-level constants ``render_js`` needs (``names``), read from the module's
    tree: those named ``prefix + NAME`` (a stacked module's layer), keyed by ``NAME``."""
    assigned = assignments(tree)
    return {name: literal(assigned[prefix + name]) for name in names if prefix + name in assigned}


def assignments(tree: ast.Module) -> dict[str, ast.expr]:
    """The module-level ``NAME = value`` statements by name (the last one counts), read once
    per tree: a stacked module's layers (up to 2**MAX_DEPTH of them) each look theirs up."""
    found = getattr(tree, "evomachine_assignments", None)
    if found is None:
        found = {node.targets[0].id: node.value for node in tree.body
                 if isinstance(node, ast.Assign) and len(node.targets) == 1
                 and isinstance(node.targets[0], ast.Name)}
        tree.evomachine_assignments = found  # type: ignore[attr-defined]
    return found


def need(found: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    """``found[name]`` if it is a ``kind``, else a clear ``SynthesisError``."""
    value = found.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SynthesisError(f"the module's {name} is missing or not a {kind}")
    return value


def exact_number(value: Any) -> bool:
    """A float, or an int a JavaScript number holds exactly (at most 2**53 in size)."""
    return type(value) is float or (type(value) is int and abs(value) <= 2**53)


def checked_rows(table: Any, classes: int, name: str) -> dict[str, list[Any]]:
    """A ``{feature: [class, weight, ...]}`` table whose class indexes are in range."""
    if not isinstance(table, dict):
        raise SynthesisError(f"the module's {name} is not a table")
    for row in table.values():
        ok = isinstance(row, list) and len(row) % 2 == 0 and all(
            type(row[at]) is int and 0 <= row[at] < classes
            and exact_number(row[at + 1]) for at in range(0, len(row), 2))
        if not ok:
            raise SynthesisError(f"the module's {name} holds a malformed row")
    return table


def checked_lookup(table: Any, labels: int, name: str) -> dict[str, list[Any]]:
    """A ``{key: [label index, share]}`` table whose indexes are in range."""
    if not isinstance(table, dict) or not all(
            isinstance(entry, list) and len(entry) == 2 and type(entry[0]) is int
            and 0 <= entry[0] < labels and type(entry[1]) in (int, float)
            for entry in table.values()):
        raise SynthesisError(f"the module's {name} is not a lookup table")
    return table


def numbers(found: dict[str, Any], name: str, size: int) -> list[Any]:
    """A tuple of ``size`` numbers (one per label) as a list."""
    value = need(found, name, tuple)
    if len(value) != size or not all(exact_number(item) for item in value):
        raise SynthesisError(f"the module's {name} is not {size} numbers")
    return list(value)


@functools.cache
def fold_table() -> str:
    """Every code point that ``str.casefold`` changes, with its folding, as a JS Map source.

    Blocks of 256 code points that casefold leaves as they are are skipped whole.
    """
    folds = {}
    for start in range(0, sys.maxunicode + 1, 256):
        block = "".join(map(chr, range(start, start + 256)))
        if block.casefold() != block:
            folds.update((char, char.casefold()) for char in block if char.casefold() != char)
    return js_map(folds)


@functools.cache
def environment() -> jinja2.Environment:
    """The JS templates (``*.mjs.j2``), read from the package like the Python ones."""
    folder = resources.files("evomachine.evolution").joinpath("templates")
    sources = {entry.name: entry.read_text(encoding="utf-8")
               for entry in folder.iterdir() if entry.name.endswith(".mjs.j2")}
    return jinja2.Environment(loader=jinja2.DictLoader(sources), undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              autoescape=False)


def model_context(found: dict[str, Any], kind: str, labels: int) -> dict[str, str]:
    """The template values of one kind of model, checked."""
    if kind in ("exact_lookup", "normalized_lookup"):
        default = need(found, "DEFAULT", int)
        if not 0 <= default < labels:
            raise SynthesisError("the module's DEFAULT is not a label index")
        context = {"default": js(default), "table": js_map(checked_lookup(
            found.get("TABLE"), labels, "TABLE"))}
        if kind == "normalized_lookup":
            context["token_table"] = js_map(checked_lookup(
                found.get("TOKEN_TABLE"), labels, "TOKEN_TABLE"))
        return context
    rows = js_map(checked_rows(found.get("ROWS"), labels, "ROWS"))
    if kind == "naive_bayes":
        return {"priors": js(numbers(found, "PRIORS", labels)),
                "unseen": js(numbers(found, "UNSEEN", labels)), "weights": rows}
    scale = need(found, "SCALE", int)
    if scale <= 0:
        raise SynthesisError("the module's SCALE is not positive")
    return {"scale": js(scale), "bias": js(numbers(found, "BIAS", labels)),
            "zero": js(numbers(found, "ZERO", labels)), "weights": rows}


def model_values(found: dict[str, Any], kind: str) -> dict[str, Any]:
    """The template values every single model needs (task, version, labels, calibration)."""
    labels = need(found, "LABELS", tuple)
    calibration = need(found, "CALIBRATION", tuple)
    if not all(isinstance(row, tuple) and len(row) == 2
               and all(type(item) in (int, float) for item in row) for row in calibration):
        raise SynthesisError("the module's CALIBRATION is not (start, confidence) pairs")
    return {**identity(found), "synthesizer": kind, "synthesizer_json": js(kind),
            "calibration": js([list(row) for row in calibration]),
            "labels": js(list(labels)), "c": model_context(found, kind, len(labels))}


def identity(found: dict[str, Any]) -> dict[str, str]:
    """The module's task and version, as JS literals and as comment text."""
    task = need(found, "TASK", str)
    version = need(found, "VERSION", str)
    return {"task": js(task), "version": js(version), "task_comment": js(task)[1:-1],
            "version_comment": js(version)[1:-1]}


def exportable_kind(found: dict[str, Any]) -> str:
    kind = found.get("SYNTHESIZER")
    if kind not in EXPORTABLE:
        raise SynthesisError(f"only {', '.join(EXPORTABLE)} modules export to JavaScript, "
                             f"not {kind!r}")
    return str(kind)


def cut(found: dict[str, Any], name: str) -> str:
    value = found.get(name)
    if type(value) is not float:
        raise SynthesisError(f"the stacked module's {name} is not a float")
    return js(value)  # refuses NaN and infinities


def layer_js(tree: ast.Module, prefix: str, name: str) -> tuple[str, int]:
    """``(JS text, models)``: a function ``name()`` returning the layer's execute, for the layer
    of a stacked module whose names carry ``prefix`` (nested stacks recurse)."""
    found = constants(tree, prefix)
    kind = exportable_kind(found)
    if kind != STACKED:
        return environment().get_template("layer.mjs.j2").render(
            name=name, **model_values(found, kind)).strip(), 1
    if prefix.count("_") >= MAX_DEPTH:
        raise SynthesisError("the stacked module nests too deep")
    first, left = layer_js(tree, prefix + "A_", name + "A")
    second, right = layer_js(tree, prefix + "B_", name + "B")
    return environment().get_template("stacked-layer.mjs.j2").render(
        name=name, first=first, second=second, base_cut=cut(found, "BASE_CUT"),
        top_cut=cut(found, "TOP_CUT"), declined=cut(found, "DECLINED")).strip(), left + right


def js_exportable(code: str | None) -> bool:
    """Whether :func:`render_js` can export ``code`` (read, never run): a module of a kind it
    knows, whatever installed it (a synthesis, a stacked refresh, a pattern, a restore)."""
    if not code:
        return False
    try:
        exportable_kind(constants(parse(code), names=("SYNTHESIZER",)))
    except Exception:  # SynthesisError, or whatever hostile text makes the reader raise
        return False
    return True


def render_js(code: str) -> str:
    """The JavaScript ES module for a generated Python module's text."""
    tree = parse(code)
    found = constants(tree)
    kind = exportable_kind(found)
    values = found.get("OUTPUT_VALUES")
    runtime = environment().get_template("runtime.mjs.j2").render(fold=fold_table()).strip()
    output_values = js(list(values) if isinstance(values, tuple) else None)
    if kind == STACKED:
        layers, depth = layer_js(tree, "", "layer")
        return environment().get_template("stacked.mjs.j2").render(
            **identity(found), output_values=output_values, runtime=runtime, layers=layers,
            depth=depth)
    return environment().get_template("module.mjs.j2").render(
        output_values=output_values, runtime=runtime, **model_values(found, kind))


def ts_type(schema: Any) -> str:
    """The TypeScript type of a JSON schema (``unknown`` where it says too little)."""
    if not isinstance(schema, dict):
        return "unknown"
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return " | ".join(js(value) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return f"Array<{ts_type(schema.get('items'))}>"
    if kind == "object" and isinstance(schema.get("properties"), dict):
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        fields = [f"  {js(name)}{'' if name in required else '?'}: {ts_type(sub)};"
                  for name, sub in schema["properties"].items() if isinstance(name, str)]
        return "{\n" + "\n".join(fields) + "\n}" if fields else "Record<string, unknown>"
    return JSON_TO_TS.get(kind, "unknown") if isinstance(kind, str) else "unknown"


def render_dts(code: str, input_schema: dict[str, Any] | None = None) -> str:
    """The ``.d.ts`` of ``render_js(code)``: input from the task's schema, output its labels."""
    found = constants(parse(code))
    values = found.get("OUTPUT_VALUES")
    labels = values if isinstance(values, tuple) and values else found.get("LABELS")
    output = (" | ".join(js(label) for label in labels)
              if isinstance(labels, tuple) and labels else "unknown")
    task = js(need(found, "TASK", str))[1:-1]
    return "\n".join([
        f"// Types of the generated JavaScript module for task {task}.",
        f"export type Input = {ts_type(input_schema) if input_schema else 'unknown'};",
        f"export type Output = {output};",
        "export interface Result {",
        "  output: Output;",
        "  /** the calibrated probability that the answer matches the LLM's */",
        "  confidence: number;",
        "  metadata: { synthesizer: string; version: string; task: string; raw_score: number };",
        "}",
        "export declare const TASK: string;",
        "export declare const VERSION: string;",
        "export declare const SYNTHESIZER: string;",
        "export declare const OUTPUT_VALUES: Output[] | null;",
        "/** [output, raw score] */",
        "export declare function predict(input: Input): [Output, number];",
        "export declare function getConfidence(input: Input): number;",
        "export declare function execute(input: Input): Result;",
        "",
    ])


def infer_schema(inputs: list[Any]) -> dict[str, Any] | None:
    """A JSON schema the inputs all fit: an object's fields with the types seen (a field in
    every input is required), else one type; ``None`` when there are none or they vary."""
    names = {type(item) for item in inputs}
    if len(names) != 1:
        return None
    if names != {dict}:
        return {"type": json_type(inputs[0])}
    fields: dict[str, set[str]] = {}
    for item in inputs:
        for key, value in item.items():
            fields.setdefault(str(key), set()).add(json_type(value))
    required = [key for key in fields if all(key in item for item in inputs)]
    properties = {key: {"type": kinds.pop()} if len(kinds) == 1 else {}
                  for key, kinds in fields.items()}
    return {"type": "object", "properties": properties, "required": required}


def json_type(value: Any) -> str:
    """The JSON schema type name of a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
