"""The shapes of the documents the lab stores and exports (pydantic models).

The lab's own documents (session, workspaces, version extras) and the parts of
the engine's documents the page shows or the engine trusts: stages are one of
the ladder's, node names and types are DSL identifiers, numbers the page shows
are numbers. Fields these models do not know are let through (the engine's
documents grow). Which key holds which document, and the checks across
documents, are :mod:`evomachine.app.schema`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

from evomachine.app.llm_config import LLMConfig
from evomachine.history import TaskHistory
from evomachine.model import MachineData, Node

try:  # the stage ladder's one home (evomachine.ladder), wherever this build keeps it
    from evomachine.ladder import STAGES
except ImportError:  # pragma: no cover - builds before the ladder module
    from evomachine.evolution.stages import STAGES

IDENTIFIER = re.compile(r"[^\W\d]\w*")  # the DSL's identifiers (evomachine.dsl.lexer.IDENT_RE)

Stage = Literal[STAGES]  # type: ignore[valid-type]  # the ladder's names, in its order
Count = Annotated[int, Field(ge=0)]
Number = float | int


class _Open(BaseModel):
    """A document that may carry fields this layer does not know (they are kept as data)."""

    model_config = ConfigDict(extra="allow")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- the lab's own documents ------------------------------------------------------------

class DatasetInfo(_Closed):
    name: str | None = None
    count: Count = 0
    fields: list[str] = Field(default_factory=list)
    encoding: str | None = None  # how the file's bytes were read (evomachine.datafile)
    notice: str | None = None  # said to the user: the file was not UTF-8


class SeriesChange(_Open):
    at: Number
    from_: Stage | None = Field(None, alias="from")
    to: Stage


class TaskSeriesDoc(_Open):
    every: Count | None = None
    points: list[list[Number | None]] = Field(default_factory=list)
    changes: list[SeriesChange] = Field(default_factory=list)


class SessionDoc(_Closed):
    """``meta/lab/session``: what is loaded, so a reload comes back to it."""

    format: Literal[1] = 1
    dsl: str = ""
    example: str | None = None
    machine_id: str | None = None
    dataset: DatasetInfo = Field(default_factory=DatasetInfo)
    llm: dict[str, Any] | None = None
    series: dict[str, TaskSeriesDoc] | None = None
    stamp: str | None = None
    saved_at: Number | None = None

    @field_validator("llm")
    @classmethod
    def _llm_settings(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            LLMConfig.model_validate({k: v for k, v in value.items() if k != "api_key"})
        return value


class WorkspaceDoc(_Open):
    """``meta/lab/machine/<machine>``: a stored machine's text, data set info and summary."""

    format: Literal[1] = 1
    title: str | None = None
    dsl: str = ""
    example: str | None = None
    dataset: DatasetInfo = Field(default_factory=DatasetInfo)
    series: dict[str, TaskSeriesDoc] | None = None
    step_count: Count = 0
    stages: dict[str, Stage] = Field(default_factory=dict)
    last_run_at: Number | None = None
    saved_at: Number | None = None


class VersionExtraDoc(_Open):
    """``meta/lab/version/<machine>/<version>``: the DSL text and series a version had."""

    dsl: str | None = None
    series: dict[str, TaskSeriesDoc] | None = None


class RevisionDoc(_Open):
    revision: Count
    writer: str


# --- the engine's documents (the parts the page shows or the engine trusts) ------------------

class Score(_Open):
    selected: bool = False
    dropped: str | None = None
    heldout_agreement: Number | None = None
    coverage: Number | None = None
    n_heldout: Count | None = None
    rank: Number | None = None  # the share it may answer within the budget (the page shows it)


class LastSynthesis(_Open):
    at: Number | None = None
    synthesizer: str | None = None
    error: str | None = None
    scores: dict[str, Score] = Field(default_factory=dict)
    installed_version: Count | None = None  # the version this synthesis wrote (None: none)
    replaced_by: Count | None = None  # a version installed after it from elsewhere (a pattern)


