"""Load generated code: parse → check policy → transform and compile → run the body, all budgeted.

Each stage is a small function (as jinja's ``_parse``/``_generate``/``_compile``);
the compiled code keeps the caller's filename and its source is registered in
``linecache`` so tracebacks and error messages point into the generated module.
"""

from __future__ import annotations

import ast
import itertools
import linecache
import math
import re
from collections.abc import Callable
from types import CodeType, TracebackType
from typing import Any

from ..nesting import NestingError, check_code
from .budget import DEFAULT_BUDGET, LOAD_BUDGET, Budget, Meter
from .errors import BudgetExceeded, GeneratedCodeError, SandboxError, SandboxViolation, Trip
from .namespace import build_namespace
from .plain import PlainDataError, to_json, to_plain
from .policy import SandboxPolicy
from .transform import BudgetTransformer

_ids = itertools.count(1)
MAX_SOURCE_CHARS = 1_000_000


def parse(code: str, filename: str) -> ast.Module:
    """Parse ``code``; a syntax error is a :class:`GeneratedCodeError` naming the line."""
    if not isinstance(code, str):
        raise GeneratedCodeError("generated code must be a str", filename=filename)
    if len(code) > MAX_SOURCE_CHARS:
        raise GeneratedCodeError(f"generated code is over {MAX_SOURCE_CHARS:,} chars",
                                 filename=filename)
    try:
        check_code(code)
        return ast.parse(code, filename)
    except NestingError as exc:
        raise GeneratedCodeError(str(exc), filename=filename) from None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None)
        raise GeneratedCodeError(f"syntax error: {getattr(exc, 'msg', exc)}",
                                 filename=filename, line=line) from None


def check(tree: ast.Module, filename: str, policy: SandboxPolicy | None = None) -> None:
    """Apply the static policy; every violation is listed in one :class:`SandboxViolation`."""
    problems = (policy or SandboxPolicy()).check(tree)
    if problems:
        line, first = problems[0]
        more = f" (+{len(problems) - 1} more: " + "; ".join(
            f"line {n}: {m}" for n, m in problems[1:4]) + ")" if len(problems) > 1 else ""
        raise SandboxViolation(first + more, filename=filename, line=line)


def compile_tree(tree: ast.Module, filename: str) -> CodeType:
    """RestrictedPython's transform plus budget hooks, then ``compile`` with ``filename``."""
    errors: list[str] = []
    transformer = BudgetTransformer(errors, [], {})
    tree = transformer.visit(tree)
    if errors:
        found = re.match(r"Line (\d+): ", errors[0])
        raise SandboxViolation("; ".join(errors[:4]), filename=filename,
                               line=int(found.group(1)) if found else None)
    ast.fix_missing_locations(tree)
    try:
        return compile(tree, filename, "exec")
    except (SyntaxError, ValueError) as exc:  # e.g. 'return' outside function
        raise GeneratedCodeError(f"cannot compile: {exc}", filename=filename,
                                 line=getattr(exc, "lineno", None)) from None


def load_module(code: str, filename: str, budget: Budget | None = None) -> GeneratedModule:
    """Compile ``code`` and run its body under :data:`LOAD_BUDGET`; calls use ``budget``."""
    tree = parse(code, filename)
    try:  # the policy and the transform walk the tree in Python (Pyodide's limit is lower)
        check(tree, filename)
        compiled = compile_tree(tree, filename)
    except (RecursionError, MemoryError):
        raise GeneratedCodeError("the code nests too deeply to check", filename=filename) from None
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    meter = Meter()
    namespace = build_namespace(meter, f"generated{next(_ids)}")
    module = GeneratedModule(filename, code, namespace, meter, budget or DEFAULT_BUDGET)
    module._run(lambda: exec(compiled, namespace), LOAD_BUDGET)
    return module


