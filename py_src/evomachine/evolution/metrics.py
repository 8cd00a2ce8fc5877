"""Per-task metrics kept incrementally: one update per execution, no history scans.

Counters and sums give rates and means; a bounded window of latencies gives
the p95; a bounded window of shadow-check outcomes gives the measured
agreement with the LLM. Everything exports to JSON and back exactly.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from evomachine.evolution.stages import same_answer
from evomachine.history import ExecutionRecord

LATENCY_WINDOW = 500


class TaskMetrics:
    """Running totals for one task."""

    _COUNTERS = (
        "execution_count", "success_count", "llm_calls", "code_answers", "code_errors",
        "shadow_checks", "shadow_agreements", "expected_known", "expected_correct",
        "stage_executions", "llm_cost_calls", "memo_answers", "audits", "audit_disagreements",
        "codegen_calls", "syntheses", "wasted_calls",
    )
    _SUMS = ("total_latency_ms", "total_cost", "llm_cost", "codegen_cost", "synthesis_ms",
             "wasted_cost")

    def __init__(self, agreement_window: int = 200):
        self.execution_count = 0
        self.success_count = 0
        self.llm_calls = 0
        self.code_answers = 0
        self.code_errors = 0
        self.shadow_checks = 0
        self.shadow_agreements = 0
        self.expected_known = 0
        self.expected_correct = 0
        self.stage_executions = 0
        self.total_latency_ms = 0.0
        self.total_cost = 0.0
        self.llm_cost = 0.0
        self.llm_cost_calls = 0
        self.memo_answers = 0
        self.audits = 0
        self.audit_disagreements = 0
        self.codegen_calls = 0
        self.codegen_cost = 0.0
        self.syntheses = 0
        self.synthesis_ms = 0.0
        self.wasted_calls = 0
        self.wasted_cost = 0.0
        self.latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self.agreement: deque[bool] = deque(maxlen=agreement_window)

    def observe(self, record: ExecutionRecord, llm_called: bool) -> None:
        """Count one execution."""
        self.execution_count += 1
        self.stage_executions += 1
        if record.success:
            self.success_count += 1
        if llm_called:
            self.llm_calls += 1
            if record.cost:
                self.llm_cost += record.cost
                self.llm_cost_calls += 1
        if record.answered_by == "code":
            self.code_answers += 1
        elif record.answered_by == "memo":
            self.memo_answers += 1
        self.total_latency_ms += record.latency_ms
        self.total_cost += record.cost
        self.latencies.append(round(record.latency_ms, 3))
        if record.expected is not None:
            self.expected_known += 1
            if record.success and same_answer(record.output, record.expected):
                self.expected_correct += 1

    def add_codegen(self, calls: int, cost: float) -> None:
        """Code-writing requests: LLM calls and spending like any other."""
        self.codegen_calls += calls
        self.llm_calls += calls
        self.codegen_cost += cost
        self.total_cost += cost

    def add_wasted(self, calls: int, cost: float) -> None:
        """Requests sent ahead whose answers no execution took (negative: one was taken after
        all): the provider bills them, so they are LLM calls and spending like any other."""
        self.wasted_calls += calls
        self.llm_calls += calls
        self.wasted_cost += cost
        self.total_cost += cost

    def add_synthesis(self, ms: float) -> None:
        """One synthesis ran for ``ms`` (reported, never used in a decision)."""
        self.syntheses += 1
        self.synthesis_ms += ms
        self.total_latency_ms += ms

    def add_audit(self, agreed: bool) -> None:
        """An answer not given by the LLM (code or memo) was re-asked."""
        self.audits += 1
        self.audit_disagreements += not agreed

    def add_check(self, agreed: bool, *, shadow: bool = True) -> None:
        """One measured comparison of the code with the LLM (or a code failure: ``False``)."""
        self.agreement.append(agreed)
        if shadow:
            self.shadow_checks += 1
            self.shadow_agreements += int(agreed)
        else:
            self.code_errors += 1

    def reset_stage(self) -> None:
        """A new stage or new code: measured agreement starts again."""
        self.agreement.clear()
        self.stage_executions = 0

    def agreement_rate(self, last: int | None = None) -> tuple[float | None, int]:
        """``(rate, checks)`` over the window, or over its ``last`` checks."""
        window = list(self.agreement)[-last:] if last else self.agreement
        if not window:
            return None, 0
        return sum(window) / len(window), len(window)

    @property
    def success_rate(self) -> float:
        return self.success_count / self.execution_count if self.execution_count else 0.0

    @property
    def mean_llm_cost(self) -> float | None:
        """Measured mean cost of one priced LLM call, ``None`` before any."""
        return self.llm_cost / self.llm_cost_calls if self.llm_cost_calls else None

    def report(self, stage: str, code_version: str | None, synthesizer: str | None,
               llm_only_cost: float | None = None) -> dict[str, Any]:
        """The public metrics dict of ``get_task_metrics()``.

        ``llm_only_cost`` is what the same executions would have cost with the LLM
        answering each (see :mod:`evomachine.evolution.accounting`); without it the mean
        priced call times the executions stands in.
        """
        count = self.execution_count
        latencies = sorted(self.latencies)
        p95 = latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)] if latencies else 0.0
        rate, checks = self.agreement_rate()
        if llm_only_cost is None and self.mean_llm_cost is not None:
            llm_only_cost = self.mean_llm_cost * count
        return {
            "stage": stage,
            "execution_count": count,
            "success_rate": self.success_rate,
            "performance_metrics": {
                "avg_execution_time_ms": self.total_latency_ms / count if count else 0.0,
                "p95_execution_time_ms": p95,
                "cost_per_execution": self.total_cost / count if count else 0.0,
                "total_cost": self.total_cost,
            },
            "llm_calls": self.llm_calls,
            "llm_call_rate": self.llm_calls / count if count else 0.0,
            "code_answers": self.code_answers,
            "memo_answers": self.memo_answers,
            "code_errors": self.code_errors,
            "audits": self.audits,
            "audit_disagreements": self.audit_disagreements,
            "codegen_calls": self.codegen_calls,
            "codegen_cost": self.codegen_cost,
            "wasted_calls": self.wasted_calls,
            "wasted_cost": self.wasted_cost,
            "syntheses": self.syntheses,
            "synthesis_ms": round(self.synthesis_ms, 1),
            "agreement_rate": rate,
            "agreement_checks": checks,
            "shadow_checks": self.shadow_checks,
            # over every shadow check since the start, all stages and code versions
            "lifetime_agreement_rate": (self.shadow_agreements / self.shadow_checks
                                        if self.shadow_checks else None),
            "accuracy": (self.expected_correct / self.expected_known
                         if self.expected_known else None),
            "llm_only_cost_estimate": llm_only_cost,
            "cost_saved": (llm_only_cost - self.total_cost) if llm_only_cost is not None else None,
            "cost_saved_share": ((llm_only_cost - self.total_cost) / llm_only_cost
                                 if llm_only_cost else None),
            "code_version": code_version,
            "synthesizer": synthesizer,
        }

    def export(self) -> dict[str, Any]:
        names = (*self._COUNTERS, *self._SUMS)
        data: dict[str, Any] = {name: getattr(self, name) for name in names}
        data["latencies"] = list(self.latencies)
        data["agreement"] = list(self.agreement)
        data["agreement_window"] = self.agreement.maxlen
        return data

    @classmethod
    def from_export(cls, data: dict[str, Any]) -> TaskMetrics:
        metrics = cls(agreement_window=int(data.get("agreement_window") or 200))
        for name in cls._COUNTERS:
            setattr(metrics, name, int(data.get(name, 0)))
        for name in cls._SUMS:
            setattr(metrics, name, float(data.get(name, 0.0)))
        metrics.latencies.extend(float(v) for v in data.get("latencies", []))
        metrics.agreement.extend(bool(v) for v in data.get("agreement", []))
        return metrics
