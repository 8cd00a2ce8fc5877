"""The static policy: what generated code may say, checked on its AST before it runs.

In the spirit of jinja's ``SandboxedEnvironment.is_safe_attribute``, each rule is a
method that can be overridden. :class:`SandboxPolicy` only reads the tree and
collects problems; :mod:`.transform` then rewrites the accepted tree.
"""

from __future__ import annotations

import ast
import re

from RestrictedPython.transformer import ALLOWED_FUNC_NAMES

ALLOWED_IMPORTS = frozenset(
    {
        "re", "math", "json", "string", "collections", "itertools", "functools",
        "unicodedata", "typing", "__future__",
    }
)  # fmt: skip

FORBIDDEN_NAMES = frozenset(
    {
        "js", "pyodide", "os", "sys", "subprocess", "importlib", "builtins", "open",
        "eval", "exec", "compile", "globals", "locals", "vars", "dir",
        "breakpoint", "help", "memoryview", "bytearray", "setattr", "delattr",
        "object", "super", "classmethod", "staticmethod", "property", "exit", "quit",
        "BaseException", "GeneratorExit", "SystemExit", "KeyboardInterrupt",
        "copyright", "credits", "license", "print_function",
    }
)  # fmt: skip

# Non-underscore attributes that reach interpreter internals (frames, code, MRO), and
# ``register``: typing's aliases forward it to collections.abc, whose ABC registry the
# whole interpreter shares (``typing.Mapping.register(int)``).
FORBIDDEN_ATTRIBUTES = frozenset(
    {
        "register", "mro", "tb_frame", "tb_next", "f_back", "f_builtins", "f_code", "f_generator",
        "f_globals", "f_locals", "f_trace", "co_code", "gi_frame", "gi_code",
        "gi_yieldfrom", "cr_await", "cr_frame", "cr_code", "cr_origin", "ag_await",
        "ag_frame", "ag_code", "func_globals", "func_code", "with_traceback",
    }
)  # fmt: skip

_FMT_WIDTH = re.compile(r"(\d+)")


class SandboxPolicy(ast.NodeVisitor):
    """Walks a parsed module and records every policy violation as ``(line, message)``."""

    max_format_width = 10_000

    def __init__(self) -> None:
        self.problems: list[tuple[int, str]] = []
        self._in_finally = 0

    # -- rules -----------------------------------------------------------------
    def is_safe_name(self, name: str) -> bool:
        return not (name.startswith("_") and name != "_") and name not in FORBIDDEN_NAMES

    def is_safe_attribute(self, name: str) -> bool:
        return not name.startswith("_") and name not in FORBIDDEN_ATTRIBUTES

    def is_allowed_import(self, module: str) -> bool:
        return module in ALLOWED_IMPORTS

    # -- plumbing --------------------------------------------------------------
    def fail(self, node: ast.AST, message: str) -> None:
        self.problems.append((getattr(node, "lineno", 0), message))

    def check(self, tree: ast.Module) -> list[tuple[int, str]]:
        self.visit(tree)
        return sorted(set(self.problems))

    # -- names and attributes --------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if not self.is_safe_name(node.id):
            self.fail(node, f"name {node.id!r} is not allowed in generated code")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not self.is_safe_attribute(node.attr):
            self.fail(node, f"attribute {node.attr!r} is not allowed (private or internal)")
        self.generic_visit(node)

    def _check_def_name(self, node: ast.AST, name: str) -> None:
        if not self.is_safe_name(name) and name not in ALLOWED_FUNC_NAMES:
            self.fail(node, f"name {name!r} is not allowed in generated code")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check_def_name(node, node.name)
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and not self.is_safe_name(arg.arg):
                self.fail(node, f"argument name {arg.arg!r} is not allowed")
        outer, self._in_finally = self._in_finally, 0
        self.generic_visit(node)
        self._in_finally = outer

    def visit_Lambda(self, node: ast.Lambda) -> None:
        outer, self._in_finally = self._in_finally, 0
        self.generic_visit(node)
        self._in_finally = outer

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._check_def_name(node, node.name)
        if node.keywords:
            self.fail(node, "class keywords (metaclass=...) are not allowed")
        self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.fail(node, "async functions are not allowed")

    # -- imports ---------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not self.is_allowed_import(alias.name):
                self.fail(node, f"import of {alias.name!r} is not allowed "
                          f"(allowed: {', '.join(sorted(ALLOWED_IMPORTS - {'__future__'}))})")
            if alias.asname and not self.is_safe_name(alias.asname):
                self.fail(node, f"import alias {alias.asname!r} is not allowed")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not self.is_allowed_import(module):
            self.fail(node, f"import from {module or '.'!r} is not allowed")
        for alias in node.names:
            if alias.name == "*":
                self.fail(node, "'import *' is not allowed")
            elif not self.is_safe_attribute(alias.name):
                self.fail(node, f"importing {alias.name!r} is not allowed")
            if alias.asname and not self.is_safe_name(alias.asname):
                self.fail(node, f"import alias {alias.asname!r} is not allowed")

    # -- calls -----------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in ("getattr", "hasattr"):
                name = node.args[1] if len(node.args) > 1 else None
                if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                    self.fail(node, f"{func.id}() needs a literal attribute name")
                elif not self.is_safe_attribute(name.value):
                    self.fail(node, f"{func.id}() of {name.value!r} is not allowed")
            elif func.id == "type" and len(node.args) != 1:
                self.fail(node, "type() takes exactly one argument in generated code")
        self.generic_visit(node)

    # -- exceptions and control flow -------------------------------------------
    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is None:
            self.fail(node, "bare 'except:' is not allowed; catch Exception or narrower")
        if node.name and not self.is_safe_name(node.name):
            self.fail(node, f"name {node.name!r} is not allowed")
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        for child in [*node.body, *node.handlers, *node.orelse]:
            self.visit(child)
        self._in_finally += 1
        for child in node.finalbody:
            self.visit(child)
        self._in_finally -= 1

    visit_TryStar = visit_Try

    def _flow_in_finally(self, node: ast.stmt) -> None:
        if self._in_finally:
            self.fail(node, f"'{type(node).__name__.lower()}' inside 'finally' is not allowed")
        self.generic_visit(node)

    visit_Return = _flow_in_finally
    visit_Break = _flow_in_finally
    visit_Continue = _flow_in_finally

    # -- f-strings -------------------------------------------------------------
    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            for part in parts:
                if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                    self.fail(node, "f-string format specs must be literal")
                elif any(int(w) > self.max_format_width for w in _FMT_WIDTH.findall(part.value)):
                    self.fail(node, f"f-string width/precision over {self.max_format_width}")
        self.visit(node.value)
