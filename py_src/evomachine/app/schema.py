"""What the lab stores and exports, as versioned schemas checked before anything is written.

Every document an export carries (and every document the lab reads back at
boot) is validated here against the shape the page and the engine rely on
(the models are :mod:`evomachine.app.documents`: stages are one of the four,
node names and types are DSL identifiers, numbers the page shows are numbers),
the key it is stored under, and every cross-reference (the session's machine
has a saved run, a run's history index has its records, a version has its
snapshot, a head names a version). Fields this layer does not know are let
through (the engine's documents grow), but nothing the page renders or the
engine trusts is.

:func:`validate_export` checks a whole export without touching storage and
returns its entries; the lab then swaps them in with one storage batch.
:func:`check_entry` names what is wrong with one stored document, so a boot
over damaged storage can say which documents to drop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from evomachine.app.documents import (
    Number,
    RevisionDoc,
    SessionDoc,
    SnapshotDoc,
    Stage,
    StateDoc,
    VersionExtraDoc,
    WorkspaceDoc,
)
from evomachine.app.store import (
    DATASET_KEY,
    EXPORT_FORMAT,
    EXPORT_VERSION,
    SESSION_KEY,
    machine_of,
)
from evomachine.history import ExecutionRecord
from evomachine.persistence.patterns import Pattern
from evomachine.persistence.versions import VersionInfo
from evomachine.storage import KNOWN_NAMESPACES, key_path
from evomachine.storage.keys import check_machine_id

MAX_PROBLEMS = 12

HISTORY_KEY = re.compile(r"(?P<machine>[^/]+)/(?P<task>[^/]+)/(?P<seq>\d{10})")


class SchemaError(ValueError):
    """Documents that do not match the schema; ``problems`` is ``[(document, message)]``."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        shown = "; ".join(f"{where}: {message}" for where, message in problems[:MAX_PROBLEMS])
        more = len(problems) - MAX_PROBLEMS
        super().__init__(shown + (f"; and {more} more" if more > 0 else ""))


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
    owner = machine_of(namespace, key)
    if owner is not None:
        check_machine_id(owner)
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
        _adapter(dict[str, dict[str, dict[str, Any] | None]]).validate_python(
            {"metrics": info.metrics})  # per task: the versions panel reads each
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
    """An export: ``{format, format_version, engine_version, storage}``. Version 2 is what
    0.2 writes; 0.1.0's version 1 holds the same namespaces and is read the same way."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["evomachine.lab"]
    format_version: Literal[1, 2]
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
        # a range longer than the file's records is cut at one more: one of those is missing
        for seq in index.seqs(at_most=len(present) + 1):
            key = f"{machine_id}/{task}/{seq:010d}"
            if key not in present:
                missing.append(key)
    if not missing:
        return []
    shown = ", ".join(f"history/{key}" for key in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    return [(f"state/{machine_id}", f"lists history records that are missing: {shown}{more}")]
