"""The handle of a batch sent across the process boundary without waiting for its answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import SandboxError

if TYPE_CHECKING:
    from .process import ProcessModule


class Ahead:
    """The answers of one ``ProcessModule.submit_many`` request, read as they are wanted.

    Any other request first reads the answers still due. An answer that cost the child is
    kept (and fails the module, as ``execute`` would); the ones after it never come.
    """

    __slots__ = ("count", "module", "open", "results")

    def __init__(self, module: ProcessModule, count: int) -> None:
        self.module = module
        self.count = count
        self.results: list[dict[str, Any] | SandboxError] = []
        self.open = True

    async def get(self, index: int) -> dict[str, Any] | SandboxError | None:
        """Input ``index``'s result or error; None if it will not come (call ``execute``)."""
        if index >= len(self.results) and self.open:
            await self.module._host._read_ahead(self, index)
        return self.results[index] if index < len(self.results) else None