class CutDoc(_Open):
    """A task's ``cut`` or ``full`` (bounds.Cut.as_dict()): the page divides these."""

    threshold: Number
    coverage: Number
    answered: Count
    disagreed: Count
    total: Count
    upper_bound: Number


class TaskStateDoc(_Open):
    stage: Stage
    cut: CutDoc | None = None
    full: CutDoc | None = None
    code: str | None = None
    code_path: str | None = None
    code_version: int | str | None = None
    synthesizer: str | None = None
    heldout_agreement: Number | None = None
    last_synthesis: LastSynthesis | None = None
    metrics: dict[str, Any] | None = None


class Mutation(_Open):
    type: str
    timestamp: Number | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("data")
    @classmethod
    def _stages(cls, data: dict[str, Any]) -> dict[str, Any]:
        for key, value in data.items():
            if key.endswith("stage") and value is not None and value not in STAGES:
                raise ValueError(f"{key} is {value!r}, not a stage ({', '.join(STAGES)})")
            if key == "stages" and value is not None:
                TypeAdapter(dict[str, Stage]).validate_python(value)
        return data


class RunDoc(_Open):
    current_node: str | None = None
    halted: bool = False
    input_cursor: Count = 0
    step_count: Count = 0


class RecentRange(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Count = Field(alias="from")
    to: int = Field(ge=-1)


class HistoryIndex(_Open):
    limit: int = Field(ge=1)
    sample_size: Count
    seen: Count
    seed: int = 0
    recent: RecentRange | list[Count]
    sample: list[Count]

    def seqs(self, at_most: int | None = None) -> list[int]:
        """The records listed; a recent range at most ``at_most`` long (a hostile ``to`` of
        10^12 is never listed whole)."""
        recent = self.recent
        if isinstance(recent, RecentRange):
            last = recent.to if at_most is None else min(recent.to, recent.from_ + at_most - 1)
            listed = list(range(recent.from_, last + 1))
        else:
            listed = list(recent)
        return [*listed, *self.sample]


def _check_identifiers(nodes: Iterable[Node], where: str = "machine.nodes") -> None:
    for node in nodes:
        if not IDENTIFIER.fullmatch(node.name):
            raise ValueError(f"{where}: node name {node.name!r} is not a DSL identifier")
        if not IDENTIFIER.fullmatch(node.type):
            raise ValueError(f"{where}: node type {node.type!r} of {node.name!r} is not a "
                             "DSL identifier")
        _check_identifiers(node.children, f"{where}.{node.name}")


class ExecutorDoc(_Open):
    format: Literal[1]
    machine_id: str | None = None
    machine: MachineData
    tasks: dict[str, TaskStateDoc] = Field(default_factory=dict)
    mutations: list[Mutation] = Field(default_factory=list)
    run: RunDoc = Field(default_factory=RunDoc)
    policy: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ExecutorDoc:
        _check_identifiers(self.machine.nodes)
        names = {node.name for node in self.machine.iter_nodes()}
        for edge in self.machine.edges:
            if edge.source not in names or edge.target not in names:
                raise ValueError(f"edge {edge.source} -> {edge.target} names a node the "
                                 "machine does not have")
        if self.run.current_node is not None and self.run.current_node not in names:
            raise ValueError(f"run.current_node {self.run.current_node!r} is not a node of "
                             "the machine")
        return self


class StateDoc(ExecutorDoc):
    """``state/<machine>``: a saved run, its histories as indexes of ``history/`` records."""

    machine_id: str
    histories: dict[str, HistoryIndex] = Field(default_factory=dict)
    revision: RevisionDoc | None = None


class SnapshotDoc(ExecutorDoc):
    """``snapshots/<machine>/<version>``: a version's executor with its histories inline."""

    histories: dict[str, TaskHistory] = Field(default_factory=dict)
