"""Task prompts: jinja2 templates rendered in a sandbox, on a counted budget.

Prompts are user text (and arrive in imported files), so they are compiled by
a subclass of jinja2's ``ImmutableSandboxedEnvironment`` (no attribute tricks
reaching Python internals, no mutating the record) and compiled once per task,
never per step. A template sees ``input`` (the current record), ``context``
(the executor's context dict) and every context key at top level, plus
whatever extra names the executor passes (``outputs``: the latest output of
each task). A missing variable renders empty rather than failing the task.

Every render has a budget that is counted, not timed, so it gives the same
answer on every machine and in Pyodide:

- ``MAX_STEPS`` loop iterations and calls (every ``for`` iterable is wrapped in
  a counting iterator when the template is compiled; recursive ``loop()`` calls
  too), and calls nested at most ``MAX_CALL_DEPTH`` deep (macro recursion);
- ``MAX_CHARS`` characters output in all, captured blocks and macros included
  (every output node is counted as it is produced, so nothing is built first
  and measured afterwards);
- no value larger than ``MAX_CHARS`` (characters of a string, items of a
  nested list or dict counted with every shared part as often as it appears)
  or deeper than ``MAX_NESTING``: checked where values are built (literals,
  ``~``, ``+``, ``*``, filter and call results), and the operations that could
  allocate a huge value in one go (``*`` by a count, ``**``, ``%`` and
  ``format`` widths, integer arguments) are checked before they run.

A template over its budget raises :class:`PromptError`: the task execution
fails with that message, it never hangs the page. The budget and its checks are
:mod:`evomachine.prompt_budget`; this module is the sandbox that applies them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jinja2 import TemplateError, nodes, pass_context
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from evomachine.nesting import NestingError, check_template
from evomachine.prompt_budget import (
    BUDGET,
    MAX_CALL_DEPTH,
    MAX_CHARS,
    MAX_INT_BITS,
    MAX_NESTING,
    MAX_STEPS,
    BudgetExceeded,
    RenderBudget,
    check_join,
    check_printf,
    check_str_call,
    checked_mod,
    checked_mul,
    checked_pow,
    current_budget,
    template_too_long,
)

__all__ = ["MAX_CALL_DEPTH", "MAX_CHARS", "MAX_INT_BITS", "MAX_NESTING", "MAX_STEPS",
           "BudgetExceeded", "BudgetedSandbox", "Prompt", "PromptError", "RenderBudget",
           "compile_prompt"]


class PromptError(ValueError):
    """A prompt template does not compile, cannot be rendered or is over its budget."""

    def __init__(self, task: str, reason: str):
        super().__init__(f"prompt of task {task!r}: {reason}")
        self.task = task
        self.reason = reason


class _Budgeted(NodeTransformer):
    """Rewrites a parsed template so every loop, output and built value is counted."""

    @staticmethod
    def _wrap(node: nodes.Expr, name: str) -> nodes.Filter:
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)

    def visit_For(self, node: nodes.For) -> nodes.For:
        node = self.generic_visit(node)
        node.iter = self._wrap(node.iter, "_em_iter")
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Output:
        node = self.generic_visit(node)
        node.nodes = [self._wrap(child, "_em_out") for child in node.nodes]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        return self._wrap(self.generic_visit(node), "_em_value")

    def visit_List(self, node: nodes.List) -> nodes.Filter:
        return self._wrap(self.generic_visit(node), "_em_value")

    def visit_Dict(self, node: nodes.Dict) -> nodes.Filter:
        return self._wrap(self.generic_visit(node), "_em_value")

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        node = self.generic_visit(node)
        return self._wrap(node, "_em_value") if node.ctx == "load" else node


@pass_context
def _em_iter(context: Any, iterable: Any) -> Iterator[Any]:
    return current_budget().iterate(iterable)


@pass_context
def _em_out(context: Any, value: Any) -> str:
    budget = current_budget()
    if not isinstance(value, str):
        budget.check_value(value, "an output value")
        value = str(value)
    return budget.output(value)


@pass_context
def _em_value(context: Any, value: Any) -> Any:
    return current_budget().check_value(value)


def _budgeted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    skip = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(function)  # keeps jinja_pass_arg, so jinja passes the same arguments
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.step()
        if len(args) > skip:
            value, rest = args[skip], args[skip + 1:]
            if name == "format":
                check_printf(value, kwargs or rest)
            elif name == "join":
                separator = rest[0] if rest else kwargs.get("d", "")
                value = check_join(separator, value)
            else:
                rest = check_str_call(name, value, rest, kwargs)
            args = (*args[:skip], value, *rest)
        return budget.check_value(function(*args, **kwargs), f"the result of filter {name!r}")

    return wrapper


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with every loop, call, output and built value counted."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.binop_table = {**self.binop_table, "*": checked_mul, "**": checked_pow,
                            "%": checked_mod}
        self.globals.pop("lipsum", None)  # generates text by the paragraph: nothing a prompt needs
        self.filters = {name: _budgeted_filter(name, f) for name, f in self.filters.items()}
        self.filters.update(_em_iter=_em_iter, _em_out=_em_out, _em_value=_em_value)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _Budgeted().visit(super()._parse(source, name, filename))

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        budget = current_budget()
        budget.step()
        return budget.check_value(super().call_binop(context, operator_name, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.step()
        target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str | bytes | bytearray):  # "x".ljust(n), "{0}{0}".format(s), ...
            method = getattr(target, "__name__", "")
            if method == "join" and len(args) == 1:
                args = (check_join(owner, args[0]),)
            else:
                args = check_str_call(method, owner, args, kwargs)
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (budget.iterate(args[0]), *args[1:])
        budget.depth += 1
        try:
            if budget.depth > MAX_CALL_DEPTH:
                raise BudgetExceeded(f"calls nest more than {MAX_CALL_DEPTH} deep "
                                     "(a macro calling itself?)")
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        return budget.check_value(result, "the result of a call")


_ENVIRONMENT = BudgetedSandbox(autoescape=False, keep_trailing_newline=True)


class Prompt:
    """One task's compiled prompt template."""

    __slots__ = ("_template", "source", "task")

    def __init__(self, task: str, source: str):
        self.task = task
        self.source = source
        if too_long := template_too_long(source):
            raise PromptError(task, f"invalid template: {too_long}")
        try:
            check_template(source, _ENVIRONMENT)  # deep expressions exhaust Pyodide's stack
            self._template = _ENVIRONMENT.from_string(source)
        except NestingError as error:
            raise PromptError(task, f"invalid template: {error}") from None
        except TemplateError as error:
            raise PromptError(task, f"invalid template: {error}") from None
        except RecursionError:
            raise PromptError(task, "invalid template: nested too deeply") from None

    def render(
        self,
        input: Any,
        context: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """The prompt for ``input``; :class:`PromptError` on a sandbox, template or budget error."""
        variables = dict(context) if context else {}
        if extra:
            variables.update(extra)
        variables["context"] = context if context is not None else {}
        variables["input"] = input
        token = BUDGET.set(RenderBudget())
        try:
            return self._template.render(variables)
        except BudgetExceeded as error:
            raise PromptError(self.task, f"over its budget: {error}") from None
        except TemplateError as error:
            raise PromptError(self.task, f"{type(error).__name__}: {error}") from None
        except Exception as error:  # a filter or test raised inside the template
            raise PromptError(self.task, f"{type(error).__name__}: {error}") from None
        finally:
            BUDGET.reset(token)


def compile_prompt(task: str, source: str | None) -> Prompt:
    """Compile ``source`` for ``task``; no prompt renders the input as JSON-ish text."""
    return Prompt(task, source if source is not None else "{{ input }}")
