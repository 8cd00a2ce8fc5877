"""The pattern library: learned task code kept for reuse across machines.

A ``Pattern`` is generated code plus what it earned (stage, measured metrics)
and what it expects (input and output schema). Stored under
``patterns/<name>/<version>``; several versions of a name may coexist and
``get_pattern(name)`` picks the best by success rate.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from ..ladder import Stage
from ..storage import Storage, key_path, keys
from .protocol import PersistableExecutor
from .versions import FORMAT_VERSION, MachinePersistence, _parse_document

PATTERNS = keys.PATTERNS
PATTERNS_FORMAT = "evomachine.patterns"


class PatternNotFoundError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "pattern not found"


class PerformanceMetrics(BaseModel):
    avg_execution_time_ms: float = 0.0
    success_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    cost_per_execution: float = 0.0
    execution_count: int = 0


class TrainedOn(BaseModel):
    machine_id: str = ""
    task_name: str = ""
    training_samples: int = 0


class Pattern(BaseModel):
    """Reusable task code with the stage and metrics it earned (the seed's fields and more)."""

    name: str
    description: str = ""
    version: str = "v1"
    code: str
    performance_metrics: PerformanceMetrics = Field(default_factory=PerformanceMetrics)
    trained_on: TrainedOn = Field(default_factory=TrainedOn)
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    stage: Stage = "hybrid"
    synthesizer: str | None = None
    saved_at: float = Field(default_factory=time.time)

    @field_validator("name", "version")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def rank(self) -> tuple[float, int, float, str]:
        """Sort key for "best": success rate, then experience, then newest."""
        metrics = self.performance_metrics
        return (metrics.success_rate, metrics.execution_count, self.saved_at, self.version)


def _output_enum(schema: dict[str, Any] | None) -> list[Any] | None:
    if not schema:
        return None
    enum = schema.get("enum")
    properties = schema.get("properties")
    output = properties.get("output") if isinstance(properties, dict) else None
    if enum is None and isinstance(output, dict):  # a stored pattern's schema is outside text
        enum = output.get("enum")
    return list(enum) if isinstance(enum, list) else None


class PatternLibrary:
    """Patterns in ``storage``; also exports and imports whole machines."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.machines = MachinePersistence(storage)

    async def save_pattern(self, pattern: Pattern | dict[str, Any]) -> Pattern:
        """Store ``pattern`` (replacing the same name and version); returns it validated."""
        pattern = Pattern.model_validate(pattern)
        await self.storage.put(PATTERNS, key_path(pattern.name, pattern.version), pattern)
        return pattern

    async def versions(self, name: str) -> list[Pattern]:
        """Every stored version of ``name``, oldest saved first."""
        found = await self.storage.items(PATTERNS, key_path(name, ""))
        return sorted((Pattern.model_validate(v) for _, v in found), key=lambda p: p.saved_at)

    async def get_pattern(self, name: str, version: str | None = None) -> Pattern | None:
        """``version`` of ``name``; with no version the best by success rate. ``None`` if absent."""
        if version is not None:
            value = await self.storage.get(PATTERNS, key_path(name, version))
            return None if value is None else Pattern.model_validate(value)
        candidates = await self.versions(name)
        return max(candidates, key=Pattern.rank) if candidates else None

    async def list_patterns(self) -> list[Pattern]:
        """Every pattern version, by name, then oldest saved first."""
        found = [Pattern.model_validate(v) for _, v in await self.storage.items(PATTERNS)]
        return sorted(found, key=lambda p: (p.name, p.saved_at))

    async def delete_pattern(self, name: str, version: str) -> None:
        await self.storage.remove(PATTERNS, key_path(name, version))

    async def search(self, query: str) -> list[Pattern]:
        """Best version of each pattern whose name, description or training source
        contains every word of ``query`` (case-insensitive); name matches rank first."""
        words = query.lower().split()
        best: dict[str, Pattern] = {}
        for pattern in await self.list_patterns():
            if pattern.name not in best or pattern.rank() > best[pattern.name].rank():
                best[pattern.name] = pattern
        scored = []
        for pattern in best.values():
            name = pattern.name.lower()
            trained = pattern.trained_on
            text = " ".join([name, pattern.description, trained.task_name, trained.machine_id,
                             pattern.synthesizer or ""]).lower()
            if all(word in text for word in words):
                scored.append((sum(word in name for word in words), pattern))
        scored.sort(key=lambda item: (-item[0], -item[1].performance_metrics.success_rate,
                                      item[1].name))
        return [pattern for _, pattern in scored]

    async def import_pattern(self, executor: PersistableExecutor, name: str, task: str,
                             version: str | None = None) -> dict[str, Any]:
        """Install pattern ``name`` as the code of ``task`` at the stage it earned.

        The executor re-validates the code on the task's own history when it has
        one and may install it at a lower stage. Records a ``pattern_import``
        mutation and returns the executor's result plus the pattern's name and version.
        """
        pattern = await self.get_pattern(name, version)
        if pattern is None:
            known = sorted({p.name for p in await self.list_patterns()})
            raise PatternNotFoundError(
                f"no pattern {name!r}" + (f" version {version!r}" if version else "")
                + (f"; saved patterns: {', '.join(known)}" if known else "; the library is empty"))
        node = executor.machine.find_node(task)
        if node is None or node.kind != "task":
            tasks = ", ".join(n.name for n in executor.machine.tasks()) or "none"
            raise ValueError(f"machine {executor.machine_id!r} has no Task {task!r} "
                             f"(its tasks: {tasks})")
        misfit = self.misfit(pattern, node)
        if misfit:
            raise ValueError(misfit)
        source = f"pattern:{pattern.name}@{pattern.version}"
        result = await executor.install_code(task, pattern.code, pattern.stage, source)
        executor.record_mutation("pattern_import", {
            "task": task, "pattern": pattern.name, "version": pattern.version,
            "stage_earned": pattern.stage, "installed_stage": result.get("installed_stage"),
            "agreement": result.get("agreement"), "checked": result.get("checked"),
        })
        return {**result, "pattern": pattern.name, "version": pattern.version}

    @staticmethod
    def misfit(pattern: Pattern, node: Any) -> str | None:
        """Why ``pattern``'s code cannot be ``node``'s (a Task): it can answer what the task's
        output does not allow. ``None`` when it fits."""
        produced = _output_enum(pattern.output_schema)
        attribute = node.attributes.get("output")
        allowed = attribute.type.literals if attribute is not None and attribute.type else []
        if produced and allowed and not set(map(str, produced)) <= set(allowed):
            extra = sorted(set(map(str, produced)) - set(allowed))
            return (f"pattern {pattern.name!r} can output {extra}, which task "
                    f"{node.name!r} does not allow (it allows {allowed})")
        return None

    # -- JSON files ------------------------------------------------------------------

    async def export_json(self) -> str:
        """Every pattern as one JSON document."""
        return json.dumps({
            "format": PATTERNS_FORMAT, "format_version": FORMAT_VERSION,
            "patterns": [p.model_dump(mode="json") for p in await self.list_patterns()],
        }, ensure_ascii=False)

    async def import_json(self, text: str) -> list[Pattern]:
        """Store the patterns of an ``export_json`` document in one batch; returns them."""
        document = _parse_document(text, PATTERNS_FORMAT)
        found = document.get("patterns", [])
        if not isinstance(found, list):
            raise ValueError(f"pattern export's patterns is a {type(found).__name__}, not a list")
        try:
            patterns = [Pattern.model_validate(p) for p in found]
        except ValidationError as error:
            raise ValueError(f"pattern export is malformed: {error}") from error
        await self.storage.write_batch(
            [(PATTERNS, key_path(p.name, p.version), p) for p in patterns])
        return patterns

    async def export_machine(self, machine_id: str,
                             executor: PersistableExecutor | None = None) -> str:
        """See ``MachinePersistence.export_machine``."""
        return await self.machines.export_machine(machine_id, executor)

    async def import_machine(self, text: str, *, machine_id: str | None = None,
                             executor: PersistableExecutor | None = None) -> str:
        """See ``MachinePersistence.import_machine``."""
        return await self.machines.import_machine(text, machine_id=machine_id, executor=executor)
