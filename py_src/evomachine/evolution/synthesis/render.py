"""Generated modules, in steps: render → check → load.

``render_module`` fills ``templates/module.py.j2`` with a synthesizer's body
template; ``check_module`` compiles the text under its real file name so a
syntax error points into it; ``load_checked`` hands it to the sandbox.
Templates are read with ``importlib.resources`` into a ``DictLoader``, which
works from an installed wheel inside Pyodide as well as from a checkout.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jinja2

from evomachine.evolution.synthesis.base import FittedModel
from evomachine.evolution.synthesis.calibration import as_table
from evomachine.evolution.synthesis.spec import CalibrationBin, SynthesisError, TaskSpec

EMIT_MARKER = "# BEGIN EMITTED\n"
JSON_TO_PY = {"string": "str", "integer": "int", "number": "float", "boolean": "bool",
              "array": "list", "object": "dict", "null": "None"}


def py_literal(value: Any) -> str:
    """A Python literal for a JSON-like value (tuples stay tuples); refuses anything else."""
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise SynthesisError(f"cannot emit {value!r} as a literal: {error}") from error
    return repr(value)


def json_table(table: dict[str, Any]) -> str:
    """A raw triple-quoted string literal holding ``table`` as JSON, one entry a line.

    Big tables are emitted as JSON text for ``json.loads`` rather than as dict
    literals: one constant instead of thousands of AST nodes keeps loading the
    module through the sandbox fast. Unescaped ``\"\"\"`` cannot occur in JSON text.
    """
    try:
        rows = [
            json.dumps(key) + ": " + json.dumps(value, allow_nan=False)
            for key, value in table.items()
        ]
    except (TypeError, ValueError) as error:
        raise SynthesisError(f"cannot emit the table as JSON: {error}") from error
    return 'r"""{\n' + ",\n".join(rows) + '\n}"""'


def doc_text(value: Any) -> str:
    """Text that is safe inside a triple-quoted docstring."""
    return str(value).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


@functools.cache
def environment() -> jinja2.Environment:
    """The template environment, built once from the packaged ``*.py.j2`` files."""
    folder = resources.files("evomachine.evolution").joinpath("templates")
    sources = {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".py.j2")
    }
    env = jinja2.Environment(
        loader=jinja2.DictLoader(sources),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = py_literal
    env.filters["doc"] = doc_text
    env.filters["json_table"] = json_table
    return env


@functools.cache
def runtime_source() -> tuple[str, str]:
    """``(imports, helpers)`` every generated module carries: ``runtime.py`` below its marker."""
    package = resources.files("evomachine.evolution.synthesis")
    text = package.joinpath("runtime.py").read_text(encoding="utf-8")
    if EMIT_MARKER not in text:
        raise SynthesisError(f"runtime.py lost its {EMIT_MARKER.strip()!r} marker")
    lines = text.split(EMIT_MARKER, 1)[1].strip().splitlines()
    imports = [line for line in lines if line.startswith("import ")]
    helpers = [line for line in lines if not line.startswith("import ")]
    return "\n".join(imports), "\n".join(helpers).strip()


def output_type(spec: TaskSpec) -> str:
    """The output's builtin type name from the task's schema ("object" when unknown)."""
    schema = spec.output_schema or {}
    values = spec.output_values
    if values is not None:
        kinds = {type(value).__name__ for value in values}
        return kinds.pop() if len(kinds) == 1 else "object"
    kind = schema.get("type")
    return JSON_TO_PY.get(kind, "object") if isinstance(kind, str) else "object"


def render_module(
    spec: TaskSpec,
    model: FittedModel,
    *,
    version: str,
    calibration: list[CalibrationBin],
    trained_on: int,
    heldout_agreement: float,
    heldout_size: int,
) -> str:
    """The full source of a generated module for ``model``."""
    env = environment()
    body = env.get_template(model.body_template()).render(**model.body_context()).rstrip()
    values = spec.output_values
    return env.get_template("module.py.j2").render(
        task=spec.name,
        version=version,
        synthesizer=model.synthesizer,
        output_values=tuple(values) if values is not None else None,
        output_type=output_type(spec),
        trained_on=trained_on,
        heldout_agreement=round(heldout_agreement, 4),
        heldout_size=heldout_size,
        imports=runtime_source()[0],
        runtime=runtime_source()[1],
        calibration=as_table(calibration),
        body=body,
    )


def check_module(code: str, filename: str) -> None:
    """Compile ``code`` as ``filename``; a syntax error becomes a ``SynthesisError``."""
    try:
        compile(code, filename, "exec", dont_inherit=True)
    except SyntaxError as error:
        line = (error.text or "").rstrip()
        raise SynthesisError(f"{filename}:{error.lineno}: {error.msg}: {line}") from error


def load_checked(code: str, filename: str, budget: Any = None) -> Any:
    """Check ``code`` and load it through the sandbox (``evomachine.sandbox.load_module``)."""
    from evomachine.sandbox import load_module

    check_module(code, filename)
    return load_module(code, filename, budget=budget)