class GeneratedModule:
    """A loaded generated module; every call runs under the module's budget."""

    def __init__(self, filename: str, source: str, namespace: dict[str, Any], meter: Meter,
                 budget: Budget) -> None:
        self.filename = filename
        self.source = source
        self.budget = budget
        self._namespace = namespace
        self._meter = meter
        self.last_ticks = 0

    @property
    def functions(self) -> list[str]:
        """Public callables the module defines."""
        return sorted(name for name, value in self._namespace.items()
                      if not name.startswith("_") and callable(value)
                      and not isinstance(value, type))

    def call(self, name: str, *args: Any) -> Any:
        """Call public function ``name`` on deep copies of ``args``; returns plain data."""
        result = self._call(name, args)
        try:
            return to_plain(result, max_nodes=20_000, max_depth=50)
        except PlainDataError as exc:
            raise GeneratedCodeError(f"{name}() returned {exc}", filename=self.filename) from None

    def _call(self, name: str, args: tuple[Any, ...], fresh: bool = False) -> Any:
        """Run ``name`` on copies of ``args``; ``fresh`` args (just decoded from JSON, held by
        nobody else) are passed as they are."""
        if not isinstance(name, str) or name.startswith("_"):
            raise SandboxViolation(f"cannot call {name!r}", filename=self.filename)
        func = self._namespace.get(name)
        if func is None or not callable(func) or isinstance(func, type):
            raise GeneratedCodeError(f"module defines no function {name!r}",
                                     filename=self.filename)
        try:
            copied = args if fresh else [to_plain(arg, host=True) for arg in args]
        except PlainDataError as exc:
            raise SandboxError(f"argument for {name}() is not plain data: {exc}",
                               filename=self.filename) from None
        return self._run(lambda: func(*copied), self.budget)

    def get_confidence(self, input: Any) -> float:
        """``get_confidence(input)``, validated as a finite float in [0, 1]."""
        value = self._call("get_confidence", (input,))
        return _confidence(value, "get_confidence()", self.filename)

    def execute(self, input: Any, context: Any) -> dict[str, Any]:
        """``execute(input, context)``, validated as ``{"output", "confidence", "metadata"}``."""
        return self.execute_json(input, context)[0]

    def execute_json(self, input: Any, context: Any, *,
                     fresh: bool = False) -> tuple[dict[str, Any], str]:
        """:meth:`execute`'s result and its compact JSON text (what a boundary sends on).

        ``fresh`` input and context (decoded from JSON for this call alone) are not copied.
        """
        result = self._call("execute", (input, context if context is not None else {}), fresh)
        where = self.filename
        if not isinstance(result, dict):
            raise GeneratedCodeError(f"execute() returned {type(result).__name__}, not a dict",
                                     filename=where)
        has = dict.__contains__
        if not (has(result, "output") and has(result, "confidence")):
            missing = sorted({"output", "confidence"} - set(dict.keys(result)))
            raise GeneratedCodeError(f"execute() result lacks {missing}", filename=where)
        metadata = dict.get(result, "metadata", {})
        if not isinstance(metadata, dict):
            raise GeneratedCodeError("execute() metadata is not a dict", filename=where)
        clean = {
            "output": dict.__getitem__(result, "output"),
            "confidence": _confidence(dict.__getitem__(result, "confidence"),
                                      "execute() confidence", where),
            "metadata": metadata,
        }
        try:
            clean = to_plain(clean, max_nodes=20_000, max_depth=50, allow_nan=False,
                             json_keys=True)
            text = to_json(clean)
        except (PlainDataError, ValueError, TypeError) as exc:
            raise GeneratedCodeError(f"execute() result is not JSON data: {exc}",
                                     filename=where) from None
        if len(text) > self.budget.max_output_bytes:
            raise BudgetExceeded(f"execute() result is {len(text):,} bytes of JSON "
                                 f"(limit {self.budget.max_output_bytes:,})", filename=where)
        return clean, text

    # -- running ---------------------------------------------------------------
    def _run(self, thunk: Callable[[], Any], budget: Budget) -> Any:
        meter = self._meter
        meter.reset(budget)
        try:
            result = thunk()
        except Trip as trip:
            raise trip.kind(trip.reason, filename=self.filename,
                            line=_line_in(trip.__traceback__, self.filename)) from None
        except RecursionError as exc:
            raise BudgetExceeded("recursion too deep", filename=self.filename,
                                 line=_line_in(exc.__traceback__, self.filename)) from None
        except MemoryError as exc:
            raise BudgetExceeded("out of memory", filename=self.filename,
                                 line=_line_in(exc.__traceback__, self.filename)) from None
        except Exception as exc:  # the generated code's own error
            line = _line_in(exc.__traceback__, self.filename)
            raise GeneratedCodeError(_describe(exc, self.filename, line),
                                     filename=self.filename, line=line) from None
        finally:
            tripped, used = meter.state()
            self.last_ticks = used
        if tripped is not None:  # the code caught a trip and carried on: still a failure
            raise tripped.kind(tripped.reason, filename=self.filename)
        return result


def _confidence(value: Any, what: str, filename: str) -> float:
    if type(value) is float and 0.0 <= value <= 1.0:  # the usual answer (NaN fails the range)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GeneratedCodeError(f"{what} is {type(value).__name__}, not a float",
                                 filename=filename)
    value = float(value)
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise GeneratedCodeError(f"{what} is {value!r}, not in [0, 1]", filename=filename)
    return value


def _line_in(tb: TracebackType | None, filename: str) -> int | None:
    """Line of the innermost traceback frame that lies in the generated module."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _describe(exc: BaseException, filename: str, line: int | None) -> str:
    args = exc.args
    text = args[0] if len(args) == 1 and isinstance(args[0], str) else ""
    text = text[:200]
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if line is not None:
        source = linecache.getline(filename, line).strip()
        if source:
            message += f" (at: {source[:120]})"
    return message
