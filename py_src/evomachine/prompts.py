"""Task prompts: jinja2 templates rendered in a sandbox.

Prompts are user text, so they are compiled by jinja2's
``ImmutableSandboxedEnvironment`` (no attribute tricks reaching Python
internals, no mutating the record) and
compiled once per task, never per step. A template sees ``input`` (the current
record), ``context`` (the executor's context dict) and every context key at
top level, plus whatever extra names the executor passes (``outputs``: the
latest output of each task). A missing variable renders empty rather than
failing the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

# The immutable variant of jinja2's SandboxedEnvironment: a template can't mutate the record either.
_ENVIRONMENT = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=True)


class PromptError(ValueError):
    """A prompt template does not compile or cannot be rendered."""

    def __init__(self, task: str, reason: str):
        super().__init__(f"prompt of task {task!r}: {reason}")
        self.task = task
        self.reason = reason


class Prompt:
    """One task's compiled prompt template."""

    __slots__ = ("_template", "source", "task")

    def __init__(self, task: str, source: str):
        self.task = task
        self.source = source
        try:
            self._template = _ENVIRONMENT.from_string(source)
        except TemplateError as error:
            raise PromptError(task, f"invalid template: {error}") from None

    def render(
        self,
        input: Any,
        context: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """The prompt for ``input``; raises :class:`PromptError` on a sandbox or template error."""
        variables = dict(context) if context else {}
        if extra:
            variables.update(extra)
        variables["context"] = context if context is not None else {}
        variables["input"] = input
        try:
            return self._template.render(variables)
        except TemplateError as error:
            raise PromptError(self.task, f"{type(error).__name__}: {error}") from None
        except Exception as error:  # a filter or test raised inside the template
            raise PromptError(self.task, f"{type(error).__name__}: {error}") from None


def compile_prompt(task: str, source: str | None) -> Prompt:
    """Compile ``source`` for ``task``; no prompt renders the input as JSON-ish text."""
    return Prompt(task, source if source is not None else "{{ input }}")
