"""What the lab stores and exports, as versioned schemas checked before anything is written.

Every document an export carries (and every document the lab reads back at
boot) is validated here against the shape the page and the engine rely on:
stages are one of the four, node names and types are DSL identifiers, numbers
the page shows are numbers, and every cross-reference holds (the session's
machine has a saved run, a run's history index has its records, a version
has its snapshot, a head names a version). Fields this layer does not know
are let through (the engine's documents grow), but nothing the page renders
or the engine trusts is.

:func:`validate_export` checks a whole export without touching storage and
returns its entries; the lab then swaps them in with one storage batch.
:func:`check_entry` names what is wrong with one stored document, so a boot
over damaged storage can say which documents to drop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from evomachine.app.llm_config import LLMConfig
from evomachine.app.store import DATASET_KEY, EXPORT_FORMAT, EXPORT_VERSION, SESSION_KEY
from evomachine.history import ExecutionRecord, TaskHistory
from evomachine.model import MachineData, Node
from evomachine.persistence.patterns import Pattern
from evomachine.persistence.versions import VersionInfo
from evomachine.storage import KNOWN_NAMESPACES, key_path

try:  # the stage ladder's one home (evomachine.ladder), wherever this build keeps it
    from evomachine.ladder import STAGES
except ImportError:  # pragma: no cover - builds before the ladder module
    from evomachine.evolution.stages import STAGES

MAX_PROBLEMS = 12

IDENTIFIER = re.compile(r"[^\W\d]\w*")  # the DSL's identifiers (evomachine.dsl.lexer.IDENT_RE)
HISTORY_KEY = re.compile(r"(?P<machine>[^/]+)/(?P<task>[^/]+)/(?P<seq>\d{10})")

Stage = Literal[STAGES]  # type: ignore[valid-type]  # the ladder's names, in its order
Count = Annotated[int, Field(ge=0)]
Number = float | int


class SchemaError(ValueError):
    """Documents that do not match the schema; ``problems`` is ``[(document, message)]``."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        shown = "; ".join(f"{where}: {message}" for where, message in problems[:MAX_PROBLEMS])
        more = len(problems) - MAX_PROBLEMS
        super().__init__(shown + (f"; and {more} more" if more > 0 else ""))


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


class LastSynthesis(_Open):
    at: Number | None = None
    synthesizer: str | None = None
    error: str | None = None
    scores: dict[str, Score] = Field(default_factory=dict)


class TaskStateDoc(_Open):
    stage: Stage
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

    def seqs(self) -> list[int]:
        recent = self.recent
        listed = (list(range(recent.from_, recent.to + 1)) if isinstance(recent, RecentRange)
                  else list(recent))
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


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> TypeAdapter[Any]:
    key = repr(kind)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(kind)
    return _ADAPTERS[key]


def _messages(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:4]:
        where = ".".join(str(p) for p in item["loc"] if p != "__root__")
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    more = error.error_count() - 4
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _parts(key: str, count: int) -> list[str] | None:
    parts = key.split("/")
    return parts if len(parts) == count and all(parts) else None


def check_entry(namespace: str, key: str, value: Any) -> Any:
    """The validated document at ``namespace/key``; ``ValueError`` says what is wrong."""
    try:
        return _check_entry(namespace, key, value)
    except ValidationError as error:
        raise ValueError(_messages(error)) from None


def _check_entry(namespace: str, key: str, value: Any) -> Any:
    if namespace == "meta":
        if key == SESSION_KEY:
            if not isinstance(value, dict):
                raise ValueError(f"is not a session document (found {_kind(value)})")
            return SessionDoc.model_validate(value)
        if key == DATASET_KEY:
            return _adapter(list[dict[str, Any]]).validate_python(value)
        if key.startswith("lab/machine/") and _parts(key, 3):
            return WorkspaceDoc.model_validate(value)
        if key.startswith("lab/records/") and _parts(key, 3):
            return _adapter(list[dict[str, Any]]).validate_python(value)
        if key.startswith("lab/version/") and _parts(key, 4):
            return VersionExtraDoc.model_validate(value)
        if key.startswith("revision/") and _parts(key, 2):
            return RevisionDoc.model_validate(value)
        if key.startswith("head/") and _parts(key, 2):
            return _adapter(str).validate_python(value)
        raise ValueError("is not a document this version of EvoMachine keeps")
    if namespace == "state":
        doc = StateDoc.model_validate(value)
        if doc.machine_id != key:
            raise ValueError(f"holds machine {doc.machine_id!r}, not {key!r}")
        return doc
    if namespace == "history":
        match = HISTORY_KEY.fullmatch(key)
        if match is None:
            raise ValueError("is not named <machine>/<task>/<sequence number>")
        record = ExecutionRecord.model_validate(value)
        if record.task != match["task"] or record.seq != int(match["seq"]):
            raise ValueError(f"holds record {record.seq} of task {record.task!r}")
        return record
    if namespace == "versions":
        info = VersionInfo.model_validate(value)
        if key != key_path(info.machine_id, info.id):
            raise ValueError(f"holds version {info.id!r} of {info.machine_id!r}")
        _adapter(dict[str, Stage]).validate_python(info.stages)
        return info
    if namespace == "snapshots":
        if _parts(key, 2) is None:
            raise ValueError("is not named <machine>/<version>")
        return SnapshotDoc.model_validate(value)
    if namespace == "patterns":
        pattern = Pattern.model_validate(value)
        if key != key_path(pattern.name, pattern.version):
            raise ValueError(f"holds pattern {pattern.name!r} {pattern.version!r}")
        return pattern
    if namespace == "code":
        return _adapter(str).validate_python(value, strict=True)
    if namespace == "default":
        return value
    raise ValueError(f"namespace {namespace!r} is not one EvoMachine keeps")


