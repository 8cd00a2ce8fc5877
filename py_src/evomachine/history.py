"""Execution records and the bounded per-task history they live in.

Every task execution becomes one ``ExecutionRecord``: what went in, what came
out, who answered, what it cost. Evolution learns from these records and
metrics are computed from them, so nothing about a run is assumed.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, Field

AnsweredBy = Literal["llm", "code", "memo", "none"]


class ExecutionRecord(BaseModel):
    """One execution of one task."""

    task: str
    input: Any = None
    output: Any = None
    answered_by: AnsweredBy = "llm"
    stage: str = "llm_only"
    confidence: float | None = None
    success: bool = True
    error: str | None = None
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    # What the LLM said when it was asked (its own answer or a shadow check of the code).
    llm_output: Any = None
    # What the generated code said when it ran (also when the LLM answered after it).
    code_output: Any = None
    code_confidence: float | None = None
    code_version: str | None = None
    # "audit" when the LLM re-checked an answer the memo or the code gave (``audited`` holds
    # that answer, also when the LLM overruled it).
    check: Literal["audit"] | None = None
    audited: Any = None
    # Ground truth, when the data set carries it: used for accuracy, never shown to tasks.
    expected: Any = None
    timestamp: float = Field(default_factory=time.time)
    # Position in the task's history, set by ``TaskHistory.add``.
    seq: int = 0


class TaskHistory(BaseModel):
    """A bounded history of one task's executions.

    ``recent`` keeps the newest ``limit`` records in order. ``sample`` is a
    reservoir sample over every record ever added, so training sees the whole
    past in proportion and not just its tail.
    """

    limit: int = 2000
    sample_size: int = 1000
    seen: int = 0
    recent: list[ExecutionRecord] = Field(default_factory=list)
    sample: list[ExecutionRecord] = Field(default_factory=list)
    seed: int = 0

    def add(self, record: ExecutionRecord) -> None:
        self.seen += 1
        record.seq = self.seen
        self.recent.append(record)
        if len(self.recent) > self.limit:
            del self.recent[: len(self.recent) - self.limit]
        if len(self.sample) < self.sample_size:
            self.sample.append(record)
        else:
            slot = int(_draw(self.seed * 1_000_003 + self.seen) * self.seen)
            if slot < self.sample_size:
                self.sample[slot] = record

    def training_records(self) -> list[ExecutionRecord]:
        """Records to learn from: the reservoir sample plus recent ones, without duplicates."""
        by_seq = {record.seq: record for record in [*self.sample, *self.recent]}
        return [by_seq[seq] for seq in sorted(by_seq)]


_MASK = (1 << 64) - 1


def _draw(seed: int) -> float:
    """A uniform draw in [0, 1) from ``seed`` (splitmix64: the same everywhere, no RNG object)."""
    z = (seed + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return ((z ^ (z >> 31)) >> 11) / 9007199254740992.0
