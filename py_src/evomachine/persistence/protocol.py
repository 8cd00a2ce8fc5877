"""What persistence needs from an executor: ``PersistableExecutor``."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ..model import MachineData


@runtime_checkable
class PersistableExecutor(Protocol):
    """The executor surface that versions, rollback and pattern import rely on.

    ``export_state`` returns a JSON-safe snapshot (machine, stages, metrics,
    histories, code, mutations) that ``import_state`` restores exactly.
    ``install_code`` validates code on the task's own history when it has one
    and returns ``{"agreement": float | None, "checked": int, "installed_stage": str}``;
    it may install at a lower stage than asked when agreement is poor.
    """

    machine_id: str
    machine: MachineData

    def export_state(self) -> dict[str, Any]: ...

    def import_state(self, state: dict[str, Any]) -> None: ...

    def record_mutation(self, type: str, data: dict[str, Any]) -> None: ...

    def get_task_metrics(self) -> dict[str, dict[str, Any]]: ...

    def get_mutations(self) -> list[dict[str, Any]]: ...

    async def install_code(self, task: str, code: str, stage: str,
                           source: str) -> dict[str, Any]: ...