def _kind(value: Any) -> str:
    text = json.dumps(value)[:40] if not isinstance(value, str) else repr(value[:40])
    return f"{type(value).__name__} {text}"


# --- whole exports -----------------------------------------------------------------------------

class ExportDoc(BaseModel):
    """An export, version 1: ``{format, format_version, engine_version, storage}``."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["evomachine.lab"]
    format_version: Literal[1]
    engine_version: str | None = None
    exported_at: Number | None = None
    storage: dict[str, list[tuple[str, Any]]] = Field(default_factory=dict)

    @field_validator("storage")
    @classmethod
    def _namespaces(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(KNOWN_NAMESPACES))
        if unknown:
            raise ValueError(f"unknown namespaces {', '.join(map(repr, unknown))}")
        return value


@dataclass
class ValidatedExport:
    """An export that passed every check: its entries and what it holds."""

    entries: dict[tuple[str, str], Any]
    session: SessionDoc | None
    engine_version: str | None
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        session = self.session
        return {
            "engine_version": self.engine_version, "entries": len(self.entries),
            "machine_id": session.machine_id if session else None,
            "example": session.example if session else None,
            "records": session.dataset.count if session else 0, **self.counts,
        }


def validate_export(document: Any) -> ValidatedExport:
    """Check every document of an export and every cross-reference; nothing is written.

    Raises :class:`SchemaError` naming each problem (``namespace/key: what``).
    """
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        found = (document.get("format") if isinstance(document, dict)
                 else type(document).__name__)
        raise SchemaError([("file", f"not an EvoMachine lab export (format {found!r}); "
                                    "export one with the Export button first")])
    version = document.get("format_version")
    if isinstance(version, int) and version > EXPORT_VERSION:
        raise SchemaError([("file", f"format version {version} is newer than this build "
                                    f"reads ({EXPORT_VERSION}); update EvoMachine")])
    try:
        export = ExportDoc.model_validate(document)
    except ValidationError as error:
        raise SchemaError([("file", _messages(error))]) from None

    problems: list[tuple[str, str]] = []
    docs: dict[tuple[str, str], Any] = {}
    entries: dict[tuple[str, str], Any] = {}
    for namespace, items in export.storage.items():
        for key, value in items:
            where = f"{namespace}/{key}"
            if (namespace, key) in entries:
                problems.append((where, "appears twice"))
                continue
            entries[namespace, key] = value
            try:
                docs[namespace, key] = check_entry(namespace, key, value)
            except ValueError as error:
                problems.append((where, str(error)))
    problems += _cross_references(docs, entries)
    if problems:
        raise SchemaError(problems)
    session = docs.get(("meta", SESSION_KEY))
    counts = {name: sum(1 for ns, _ in entries if ns == namespace) for name, namespace in
              (("runs", "state"), ("versions", "versions"), ("patterns", "patterns"))}
    return ValidatedExport(entries, session, export.engine_version, counts)


def _cross_references(docs: dict[tuple[str, str], Any],
                      entries: dict[tuple[str, str], Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    session = docs.get(("meta", SESSION_KEY))
    if isinstance(session, SessionDoc) and session.dsl:
        from evomachine.dsl import DSLError, parse_machine

        try:
            parse_machine(session.dsl)
        except DSLError as error:
            problems.append((f"meta/{SESSION_KEY}", f"its machine text has errors: "
                             f"{str(error).splitlines()[0]}"))
        if session.machine_id and ("state", session.machine_id) not in entries:
            problems.append((f"meta/{SESSION_KEY}", f"names machine {session.machine_id!r} "
                             f"but the file has no saved run state/{session.machine_id}"))
    for (namespace, key), doc in docs.items():
        if namespace == "state" and isinstance(doc, StateDoc):
            problems += missing_history(key, doc, {k for ns, k in entries if ns == "history"})
        elif namespace == "versions" and ("snapshots", key) not in entries:
            problems.append((f"versions/{key}", f"has no snapshot snapshots/{key}"))
        elif namespace == "meta" and key.startswith("head/") and isinstance(doc, str):
            version = f"{key.removeprefix('head/')}/{doc}"
            if ("versions", version) not in entries:
                problems.append((f"meta/{key}", f"names version {doc!r}, which the file lacks"))
    return problems


def missing_history(machine_id: str, doc: StateDoc, present: set[str]) -> list[tuple[str, str]]:
    """``(document, problem)`` for each history record ``doc`` lists that is not ``present``."""
    missing = []
    for task, index in doc.histories.items():
        for seq in index.seqs():
            key = f"{machine_id}/{task}/{seq:010d}"
            if key not in present:
                missing.append(key)
    if not missing:
        return []
    shown = ", ".join(f"history/{key}" for key in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    return [(f"state/{machine_id}", f"lists history records that are missing: {shown}{more}")]
