"""DSL problems and the one exception that carries them.

Every problem knows its 1-based line and column; ``str(DSLError)`` shows each
one as ``line:col: message`` followed by the offending source line and a caret
under the column, so a user can fix the text without counting characters.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

#: How many problems ``str(DSLError)`` renders before summarising the rest.
MAX_RENDERED = 20


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a DSL text. ``line``/``column`` are 1-based (0 when unknown)."""

    line: int
    column: int
    message: str

    def to_dict(self) -> dict[str, int | str]:
        return {"line": self.line, "column": self.column, "message": self.message}


class LineIndex:
    """Turns character offsets into (line, column) pairs, both 1-based."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            self.starts.append(pos + 1)
            pos = find("\n", pos + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def problem(self, offset: int, message: str) -> Problem:
        line, column = self.position(offset)
        return Problem(line, column, message)


def source_line(source: str, line: int) -> str | None:
    """The text of 1-based ``line`` without its line break, or None if out of range."""
    if line < 1:
        return None
    lines = source.split("\n")
    if line > len(lines):
        return None
    return lines[line - 1].rstrip("\r")


def render_problem(problem: Problem, source: str = "") -> str:
    """``line:col: message``, then the source line and a caret under the column."""
    head = f"{problem.line}:{problem.column}: {problem.message}"
    text = source_line(source, problem.line) if source else None
    if text is None:
        return head
    # keep tabs so the caret lines up whatever the tab width
    pad = "".join("\t" if ch == "\t" else " " for ch in text[: max(problem.column - 1, 0)])
    return f"{head}\n    {text}\n    {pad}^"


class DSLError(Exception):
    """A DSL text that does not parse or validate.

    ``line``, ``column`` and ``message`` describe the first problem; ``errors``
    lists every problem found in the pass, in source order.
    """

    def __init__(
        self,
        errors: Sequence[Problem] | str,
        *,
        line: int = 0,
        column: int = 0,
        source: str = "",
    ) -> None:
        if isinstance(errors, str):
            errors = [Problem(line, column, errors)]
        if not errors:
            raise ValueError("DSLError needs at least one problem")
        self.errors: list[Problem] = sorted(errors)
        self.source = source
        first = self.errors[0]
        self.line = first.line
        self.column = first.column
        self.message = first.message
        super().__init__(self._render())

    def _render(self) -> str:
        shown = [render_problem(p, self.source) for p in self.errors[:MAX_RENDERED]]
        hidden = len(self.errors) - MAX_RENDERED
        if hidden > 0:
            shown.append(f"... and {hidden} more problem{'s' if hidden > 1 else ''}")
        return "\n".join(shown)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (self.errors, self.source))

    def to_dicts(self) -> list[dict[str, int | str]]:
        """The problems as plain dicts (for the page and JSON)."""
        return [p.to_dict() for p in self.errors]


def _rebuild(errors: list[Problem], source: str) -> DSLError:
    return DSLError(errors, source=source)
